#ifndef HERD_TOOLS_HERDCTL_COMMANDS_H_
#define HERD_TOOLS_HERDCTL_COMMANDS_H_

#include <vector>

#include "tools/herdctl/options.h"
#include "tools/herdctl/targets.h"

namespace herd::herdctl {

// Exit statuses.
inline constexpr int kOk = 0;
inline constexpr int kFailed = 1;    // a node is down or a call failed
inline constexpr int kBadUsage = 2;  // bad arguments
inline constexpr int kDiverged = 3;  // status: every node up, stores differ

// Each prints its answer on stdout (JSON with --json) and a one-line reason on stderr when it
// fails; returns the exit status.
int RunStatus(const Options& options, const std::vector<Target>& targets);
int RunWatch(const Options& options, const std::vector<Target>& targets);
int RunGet(const Options& options, const std::vector<Target>& targets);
int RunReport(const Options& options, const std::vector<Target>& targets);
int RunNear(const Options& options, const std::vector<Target>& targets);
int RunClients(const Options& options, const std::vector<Target>& targets);
int RunWatchArea(const Options& options, const std::vector<Target>& targets);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_COMMANDS_H_
