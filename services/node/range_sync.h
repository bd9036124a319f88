#ifndef HERD_SERVICES_NODE_RANGE_SYNC_H_
#define HERD_SERVICES_NODE_RANGE_SYNC_H_

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "herd/v1/peer_service.pb.h"
#include "services/node/stamp_store.h"

namespace herd {

// Where a round's output goes (the link's outbound queue).
class SyncOutput {
 public:
  virtual ~SyncOutput() = default;
  // A round message (digests, summaries, wants, done), sent in order with everything else.
  virtual void SendSyncMessage(v1::PeerMessage message) = 0;
  // A stamp the peer lacks; batched into catch-up batches.
  virtual void SendCatchUp(const v1::LocationStamp& stamp) = 0;
};

// One link's anti-entropy rounds (see services/node/README.md):
//   initiator: ranges(level 0: root)
//   each side in turn: ranges(level L+1: the 16 children of every node that differed at L)
//   at the leaf level, the receiver of the leaf digests sends summaries of the differing
//   buckets (key hash, stamp hash per stamp) and sends its whole bucket where the peer's is empty;
//   the other side sends its stamps missing from the summaries and wants the peer's stamps
//   missing from its own bucket; the summary side sends the wanted stamps;
//   each side ends with sync_done once it will send nothing more; the round ends when both have.
// Stamps, summaries and wanted stamps are produced by Pump() one bucket at a time as the
// outbound queue drains, so a round holds a bounded number of stamps in memory.
//
// Not thread-safe: the link endpoint calls it under its own lock.
class RangeSync {
 public:
  struct RoundStats {
    bool initiator = false;
    absl::Time started;
    uint64_t differing_leaves = 0;
    uint64_t sent = 0;           // catch-up stamps sent
    uint64_t received = 0;       // catch-up stamps received
    uint64_t stored = 0;         // of which newer than ours
    uint64_t messages_sent = 0;  // round messages other than stamps
  };

  explicit RangeSync(const StampStore* store) : store_(store) {}

  bool in_round() const { return in_round_; }
  // Starts a round as initiator (sends the root). Call only when !in_round().
  void BeginRound(SyncOutput* out);
  // Starts a round as responder; the caller then passes the root message to Handle.
  void AcceptRound();

  // Handles one of the peer's round messages. Returns true when it ended the round.
  bool Handle(const v1::PeerMessage& message, SyncOutput* out);
  // Counts a catch-up stamp received in this round.
  void CountReceived(bool stored);

  bool has_work() const { return !tasks_.empty(); }
  // Produces the next unit of paced work (about one bucket). Returns true when it ended the
  // round.
  bool Pump(SyncOutput* out);

  // Forgets the round (the peer is busy, or the stream broke).
  void Abort();

  const RoundStats& stats() const { return stats_; }

  // Most entries per summaries message (16 bytes each).
  static constexpr size_t kMaxSummaryEntries = 32768;

 private:
  struct Task {
    enum class Kind { kSummaries, kStampsNotIn, kWantedStamps, kDone };
    explicit Task(Kind k) : kind(k) {}
    Kind kind;
    // kSummaries: leaves to summarize, from `cursor` on.
    std::vector<uint32_t> leaves;
    size_t cursor = 0;
    // kStampsNotIn / kWantedStamps: one leaf and the peer's (key, stamp) hashes, sorted, or
    // the wanted key hashes, sorted.
    uint32_t leaf = 0;
    std::vector<std::pair<uint64_t, uint64_t>> peer_entries;
    std::vector<uint64_t> wanted_keys;
  };

  void Start(bool initiator);
  void HandleRanges(const v1::RangeDigests& ranges, SyncOutput* out);
  void HandleSummaries(const v1::BucketSummaries& summaries, SyncOutput* out);
  void HandleWants(const v1::StampWants& wants);
  void QueueDone();
  void Send(v1::PeerMessage message, SyncOutput* out);
  bool Finished() const { return sent_done_ && peer_done_; }

  const StampStore* const store_;
  bool in_round_ = false;
  bool done_queued_ = false;
  bool sent_done_ = false;
  bool peer_done_ = false;
  std::deque<Task> tasks_;
  RoundStats stats_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_RANGE_SYNC_H_
