#include "services/node/link_endpoint.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/core/arena_message_allocator.h"
#include "services/core/exact_time.h"
#include "services/core/stamp.h"
#include "services/node/held_writes.h"
#include "services/node/node_metrics.h"

namespace herd {
namespace {

// Wire-size estimate used to cut batches well below gRPC's message size limit.
size_t EstimatedSize(const v1::LocationStamp& stamp) {
  return stamp.client_id().size() + stamp.location_text().size() + stamp.client_time_text().size() +
         stamp.origin().size() + 64;
}

size_t MessageBytes(const v1::PeerMessage& message) {
  const v1::StampBatch* batch = message.has_stamps()     ? &message.stamps()
                                : message.has_catch_up() ? &message.catch_up()
                                                         : nullptr;
  if (batch == nullptr) return message.ByteSizeLong();
  size_t bytes = 0;
  for (const v1::LocationStamp& stamp : batch->stamps()) bytes += EstimatedSize(stamp);
  return bytes;
}

}  // namespace

LinkEndpoint::LinkEndpoint(PeerMesh* mesh, PeerMesh::Link* link)
    : mesh_(mesh),
      link_(link),
      sync_(&mesh->store()),
      read_arena_block_(new char[kReadArenaFirstBlock]),
      read_arena_(ArenaOptionsWithFirstBlock(read_arena_block_.get(), kReadArenaFirstBlock)),
      reading_(google::protobuf::Arena::CreateMessage<v1::PeerMessage>(&read_arena_)) {}

void LinkEndpoint::Begin() {
  v1::PeerMessage hello;
  hello.mutable_hello()->set_node(mesh_->self());
  hello.mutable_hello()->set_store_digest(mesh_->store().Digest());
  hello.mutable_hello()->set_stamp_count(mesh_->store().size());
  bool start_write;
  {
    absl::MutexLock lock(&mu_);
    outbound_.push_front(std::move(hello));
    start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
  StartReadOp(reading_);
}

void LinkEndpoint::UnrefLast() {
  // The others are short: a flood or a stop under way, a hold (ended on time).
  while (refs_.load(std::memory_order_acquire) > 1) absl::SleepFor(absl::Milliseconds(1));
  Unref();
}

void LinkEndpoint::KickWrite() {
  bool start_write;
  {
    absl::MutexLock lock(&mu_);
    start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
}

void LinkEndpoint::StartQueuedWriteAfter(absl::Duration hold) {
  HeldWrites* held = mesh_->held_writes();
  if (hold <= absl::ZeroDuration() || held == nullptr || mesh_->stopping()) {
    KickWrite();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || write_in_flight_ || hold_pending_) return;
    hold_pending_ = true;
  }
  Ref();
  held->Add(this, absl::Now() + hold);
}

void LinkEndpoint::EndHold(bool write) {
  bool start_write = false;
  {
    absl::MutexLock lock(&mu_);
    hold_pending_ = false;
    if (write) start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
  Unref();  // may delete this
}

bool LinkEndpoint::TakeNextWriteLocked() {
  if (write_in_flight_ || closed_) return false;
  // Anti-entropy output is made only as the queue drains: a bounded window of it at a time.
  while (queued_bytes_ < kCatchUpWindowBytes && sync_.has_work()) {
    if (sync_.Pump(this)) EndRoundLocked();
  }
  if (outbound_.empty()) return false;
  if ((writing_.has_stamps() || writing_.has_catch_up()) && spare_batches_.size() < kSpareBatches) {
    // Keep the written batch's stamp objects and string buffers for a later batch.
    v1::StampBatch* batch =
        writing_.has_stamps() ? writing_.mutable_stamps() : writing_.mutable_catch_up();
    batch->mutable_stamps()->Clear();
    batch->clear_covered();
    spare_batches_.push_back(std::move(writing_));
  }
  writing_ = std::move(outbound_.front());
  outbound_.pop_front();
  if (outbound_.empty()) back_batch_bytes_ = 0;
  queued_bytes_ -= std::min(queued_bytes_, MessageBytes(writing_));
  write_in_flight_ = true;
  write_started_ns_.store(absl::GetCurrentTimeNanos(), std::memory_order_relaxed);
  PublishQueueLocked();
  return true;
}

void LinkEndpoint::AppendLocked(const v1::LocationStamp& stamp, bool catch_up, uint64_t covered) {
  size_t size = EstimatedSize(stamp);
  auto batch_of = [catch_up](v1::PeerMessage& m) -> v1::StampBatch* {
    if (catch_up) return m.has_catch_up() ? m.mutable_catch_up() : nullptr;
    return m.has_stamps() ? m.mutable_stamps() : nullptr;
  };
  v1::StampBatch* batch = outbound_.empty() ? nullptr : batch_of(outbound_.back());
  if (batch == nullptr || batch->stamps_size() >= static_cast<int>(kMaxBatchStamps) ||
      back_batch_bytes_ + size > kMaxBatchBytes) {
    v1::PeerMessage* message;
    if (spare_batches_.empty()) {
      message = &outbound_.emplace_back();
    } else {
      outbound_.push_back(std::move(spare_batches_.back()));
      spare_batches_.pop_back();
      message = &outbound_.back();
    }
    // Switching the oneof keeps the cleared stamp objects only when the kind is the same.
    batch = catch_up ? message->mutable_catch_up() : message->mutable_stamps();
    back_batch_bytes_ = 0;
  }
  *batch->add_stamps() = stamp;
  if (!catch_up) batch->add_covered(covered);
  back_batch_bytes_ += size;
  queued_bytes_ += size;
}

size_t LinkEndpoint::queued_bytes() {
  absl::MutexLock lock(&mu_);
  return queued_bytes_;
}

void LinkEndpoint::SendSyncMessage(v1::PeerMessage message) {
  queued_bytes_ += message.ByteSizeLong();
  outbound_.push_back(std::move(message));
  back_batch_bytes_ = 0;
}

void LinkEndpoint::QueueLinkedPeers(uint64_t peers) {
  absl::MutexLock lock(&mu_);
  if (closed_ || overflowed_) return;
  v1::PeerMessage message;
  message.mutable_linked_peers()->set_peers(peers);
  SendSyncMessage(std::move(message));
}

void LinkEndpoint::SendCatchUp(const v1::LocationStamp& stamp) {
  AppendLocked(stamp, /*catch_up=*/true);
}

void LinkEndpoint::Enqueue(const v1::LocationStamp& stamp, uint64_t covered) {
  bool overflow = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || overflowed_) return;
    if (queued_bytes_ + EstimatedSize(stamp) > mesh_->options().max_queued_bytes) {
      // The peer cannot keep up. Cut the link rather than grow without bound; the anti-entropy
      // round on relink sends what it missed.
      overflowed_ = true;
      overflow = true;
      outbound_.clear();
      queued_bytes_ = back_batch_bytes_ = 0;
    } else {
      AppendLocked(stamp, /*catch_up=*/false, covered);
    }
    PublishQueueLocked();
  }
  if (overflow) {
    mesh_->log().Write(absl::StrCat("link ", link_->peer, " outbound queue full; cutting link"));
    Cancel();
  }
}

bool LinkEndpoint::TryBeginRound() {
  if (!link_->dials) return false;
  bool start_write;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || overflowed_ || sync_.in_round()) return false;
    if (!mesh_->TryAcquireSyncSlot(this)) return false;
    holds_sync_slot_ = true;
    sync_.BeginRound(this);
    start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
  return true;
}

