#include "gateway/node_route.h"

#include <utility>

namespace herd::gateway {
namespace {

std::vector<NodeClient*> OwnNodeFirst(NodeClient* node, std::vector<NodeClient*> fallbacks) {
  fallbacks.insert(fallbacks.begin(), node);
  return fallbacks;
}

}  // namespace

NodeRoute::NodeRoute(NodeClient* node, std::vector<NodeClient*> fallbacks)
    : nodes_(OwnNodeFirst(node, std::move(fallbacks))) {}

NodeClient* NodeRoute::Pick() {
  for (NodeClient* candidate : nodes_) {
    if (!candidate->down()) {
      if (candidate != nodes_.front()) handed_over_.fetch_add(1, std::memory_order_relaxed);
      return candidate;
    }
  }
  return nodes_.front();
}

bool NodeRoute::all_down() const {
  for (const NodeClient* candidate : nodes_) {
    if (!candidate->down()) return false;
  }
  return true;
}

void NodeRoute::Report(v1::ReportRequest request, NodeClient::ReportCallback done) {
  Pick()->Report(std::move(request), std::move(done));
}

void NodeRoute::SearchNearby(v1::SearchNearbyRequest request, absl::Time deadline,
                             NodeClient::SearchCallback done) {
  Pick()->SearchNearby(std::move(request), deadline, std::move(done));
}

}  // namespace herd::gateway
