#ifndef HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_
#define HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/support/herd_config.h"
#include "tests/support/process.h"

namespace herd::testing {

// Starts `herd-gateway --config <config_path> [--node <node>]` and waits until every address in
// `text_addresses` accepts connections; the process is stopped on destruction. nullptr if it
// exited (e.g. the port was taken) or did not listen in time.
std::unique_ptr<Process> StartGateway(const std::string& config_path, const std::string& node,
                                      const std::vector<std::string>& text_addresses,
                                      const std::string& output_path);

}  // namespace herd::testing

#endif  // HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_