void LinkEndpoint::AskPeerForRound() {
  bool start_write;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || overflowed_) return;
    v1::PeerMessage ask;
    ask.mutable_ranges()->set_level(0);
    SendSyncMessage(std::move(ask));
    start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
}

void LinkEndpoint::ReleaseSyncSlotLocked() {
  if (!holds_sync_slot_) return;
  holds_sync_slot_ = false;
  mesh_->ReleaseSyncSlot(this);
}

void LinkEndpoint::EndRoundLocked() {
  const RangeSync::RoundStats& stats = sync_.stats();
  ReleaseSyncSlotLocked();
  mesh_->CountRound(stats);
  // One line per round, never one per stamp.
  double ms = absl::ToDoubleMilliseconds(absl::Now() - stats.started);
  if (stats.differing_leaves == 0 && stats.sent == 0 && stats.received == 0) {
    mesh_->log().Write(absl::StrCat("sync ", link_->peer, ": stores equal (", ms, " ms)"));
  } else {
    mesh_->log().Write(absl::StrCat("sync ", link_->peer, ": ", stats.differing_leaves,
                                    " buckets differed; catch-up sent ", stats.sent,
                                    " stamps, received ", stats.received, " (", stats.stored,
                                    " newer) in ", ms, " ms"));
  }
  // What we learned may be news to our other peers.
  if (stats.stored > 0) mesh_->WantRoundsExcept(link_->peer);
}

