#ifndef HERD_SERVICES_CORE_METRICS_SERVER_H_
#define HERD_SERVICES_CORE_METRICS_SERVER_H_

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace herd {

// A process's Prometheus endpoint: serves GET /metrics (text exposition format) on one
// address, with the metrics of a registry and of the collectors added with AddCollector
// (values read at scrape time). Serving runs on the HTTP server's own threads. The registry is
// shared: the components that update its metrics may outlive the server.
class MetricsServer {
 public:
  // Binds `address` ("127.0.0.1:12200", "0.0.0.0:12200"); UNAVAILABLE naming
  // the address when it cannot (e.g. in use).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);

  // Kept alive by the server; collected on every scrape.
  void AddCollector(std::shared_ptr<prometheus::Collectable> collector);
  // The port bound (useful when the address says port 0).
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

// For collectors: a family of values read at scrape time, and one sample of it (a gauge's or a
// counter's value, by the family's type).
prometheus::MetricFamily ScrapedFamily(std::string name, std::string help,
                                       prometheus::MetricType type);
void AddSample(prometheus::MetricFamily* family,
               std::vector<prometheus::ClientMetric::Label> labels, double value);

// Histogram bucket bounds in seconds for request latencies: 50 us to 10 s.
const std::vector<double>& LatencyBuckets();

}  // namespace herd

#endif  // HERD_SERVICES_CORE_METRICS_SERVER_H_
