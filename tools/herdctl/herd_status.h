#ifndef HERD_TOOLS_HERDCTL_HERD_STATUS_H_
#define HERD_TOOLS_HERDCTL_HERD_STATUS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "herd/v1/location_service.pb.h"
#include "tools/herdctl/targets.h"

namespace herd::herdctl {

struct NodeState {
  Target target;
  bool up = false;
  std::string error;  // why it is down: "UNAVAILABLE: ..."
  v1::NodeStatus status;
};

// Nodes that hold the same stamps (equal digest and count).
struct DigestGroup {
  uint64_t digest = 0;
  uint64_t stamp_count = 0;
  std::vector<std::string> nodes;
};

struct HerdState {
  std::vector<NodeState> nodes;     // in target order
  std::vector<std::string> down;    // names (or addresses) of the nodes that did not answer
  std::vector<DigestGroup> groups;  // of the nodes that answered, largest group first
  bool converged() const { return down.empty() && groups.size() <= 1; }
};

// Asks every target for its status at once, each call bounded by `timeout`.
HerdState CollectHerdState(const std::vector<Target>& targets, absl::Duration timeout);

// "converged: ..." / "NOT converged: ..." / "DOWN: ...", the last line of `status`.
std::string SummaryLine(const HerdState& state);

// 16 lower-case hex digits.
std::string DigestHex(uint64_t digest);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_HERD_STATUS_H_