void LinkEndpoint::PublishQueueLocked() {
  queued_bytes_view_.store(overflowed_ || closed_ ? SIZE_MAX : queued_bytes_,
                           std::memory_order_relaxed);
}

bool LinkEndpoint::KeepingUp(absl::Time now) const {
  if (queued_bytes_view_.load(std::memory_order_relaxed) >= kKeepingUpQueueBytes) return false;
  const int64_t started = write_started_ns_.load(std::memory_order_relaxed);
  return started == 0 || absl::FromUnixNanos(started) + kKeepingUpWriteTime > now;
}

void LinkEndpoint::HandleWriteDone(bool ok) {
  if (ok && link_->metrics != nullptr) {
    // `writing_` is the message just written; serializing it cached its size.
    PeerLinkMetrics& metrics = *link_->metrics;
    metrics.bytes_sent->Increment(writing_.GetCachedSize());
    if (writing_.has_stamps()) {
      metrics.stamps_sent->Increment(writing_.stamps().stamps_size());
      metrics.stamp_messages_sent->Increment();
    } else if (writing_.has_catch_up()) {
      metrics.catch_up_sent->Increment(writing_.catch_up().stamps_size());
    }
  }
  bool start_write = false;
  bool close = false;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    write_started_ns_.store(0, std::memory_order_relaxed);
    if (!ok) closed_ = true;
    PublishQueueLocked();
    if (closed_) {
      close = true;
    } else {
      start_write = TakeNextWriteLocked();
    }
  }
  if (start_write) StartWriteOp(&writing_);
  if (close) CloseStream();
}

