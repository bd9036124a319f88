#ifndef HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_
#define HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace herd::testing {

struct NodeAddresses {
  std::string name;
  std::string grpc_address;
  std::string text_address;
};

struct HerdSpec {
  std::vector<NodeAddresses> nodes;
  std::vector<std::pair<std::string, std::string>> links;
  std::string log_dir;
  int max_line_bytes = 0;      // 0: the default
  int request_timeout_ms = 0;  // 0: the default
  std::string places_json;     // raw JSON value of "places", empty for none
};

// The herd config JSON for `spec`.
std::string HerdConfigJson(const HerdSpec& spec);

// Starts `herd-gateway --config <config_path> [--node <node>]` and waits until every address in
// `text_addresses` accepts connections; the process is stopped on destruction. nullptr if it
// exited (e.g. the port was taken) or did not listen in time.
std::unique_ptr<Process> StartGateway(const std::string& config_path, const std::string& node,
                                      const std::vector<std::string>& text_addresses,
                                      const std::string& output_path);

// Polls `predicate` every 20 ms until it holds or `timeout` passes.
template <typename Predicate>
bool PollUntil(Predicate predicate, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace herd::testing

#endif  // HERD_TESTS_GATEWAY_GATEWAY_HARNESS_H_
