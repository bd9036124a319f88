// herd-node --config FILE --name NAME: one node of a herd.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "services/core/config.h"
#include "services/node/node.h"

namespace {

constexpr char kUsage[] = "usage: herd-node --config FILE --name NAME\n";

// Reads "--flag VALUE" or "--flag=VALUE" pairs; false on anything else.
bool ParseArgs(int argc, char** argv, std::string* config, std::string* name) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string* target = nullptr;
    std::string value;
    for (auto [flag, out] : {std::pair{"--config", config}, std::pair{"--name", name}}) {
      std::string f = flag;
      if (arg == f && i + 1 < argc) {
        target = out;
        value = argv[++i];
      } else if (arg.rfind(f + "=", 0) == 0) {
        target = out;
        value = arg.substr(f.size() + 1);
      }
    }
    if (target == nullptr) {
      std::fprintf(stderr, "herd-node: unexpected argument \"%s\"\n%s", arg.c_str(), kUsage);
      return false;
    }
    *target = value;
  }
  if (config->empty() || name->empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, name;
  if (!ParseArgs(argc, argv, &config_path, &name)) return 2;

  // Handle SIGINT/SIGTERM synchronously in this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<herd::HerdConfig> config = herd::HerdConfig::Load(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "herd-node: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<herd::Node>> node = herd::Node::Start(*config, name);
  if (!node.ok()) {
    std::fprintf(stderr, "herd-node %s: %s\n", name.c_str(),
                 std::string(node.status().message()).c_str());
    return 1;
  }
  std::printf("herd-node %s: gRPC on %s (port %d), log %s/%s.log\n", name.c_str(),
              config->FindNode(name)->grpc_address().c_str(), (*node)->port(),
              config->log_dir().c_str(), name.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  (*node)->Shutdown();
  return 0;
}