void LinkEndpoint::HandleReadDone(bool ok) {
  if (ok) {
    if (link_->metrics != nullptr)
      link_->metrics->bytes_received->Increment(reading_->ByteSizeLong());
    HandleMessage(*reading_);
    bool closed;
    {
      absl::MutexLock lock(&mu_);
      closed = closed_;
    }
    if (!closed) {
      // Nothing refers to the message any more: what was kept of it was copied.
      read_arena_.Reset();
      reading_ = google::protobuf::Arena::CreateMessage<v1::PeerMessage>(&read_arena_);
      StartReadOp(reading_);
      return;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  CloseStream();
}

void LinkEndpoint::HandleMessage(const v1::PeerMessage& message) {
  if (message.body_case() == v1::PeerMessage::kHello) {
    HandleHello(message.hello());
    return;
  }
  if (message.body_case() == v1::PeerMessage::BODY_NOT_SET) return;
  if (!handshake_done_) {
    mesh_->log().Write(absl::StrCat("link ", link_->peer, ": message before hello; cutting"));
    Cancel();
    return;
  }
  switch (message.body_case()) {
    case v1::PeerMessage::kStamps:
      HandleStamps(message.stamps(), /*catch_up=*/false);
      return;
    case v1::PeerMessage::kCatchUp:
      HandleStamps(message.catch_up(), /*catch_up=*/true);
      return;
    case v1::PeerMessage::kLinkedPeers: {
      // Only the live stream speaks for the link (a replaced one may still be read).
      absl::MutexLock lock(&link_->mu);
      if (link_->live == this) {
        link_->peer_links.store(message.linked_peers().peers(), std::memory_order_relaxed);
      }
      return;
    }
    case v1::PeerMessage::kRanges:
    case v1::PeerMessage::kSummaries:
    case v1::PeerMessage::kWants:
    case v1::PeerMessage::kSyncDone:
      HandleSyncMessage(message);
      return;
    default:
      // A newer peer may speak messages this node does not know yet; ignore them.
      return;
  }
}

void LinkEndpoint::HandleStamps(const v1::StampBatch& batch, bool catch_up) {
  std::vector<const v1::LocationStamp*> stamps;
  stamps.reserve(batch.stamps_size());
  // Each flooded stamp's covered set; a batch without one per stamp covers nothing.
  std::vector<uint64_t> covered;
  const bool has_covered = !catch_up && batch.covered_size() == batch.stamps_size();
  if (has_covered) covered.reserve(batch.stamps_size());
  const Instant now = Now();
  for (int i = 0; i < batch.stamps_size(); ++i) {
    const v1::LocationStamp& stamp = batch.stamps(i);
    // Only what a genuine node could have made is stored or flooded.
    if (absl::Status valid = mesh_->validator().Check(stamp, now); valid.ok()) {
      stamps.push_back(&stamp);
      if (has_covered) covered.push_back(batch.covered(i));
    } else {
      mesh_->validator().RecordDropped(link_->peer, valid, &mesh_->log());
    }
  }
  if (!catch_up) {
    link_->flood_messages_received.fetch_add(1, std::memory_order_relaxed);
    link_->flood_stamps_received.fetch_add(batch.stamps_size(), std::memory_order_relaxed);
  }
  if (link_->metrics != nullptr) {
    (catch_up ? link_->metrics->catch_up_received : link_->metrics->stamps_received)
        ->Increment(batch.stamps_size());
  }
  StampSource source =
      catch_up ? StampSource::CatchUp(link_->peer) : StampSource::Flood(link_->peer);
  std::vector<StampStore::MergeResult> results;
  if (!mesh_->acceptor().Accept(stamps, source, &results, covered).ok()) {
    // Not durable here: drop the link, so the next round resends what this node lacks.
    Cancel();
    return;
  }
  if (!catch_up) return;
  absl::MutexLock lock(&mu_);
  for (StampStore::MergeResult result : results) {
    sync_.CountReceived(result == StampStore::MergeResult::kStored);
  }
}

void LinkEndpoint::HandleSyncMessage(const v1::PeerMessage& message) {
  {
    absl::MutexLock lock(&mu_);
    if (message.has_ranges() && message.ranges().level() == 0) {
      if (message.ranges().nodes_size() == 0) {
        // The peer asks us (the dialer) to lead a round; the mesh's ticker starts it.
        mesh_->WantRound(link_);
        return;
      }
      if (sync_.in_round()) return;  // only the dialer leads rounds: a confused peer
      if (!mesh_->TryAcquireSyncSlot(this)) {
        v1::PeerMessage busy;
        busy.mutable_sync_done()->set_busy(true);
        SendSyncMessage(std::move(busy));
      } else {
        holds_sync_slot_ = true;
        sync_.AcceptRound();
      }
    }
    if (message.has_sync_done() && message.sync_done().busy()) {
      // The peer is in a round on another link: try again a little later.
      if (sync_.in_round() && sync_.stats().initiator) {
        sync_.Abort();
        ReleaseSyncSlotLocked();
        mesh_->WantRound(link_, /*after_busy=*/true);
      }
    } else if (sync_.Handle(message, this)) {
      EndRoundLocked();
    }
  }
  KickWrite();
}

void LinkEndpoint::HandleHello(const v1::Hello& hello) {
  if (handshake_done_) return;
  if (hello.node() != link_->peer) {
    mesh_->log().Write(
        absl::StrCat("link ", link_->peer, ": peer says it is \"", hello.node(), "\"; cutting"));
    Cancel();
    return;
  }
  handshake_done_ = true;
  // Attach before the first round reads our digests: stamps stored from here on are flooded to
  // this link, and stamps stored before are covered by the round.
  mesh_->Attach(link_, this);
  if (link_->dials && !TryBeginRound()) mesh_->WantRound(link_);
}

void LinkEndpoint::HandleDone() {
  {
    absl::MutexLock lock(&mu_);
    if (sync_.in_round()) sync_.Abort();
    ReleaseSyncSlotLocked();
  }
  if (handshake_done_) mesh_->Detach(link_, this);
}

}  // namespace herd
