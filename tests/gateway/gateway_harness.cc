#include "tests/gateway/gateway_harness.h"

#include "absl/time/time.h"

namespace herd::testing {

std::unique_ptr<Process> StartGateway(const std::string& config_path, const std::string& node,
                                      const std::vector<std::string>& text_addresses,
                                      const std::string& output_path) {
  std::vector<std::string> argv = {BinaryPath("herd-gateway"), "--config", config_path};
  if (!node.empty()) {
    argv.push_back("--node");
    argv.push_back(node);
  }
  auto process = std::make_unique<Process>(argv, output_path);
  for (const std::string& address : text_addresses) {
    if (!WaitForTcpPort(address, absl::Seconds(10))) return nullptr;
  }
  // Something else may have answered on a port this gateway failed to bind.
  if (!process->running()) return nullptr;
  return process;
}

}  // namespace herd::testing
