#ifndef HERD_GATEWAY_GATEWAY_METRICS_H_
#define HERD_GATEWAY_GATEWAY_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herd::gateway {

class NodeClient;

// The metrics of the connections on one served text address (label `node`), updated on the
// connections' strands through cached references: one atomic add per event, no label lookup.
struct ConnectionMetrics {
  prometheus::Gauge* open_connections = nullptr;
  // Connections not reading right now because too many replies are pending or unsent.
  prometheus::Gauge* paused_connections = nullptr;
  prometheus::Counter* backpressure_pauses = nullptr;
  // Lines by command.
  prometheus::Counter* lines_iamat = nullptr;
  prometheus::Counter* lines_whatsat = nullptr;
  prometheus::Counter* lines_malformed = nullptr;
  prometheus::Counter* lines_over_limit = nullptr;
  // "?" replies by reason.
  prometheus::Counter* invalid_malformed = nullptr;
  prometheus::Counter* invalid_over_limit = nullptr;
  prometheus::Counter* invalid_iamat = nullptr;    // the node refused or did not answer
  prometheus::Counter* invalid_whatsat = nullptr;  // unknown client, node down, no places
  // From the line's arrival to its reply being ready, by command.
  prometheus::Histogram* iamat_seconds = nullptr;
  prometheus::Histogram* whatsat_seconds = nullptr;
};

// A gateway process's metric families. Every series is made by ForServedNode before traffic.
class GatewayMetrics {
 public:
  explicit GatewayMetrics(std::shared_ptr<prometheus::Registry> registry)
      : registry_(std::move(registry)) {}

  // The metrics of the text address serving `node` (made on first call; not thread-safe: call
  // while setting up).
  ConnectionMetrics* ForServedNode(const std::string& node);
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::map<std::string, ConnectionMetrics> served_;
};

// Reads at scrape time whether each node the gateway talks to counts as up (NodeReachability)
// and how many reports it has sent it in how many batches. The clients must outlive the metrics
// server it is added to.
class NodeClientCollector : public prometheus::Collectable {
 public:
  explicit NodeClientCollector(std::vector<const NodeClient*> clients)
      : clients_(std::move(clients)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::vector<const NodeClient*> clients_;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_GATEWAY_METRICS_H_
