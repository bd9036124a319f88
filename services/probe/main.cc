// herd-probe: checks for container healthchecks, scripts and tests.
//
//   herd-probe [--timeout-ms N] [TLS] CHECK ADDRESS [CHECK ADDRESS]...
//     health HOST:PORT  a node's gRPC health service answers SERVING
//     text HOST:PORT    a gateway's text port accepts a connection
//     status HOST:PORT  prints the node's GetStatus: "NAME COUNT DIGEST PEER,PEER..."
//   TLS, for nodes whose gRPC port runs TLS (health and status):
//     --config FILE --node NAME   the config's tls settings and node NAME's certificate; plain
//                                 TCP when the config has no tls section
//     --ca FILE [--cert FILE --key FILE] --node NAME   those files
//   With TLS the callee's certificate must name node NAME.
//
// Exits 0 when every check passes, 1 at the first that fails (saying why on stderr), 2 on a
// usage error or unusable TLS settings.

#include <cinttypes>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/core/config.h"
#include "services/core/transport_security.h"
#include "services/probe/grpc_checks.h"
#include "services/probe/tcp_check.h"

namespace {

constexpr char kUsage[] =
    "usage: herd-probe [--timeout-ms N] [TLS] CHECK HOST:PORT [CHECK HOST:PORT]...\n"
    "  health   the node's gRPC health service answers SERVING\n"
    "  text     the gateway's text port accepts a connection\n"
    "  status   print the node's status: NAME STAMP_COUNT DIGEST LINKED_PEERS\n"
    "TLS (the callee must be node NAME):\n"
    "  --config FILE --node NAME               the config's tls settings, NAME's certificate\n"
    "  --ca FILE [--cert FILE --key FILE] --node NAME\n";

struct TlsFlags {
  std::string config, ca, cert, key, node;
};

// Plain TCP unless the flags ask for TLS; INVALID_ARGUMENT names what is missing or unreadable.
absl::StatusOr<herd::TransportSecurity> SecurityFrom(const TlsFlags& flags) {
  if (!flags.config.empty() && !flags.ca.empty()) {
    return absl::InvalidArgumentError("--config and --ca exclude each other");
  }
  if (flags.config.empty() && flags.ca.empty()) {
    if (!flags.cert.empty() || !flags.key.empty()) {
      return absl::InvalidArgumentError("--cert and --key need --ca");
    }
    return herd::TransportSecurity::Insecure();
  }
  if (flags.node.empty()) {
    return absl::InvalidArgumentError("TLS needs --node NAME: the node the callee must be");
  }
  if (!flags.ca.empty()) return herd::TransportSecurity::Tls(flags.ca, flags.cert, flags.key);
  absl::StatusOr<herd::HerdConfig> config = herd::HerdConfig::Load(flags.config);
  if (!config.ok()) return config.status();
  return herd::TransportSecurity::ForNode(*config, flags.node);
}

absl::Status RunCheck(const std::string& check, const herd::probe::NodeTarget& target,
                      absl::Duration timeout) {
  if (check == "health") return herd::probe::CheckHealth(target, timeout);
  if (check == "text") return herd::probe::CheckTcpAccepts(target.address, timeout);
  absl::StatusOr<herd::v1::NodeStatus> status = herd::probe::GetNodeStatus(target, timeout);
  if (!status.ok()) return status.status();
  std::printf("%s %" PRIu64 " %" PRIu64 " %s\n", status->node().c_str(), status->stamp_count(),
              status->store_digest(), absl::StrJoin(status->linked_peers(), ",").c_str());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::Duration timeout = absl::Seconds(2);
  TlsFlags tls;
  std::vector<std::pair<std::string, std::string>> checks;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int64_t ms = 0;
    std::string* tls_value = arg == "--config" ? &tls.config
                             : arg == "--ca"   ? &tls.ca
                             : arg == "--cert" ? &tls.cert
                             : arg == "--key"  ? &tls.key
                             : arg == "--node" ? &tls.node
                                               : nullptr;
    if (arg == "--timeout-ms" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &ms) && ms > 0) {
      timeout = absl::Milliseconds(ms);
      ++i;
    } else if (tls_value != nullptr && i + 1 < argc) {
      *tls_value = argv[++i];
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
  absl::StatusOr<herd::TransportSecurity> security = SecurityFrom(tls);
  if (!security.ok()) {
    std::fprintf(stderr, "herd-probe: %s\n", std::string(security.status().message()).c_str());
    return 2;
  }
  for (const auto& [check, address] : checks) {
    herd::probe::NodeTarget target{address, tls.node, *security};
    absl::Status status = RunCheck(check, target, timeout);
    if (!status.ok()) {
      std::string how =
          security->tls() && check != "text" ? absl::StrCat(" (TLS, node ", tls.node, ")") : "";
      std::fprintf(stderr, "herd-probe: %s %s%s: %s\n", check.c_str(), address.c_str(), how.c_str(),
                   std::string(status.message()).c_str());
      return 1;
    }
  }
  return 0;
}
