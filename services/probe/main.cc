// herd-probe: checks for container healthchecks, scripts and tests.
//
//   herd-probe [--timeout-ms N] CHECK ADDRESS [CHECK ADDRESS]...
//     health HOST:PORT  a node's gRPC health service answers SERVING
//     text HOST:PORT    a gateway's text port accepts a connection
//     status HOST:PORT  prints the node's GetStatus: "NAME COUNT DIGEST PEER,PEER..."
//
// Exits 0 when every check passes, 1 at the first that fails (saying why on stderr), 2 on a
// usage error.

#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "services/probe/grpc_checks.h"
#include "services/probe/tcp_check.h"

namespace {

constexpr char kUsage[] =
    "usage: herd-probe [--timeout-ms N] CHECK HOST:PORT [CHECK HOST:PORT]...\n"
    "  health   the node's gRPC health service answers SERVING\n"
    "  text     the gateway's text port accepts a connection\n"
    "  status   print the node's status: NAME STAMP_COUNT DIGEST LINKED_PEERS\n";

absl::Status RunCheck(const std::string& check, const std::string& address,
                      absl::Duration timeout) {
  if (check == "health") return herd::probe::CheckHealth(address, timeout);
  if (check == "text") return herd::probe::CheckTcpAccepts(address, timeout);
  absl::StatusOr<herd::v1::NodeStatus> status = herd::probe::GetNodeStatus(address, timeout);
  if (!status.ok()) return status.status();
  std::printf("%s %" PRIu64 " %" PRIu64 " %s\n", status->node().c_str(), status->stamp_count(),
              status->store_digest(), absl::StrJoin(status->linked_peers(), ",").c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::Duration timeout = absl::Seconds(2);
  std::vector<std::pair<std::string, std::string>> checks;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int64_t ms = 0;
    if (arg == "--timeout-ms" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &ms) && ms > 0) {
      timeout = absl::Milliseconds(ms);
      ++i;
    } else if ((arg == "health" || arg == "text" || arg == "status") && i + 1 < argc) {
      checks.emplace_back(arg, argv[++i]);
    } else {
      std::fprintf(stderr, "herd-probe: unexpected argument \"%s\"\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (checks.empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  for (const auto& [check, address] : checks) {
    absl::Status status = RunCheck(check, address, timeout);
    if (!status.ok()) {
      std::fprintf(stderr, "herd-probe: %s %s: %s\n", check.c_str(), address.c_str(),
                   std::string(status.message()).c_str());
      return 1;
    }
  }
  return 0;
}
