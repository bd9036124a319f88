#ifndef HERD_GATEWAY_NODE_ROUTE_H_
#define HERD_GATEWAY_NODE_ROUTE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "gateway/node_client.h"

namespace herd::gateway {

// The nodes that may take one text address's lines: the address's own node, then the fallbacks
// the config names for it. Each request goes to the first of them that is not down; when all are
// down it goes to the address's own node, which answers it at once with UNAVAILABLE.
class NodeRoute {
 public:
  NodeRoute(NodeClient* node, std::vector<NodeClient*> fallbacks);

  void Report(v1::ReportRequest request, NodeClient::ReportCallback done);
  void SearchNearby(v1::SearchNearbyRequest request, absl::Time deadline,
                    NodeClient::SearchCallback done);

  // Whether no node of the route can take a line now.
  bool all_down() const;
  const std::vector<NodeClient*>& nodes() const { return nodes_; }
  NodeClient& node() const { return *nodes_.front(); }
  absl::Duration request_timeout() const { return node().request_timeout(); }
  // Requests sent to a fallback because the address's own node was down.
  uint64_t handed_over() const { return handed_over_.load(std::memory_order_relaxed); }

 private:
  NodeClient* Pick();

  const std::vector<NodeClient*> nodes_;  // the own node first
  std::atomic<uint64_t> handed_over_{0};
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_NODE_ROUTE_H_
