#include "tools/herdctl/herd_status.h"

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "tools/herdctl/call.h"
#include "tools/herdctl/node_channel.h"

namespace herd::herdctl {

std::string DigestHex(uint64_t digest) { return absl::StrFormat("%016x", digest); }

HerdState CollectHerdState(const std::vector<Target>& targets, absl::Duration timeout) {
  HerdState state;
  state.nodes.resize(targets.size());
  std::vector<std::thread> calls;
  for (size_t i = 0; i < targets.size(); ++i) {
    calls.emplace_back([&, i] {
      NodeState& node = state.nodes[i];
      node.target = targets[i];
      auto stub = v1::LocationService::NewStub(MakeNodeChannel(targets[i]));
      grpc::ClientContext context;
      SetDeadline(&context, timeout);
      grpc::Status status = stub->GetStatus(&context, v1::GetStatusRequest(), &node.status);
      node.up = status.ok();
      if (!node.up) node.error = DescribeError(status);
      if (node.up && node.target.name.empty()) node.target.name = node.status.node();
    });
  }
  for (std::thread& call : calls) call.join();

  // Groups in the order their first node appears, then the largest first.
  std::map<std::pair<uint64_t, uint64_t>, size_t> group_of;
  for (const NodeState& node : state.nodes) {
    const std::string& label = node.target.name.empty() ? node.target.address : node.target.name;
    if (!node.up) {
      state.down.push_back(label);
      continue;
    }
    auto [it, added] = group_of.try_emplace({node.status.store_digest(), node.status.stamp_count()},
                                            state.groups.size());
    if (added) {
      state.groups.push_back(
          {node.status.store_digest(), node.status.stamp_count(), std::vector<std::string>()});
    }
    state.groups[it->second].nodes.push_back(label);
  }
  std::stable_sort(
      state.groups.begin(), state.groups.end(),
      [](const DigestGroup& a, const DigestGroup& b) { return a.nodes.size() > b.nodes.size(); });
  return state;
}

std::string SummaryLine(const HerdState& state) {
  std::string line;
  if (!state.down.empty()) {
    line = absl::StrCat("DOWN: ", absl::StrJoin(state.down, ", "), "; ");
  }
  if (state.groups.empty()) return absl::StrCat(line, "no node answered");
  if (state.groups.size() == 1) {
    const DigestGroup& group = state.groups.front();
    const std::string who =
        group.nodes.size() == 1
            ? absl::StrCat(group.nodes.front(), " holds ")
            : absl::StrCat("all ", group.nodes.size(), state.down.empty() ? "" : " answering",
                           " nodes hold the same ");
    return absl::StrCat(line, state.down.empty() ? "converged: " : "", who, group.stamp_count,
                        " stamps (digest ", DigestHex(group.digest), ")");
  }
  std::vector<std::string> parts;
  for (const DigestGroup& group : state.groups) {
    parts.push_back(absl::StrCat(absl::StrJoin(group.nodes, ", "), " (", group.stamp_count,
                                 " stamps, digest ", DigestHex(group.digest), ")"));
  }
  return absl::StrCat(line, "NOT converged: stores differ: ", absl::StrJoin(parts, " | "));
}

}  // namespace herd::herdctl
