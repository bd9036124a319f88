#ifndef HERD_SERVICES_NODE_LINK_ENDPOINT_H_
#define HERD_SERVICES_NODE_LINK_ENDPOINT_H_

#include <atomic>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "google/protobuf/arena.h"
#include "herd/v1/peer_service.pb.h"
#include "services/node/peer_mesh.h"
#include "services/node/range_sync.h"

namespace herd {

// One end of a peer link stream: its outbound queue (one write in flight, stamps coalesced into
// batches), the handshake, the link's anti-entropy rounds (RangeSync) and the handling of what
// the peer sends. The gRPC reactor classes (server and client side) derive from it and supply
// the stream operations.
//
// Lifetime: reference counted. gRPC holds one reference until OnDone; PeerMesh takes one while
// it uses an endpoint outside its link's lock, so a stream ending concurrently is never freed
// under a caller. See services/node/README.md for the lock order.
class LinkEndpoint : private SyncOutput {
 public:
  LinkEndpoint(PeerMesh* mesh, PeerMesh::Link* link);
  virtual ~LinkEndpoint() = default;

  // Queues a flooded stamp for the peer with its covered set (v1::StampBatch.covered) without
  // starting a write: the caller queues the rest of its batch, then calls StartQueuedWrite.
  // Thread-safe; never blocks on the network. The caller logs it.
  void Enqueue(const v1::LocationStamp& stamp, uint64_t covered);
  // Starts a write of what is queued if none is in flight. Thread-safe.
  void StartQueuedWrite() { KickWrite(); }
  // Queues a v1::LinkedPeers for the peer without starting a write. Thread-safe.
  void QueueLinkedPeers(uint64_t peers);
  // Starts a write of what is queued once `hold` has passed (PeerMesh::held_writes), so that
  // stamps queued meanwhile leave in the same message; at once for a zero hold or a stopping
  // mesh. A write in flight takes the queue when it completes, and a pending hold covers what is
  // queued after it. Thread-safe.
  void StartQueuedWriteAfter(absl::Duration hold);
  // Ends the pending hold, starting a write of what is queued if `write`, and drops the reference
  // the hold took. For HeldWrites.
  void EndHold(bool write);
  // Bytes queued for the peer and not yet handed to the stream. Thread-safe.
  size_t queued_bytes() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the stream is keeping up: little queued and no write outstanding for long. Only then
  // may a flood count the peer as covered (PeerMesh::Flood): a stamp queued behind a stalled
  // stream (a peer cut off without a reset) must still reach the peer by the other paths.
  // Lock-free, for the flood path.
  bool KeepingUp(absl::Time now) const;
  // Ends the stream from this side (the peer sees it break).
  virtual void Cancel() = 0;

  // Starts an anti-entropy round if this end dials (the dialer leads rounds) and neither this
  // link nor another of the node's links is in one; false when it could not start one now.
  bool TryBeginRound();
  // The accepting end asks the dialer for a round.
  void AskPeerForRound();

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  // Drops the caller's reference once every other one is gone, so that the endpoint is destroyed
  // on the calling thread. For an endpoint no one can take new references to (its stream has
  // ended and it is no longer a link's live or dialing endpoint).
  void UnrefLast();

  // KeepingUp's bounds.
  static constexpr size_t kKeepingUpQueueBytes = 64 << 10;
  static constexpr absl::Duration kKeepingUpWriteTime = absl::Milliseconds(200);

  // Outbound batch limits.
  static constexpr size_t kMaxBatchStamps = 2048;
  static constexpr size_t kMaxBatchBytes = 1 << 20;
  // Anti-entropy output is produced only while less than this is queued.
  static constexpr size_t kCatchUpWindowBytes = 2 << 20;

 protected:
  // Queues our Hello and starts reading. Call once the reactor is bound to its stream.
  void Begin();
  void HandleReadDone(bool ok);
  void HandleWriteDone(bool ok);
  // Call from OnDone, before dropping gRPC's reference.
  void HandleDone();

  virtual void StartReadOp(v1::PeerMessage* message) = 0;
  virtual void StartWriteOp(const v1::PeerMessage* message) = 0;
  // The stream can carry no more messages: finish it (server) or release the hold (client).
  virtual void CloseStream() = 0;
  // Read reactions never overlap, and OnDone comes after the last one.
  bool handshake_done() const { return handshake_done_; }

  PeerMesh* const mesh_;
  PeerMesh::Link* const link_;
  absl::Mutex mu_;
  // Whether the stream has stopped carrying messages; no write starts after it is set.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;

 private:
  // SyncOutput, called by sync_ under mu_.
  void SendSyncMessage(v1::PeerMessage message) override ABSL_NO_THREAD_SAFETY_ANALYSIS;
  void SendCatchUp(const v1::LocationStamp& stamp) override ABSL_NO_THREAD_SAFETY_ANALYSIS;

  // Moves the next message into `writing_` if a write may start; the caller starts it unlocked.
  bool TakeNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `covered` goes with flooded stamps only.
  void AppendLocked(const v1::LocationStamp& stamp, bool catch_up, uint64_t covered = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleMessage(const v1::PeerMessage& message);
  void HandleHello(const v1::Hello& hello);
  void HandleStamps(const v1::StampBatch& batch, bool catch_up);
  void HandleSyncMessage(const v1::PeerMessage& message);
  void EndRoundLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseSyncSlotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts a write if one may start; call without mu_.
  void KickWrite();

  // Refreshes the lock-free view KeepingUp reads.
  void PublishQueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<int> refs_{1};
  // Whether a hold is pending (StartQueuedWriteAfter); it holds a reference to the endpoint.
  bool hold_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<size_t> queued_bytes_view_{0};  // queued_bytes_, or SIZE_MAX once cut
  std::atomic<int64_t> write_started_ns_{0};  // Unix ns of the write in flight; 0: none
  std::deque<v1::PeerMessage> outbound_ ABSL_GUARDED_BY(mu_);
  // Written batches, cleared, whose objects the next batches reuse (fewer allocations per stamp).
  static constexpr size_t kSpareBatches = 4;
  std::vector<v1::PeerMessage> spare_batches_ ABSL_GUARDED_BY(mu_);
  size_t back_batch_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  RangeSync sync_ ABSL_GUARDED_BY(mu_);
  bool holds_sync_slot_ ABSL_GUARDED_BY(mu_) = false;
  v1::PeerMessage writing_;  // owned by the write in flight
  // The read in flight parses into a message on `read_arena_`, which is reset after each
  // message: a batch's stamp and string objects then come from a few blocks instead of one heap
  // allocation each (parsing a message without an arena first frees the previous one's every
  // string and sub-message; string contents past 15 bytes still come from the heap).
  static constexpr size_t kReadArenaFirstBlock = 128 << 10;
  std::unique_ptr<char[]> read_arena_block_;
  google::protobuf::Arena read_arena_;
  v1::PeerMessage* reading_;     // on read_arena_, owned by the read in flight
  bool handshake_done_ = false;  // only touched by read reactions, which never overlap
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_LINK_ENDPOINT_H_
