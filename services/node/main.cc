// herd-node --config FILE --name NAME: one node of a herd. SIGHUP reopens its log file.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "services/core/callback_thread_park.h"
#include "services/core/config.h"
#include "services/node/node.h"

namespace {

constexpr char kUsage[] =
    "usage: herd-node --config FILE --name NAME   run one node of the herd\n"
    "       herd-node --config FILE --describe    validate the config and print its nodes\n";

// One line per node ("node NAME GRPC_ADDRESS TEXT_ADDRESS"), one per metrics address ("metrics
// node|gateway NAME ADDRESS"), then the resolved log directory and places source, for scripts
// (deploy/herd) that must not parse JSON themselves.
void Describe(const herd::HerdConfig& config) {
  for (const herd::v1::NodeConfig& node : config.proto().nodes()) {
    std::printf("node %s %s %s\n", node.name().c_str(), node.grpc_address().c_str(),
                node.text_address().c_str());
  }
  for (const herd::v1::NodeConfig& node : config.proto().nodes()) {
    if (!node.metrics_address().empty()) {
      std::printf("metrics node %s %s\n", node.name().c_str(), node.metrics_address().c_str());
    }
    if (!node.gateway_metrics_address().empty()) {
      std::printf("metrics gateway %s %s\n", node.name().c_str(),
                  node.gateway_metrics_address().c_str());
    }
  }
  std::printf("logdir %s\n", config.log_dir().c_str());
  // What a stored stamp survives: nothing (memory), a crash of the process (os), of the machine
  // (fsync); then the stores' directory.
  const herd::v1::StorageConfig& storage = config.proto().storage();
  if (storage.data_dir().empty()) {
    std::printf("storage memory\n");
  } else {
    std::printf("storage %s %s\n", storage.fsync() ? "fsync" : "os", storage.data_dir().c_str());
  }
  const herd::v1::PlacesConfig& places = config.proto().places();
  if (places.has_geonames()) {
    std::printf("places geonames %s\n", places.geonames().data_file().c_str());
  } else if (places.has_google()) {
    std::printf("places google %s\n", places.google().api_key_env().c_str());
  } else {
    std::printf("places none\n");
  }
}

// Reads "--flag VALUE" or "--flag=VALUE" pairs; false on anything else.
bool ParseArgs(int argc, char** argv, std::string* config, std::string* name, bool* describe) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--describe") {
      *describe = true;
      continue;
    }
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
  if (config->empty() || (name->empty() != *describe)) {
    std::fprintf(stderr, "%s", kUsage);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles; that bookkeeping showed
  // up on the flood path. The lock order (services/node/README.md) is checked by the tests,
  // which start nodes with HERD_MUTEX_DEADLOCK_DETECTION=1: a cycle then aborts the node.
  const char* detect = std::getenv("HERD_MUTEX_DEADLOCK_DETECTION");
  absl::SetMutexDeadlockDetectionMode(detect != nullptr && std::string(detect) == "1"
                                          ? absl::OnDeadlockCycle::kAbort
                                          : absl::OnDeadlockCycle::kIgnore);
  std::string config_path, name;
  bool describe = false;
  if (!ParseArgs(argc, argv, &config_path, &name, &describe)) return 2;

  // Handle SIGINT/SIGTERM synchronously in this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<herd::HerdConfig> config = herd::HerdConfig::Load(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "herd-node: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (describe) {
    Describe(*config);
    return 0;
  }
  absl::StatusOr<std::unique_ptr<herd::Node>> node = herd::Node::Start(*config, name);
  if (!node.ok()) {
    std::fprintf(stderr, "herd-node %s: %s\n", name.c_str(),
                 std::string(node.status().message()).c_str());
    return 1;
  }
  // On stderr, unbuffered: what `docker logs` and deploy/herd's *.out files show at once.
  const herd::v1::NodeConfig* node_config = config->FindNode(name);
  std::fprintf(stderr, "herd-node %s: gRPC on %s (port %d), dialled as %s, log %s/%s.log\n",
               name.c_str(), node_config->grpc_listen_address().c_str(), (*node)->port(),
               node_config->grpc_address().c_str(), config->log_dir().c_str(), name.c_str());

  // On a small host, one of gRPC's callback threads is held so that the other polls alone (see
  // callback_thread_park.h).
  std::unique_ptr<herd::CallbackThreadPark> park;
  if (herd::CallbackThreadPark::Wanted()) {
    park = herd::CallbackThreadPark::Start();
    if (!park->parked()) {
      std::fprintf(stderr, "herd-node %s: gRPC's callback threads could not be reduced to one\n",
                   name.c_str());
    }
  }

  // SIGHUP reopens the log file (after logrotate moved it); SIGINT/SIGTERM stop the node.
  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) (*node)->log().Reopen();
  park.reset();  // both threads serve the shutdown
  (*node)->Shutdown();
  return 0;
}
