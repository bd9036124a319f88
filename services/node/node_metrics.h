#ifndef HERD_SERVICES_NODE_NODE_METRICS_H_
#define HERD_SERVICES_NODE_NODE_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace herd {

class PeerMesh;
class StampStore;
namespace places {
class PlacesProvider;
}

// The counters of one peer link (label `peer`), updated by its endpoints.
struct PeerLinkMetrics {
  prometheus::Counter* stamps_sent = nullptr;          // flooded stamps written to the peer
  prometheus::Counter* stamp_messages_sent = nullptr;  // the messages that carried them
  prometheus::Counter* stamps_received = nullptr;
  prometheus::Counter* catch_up_sent = nullptr;  // anti-entropy stamps
  prometheus::Counter* catch_up_received = nullptr;
  prometheus::Counter* bytes_sent = nullptr;  // serialized messages, all kinds
  prometheus::Counter* bytes_received = nullptr;
  prometheus::Counter* relinks = nullptr;  // the link came up again after its first time
};

// The metrics a node's components update as they work. Every series is created here, up front:
// components hold references and pay one atomic add per event (per batch where they can), never
// a label lookup. Values that are cheaper to read than to track (stamps held, link state, queue
// bytes) are read at scrape time by NodeStateCollector. A component given no NodeMetrics
// (nullptr) keeps no metrics.
class NodeMetrics {
 public:
  NodeMetrics(std::shared_ptr<prometheus::Registry> registry,
              const std::vector<std::string>& peers);

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }
  // nullptr for a peer that is not configured.
  PeerLinkMetrics* peer(absl::string_view name);

 private:
  // Declared first: the families below live in it.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  // Stamps entering the store, by source (a Report/ReportBatch, a peer's flood, a catch-up).
  prometheus::Counter& reports_client;
  prometheus::Counter& reports_peer;
  prometheus::Counter& reports_catch_up;
  // What the merges did: stored (newer) or stale.
  prometheus::Counter& merges_stored;
  prometheus::Counter& merges_stale;
  // Accepted batches that changed the store (and so its digest).
  prometheus::Counter& digest_changes;
  // Places searches (WHATSAT / SearchNearby): duration and failures.
  prometheus::Histogram& places_seconds;
  prometheus::Counter& places_errors;
  // Unary LocationService calls, label `method` (see RpcLatencyInterceptorFactory).
  prometheus::Family<prometheus::Histogram>& rpc_seconds;

 private:
  std::map<std::string, PeerLinkMetrics, std::less<>> peers_;
};

// Reads a node's state at scrape time: stamps held, store digest, each link's state and queued
// bytes, anti-entropy totals, peer stamps dropped by validation, places cache hits. `places` may
// be null. The objects must outlive the metrics server it is added to.
class NodeStateCollector : public prometheus::Collectable {
 public:
  NodeStateCollector(StampStore* store, PeerMesh* mesh, const places::PlacesProvider* places)
      : store_(store), mesh_(mesh), places_(places) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  StampStore* const store_;
  PeerMesh* const mesh_;
  const places::PlacesProvider* const places_;
};

// The full names of the LocationService methods timed per call.
std::vector<std::string> TimedLocationServiceMethods();

}  // namespace herd

#endif  // HERD_SERVICES_NODE_NODE_METRICS_H_
