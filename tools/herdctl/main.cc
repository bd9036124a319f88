// herdctl: the operator's command line for a running herd. See kUsage (herdctl --help).
#include <cstdio>
#include <string>

#include "tools/herdctl/commands.h"
#include "tools/herdctl/options.h"
#include "tools/herdctl/targets.h"

int main(int argc, char** argv) {
  using namespace herd::herdctl;
  absl::StatusOr<Options> options = ParseOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "herdctl: %s\n%s", std::string(options.status().message()).c_str(),
                 kUsage);
    return kBadUsage;
  }
  if (options->help) {
    std::printf("%s", kUsage);
    return kOk;
  }
  absl::StatusOr<std::vector<Target>> targets = ResolveTargets(*options);
  if (!targets.ok()) {
    std::fprintf(stderr, "herdctl: %s\n", std::string(targets.status().message()).c_str());
    return kBadUsage;
  }
  const std::string& command = options->command;
  if (command == "status") return RunStatus(*options, *targets);
  if (command == "watch") return RunWatch(*options, *targets);
  if (command == "get") return RunGet(*options, *targets);
  if (command == "report") return RunReport(*options, *targets);
  if (command == "clients") return RunClients(*options, *targets);
  if (command == "watch-area") return RunWatchArea(*options, *targets);
  return RunNear(*options, *targets);
}
