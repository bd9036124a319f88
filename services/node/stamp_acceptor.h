#ifndef HERD_SERVICES_NODE_STAMP_ACCEPTOR_H_
#define HERD_SERVICES_NODE_STAMP_ACCEPTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"
#include "services/core/async_log.h"
#include "services/node/durable_store.h"
#include "services/node/stamp_store.h"

namespace herd {

class NodeMetrics;

// Where a stamp came from.
struct StampSource {
  enum class Kind {
    kClient,   // a Report to this node
    kFlood,    // a peer flooded it (it changed the peer's store)
    kCatchUp,  // a peer sent it during anti-entropy
  };
  Kind kind;
  absl::string_view peer;  // empty for kClient

  static StampSource Client() { return {Kind::kClient, {}}; }
  static StampSource Flood(absl::string_view peer) { return {Kind::kFlood, peer}; }
  static StampSource CatchUp(absl::string_view peer) { return {Kind::kCatchUp, peer}; }
};

// Sends stored stamps on to the peers (PeerMesh).
class StampFlooder {
 public:
  struct Item {
    const v1::LocationStamp* stamp;
    absl::string_view at_line;  // FormatAtLine(*stamp)
    // The nodes known to hold the stamp or to have it on its way (v1::StampBatch.covered; 0:
    // none).
    uint64_t covered;
  };
  virtual ~StampFlooder() = default;
  // Floods a batch that arrived together; `except_peer` is the peer it came from, "" for a batch
  // from this node's clients. A batch leaves in one message per peer (a client batch may share
  // it with the ones after it; PeerMesh::Flood).
  virtual void Flood(const std::vector<Item>& items, absl::string_view except_peer) = 0;
};

// The one place where a stamp enters the node, whatever its source: merge into the store, log,
// write to the durable store (when the node has one; one write per batch), flood. Client reports
// and peer messages both come through Accept.
//
// Catch-up stamps are not logged one by one (the link logs a summary per exchange) and not
// flooded: a link that stored some asks the node's other links for an anti-entropy round, which
// sends on only what those peers lack.
class StampAcceptor {
 public:
  // `durable` may be null (in-memory node).
  StampAcceptor(StampStore* store, AsyncLog* log, DurableStore* durable = nullptr)
      : store_(store), log_(log), durable_(durable) {}
  // Set once, before the node serves anything.
  void set_flooder(StampFlooder* flooder) { flooder_ = flooder; }
  // Set once, before the node serves anything; null (the default): no metrics.
  void set_metrics(NodeMetrics* metrics) { metrics_ = metrics; }

  // Accepts stamps from one source. `results` gets one MergeResult per stamp. The stored ones
  // are in the durable store's write-ahead log when this returns OK; an error means they could
  // not be written (they are then neither acknowledged nor flooded). `covered`, when not empty,
  // holds each flooded stamp's covered set (StampFlooder::Flood).
  absl::Status Accept(const std::vector<const v1::LocationStamp*>& stamps,
                      const StampSource& source, std::vector<StampStore::MergeResult>* results,
                      const std::vector<uint64_t>& covered = {});
  absl::StatusOr<StampStore::MergeResult> Accept(const v1::LocationStamp& stamp,
                                                 const StampSource& source);

 private:
  void CountBatch(size_t received, size_t stored, const StampSource& source);

  StampStore* const store_;
  AsyncLog* const log_;
  DurableStore* const durable_;
  StampFlooder* flooder_ = nullptr;
  NodeMetrics* metrics_ = nullptr;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_ACCEPTOR_H_
