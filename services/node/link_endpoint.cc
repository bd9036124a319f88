#include "services/node/link_endpoint.h"

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd {
namespace {

// Wire-size estimate used to cut batches well below gRPC's message size limit.
size_t EstimatedSize(const v1::LocationStamp& stamp) {
  return stamp.client_id().size() + stamp.location_text().size() + stamp.client_time_text().size() +
         stamp.origin().size() + 64;
}

}  // namespace

LinkEndpoint::LinkEndpoint(PeerMesh* mesh, PeerMesh::Link* link) : mesh_(mesh), link_(link) {}

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
  StartReadOp(&reading_);
}

bool LinkEndpoint::TakeNextWriteLocked() {
  if (write_in_flight_ || closed_) return false;
  while (outbound_.empty() && snapshot_shard_ >= 0) QueueSnapshotShardLocked();
  if (outbound_.empty()) return false;
  if (writing_.has_stamps() && spare_batches_.size() < kSpareBatches) {
    // Keep the written batch's stamp objects and string buffers for a later batch.
    writing_.mutable_stamps()->Clear();
    spare_batches_.push_back(std::move(writing_));
  }
  writing_ = std::move(outbound_.front());
  outbound_.pop_front();
  if (outbound_.empty()) back_batch_bytes_ = 0;
  for (const v1::LocationStamp& stamp : writing_.stamps().stamps()) {
    queued_bytes_ -= EstimatedSize(stamp);
  }
  write_in_flight_ = true;
  return true;
}

void LinkEndpoint::AppendLocked(const v1::LocationStamp& stamp) {
  size_t size = EstimatedSize(stamp);
  if (outbound_.empty() || !outbound_.back().has_stamps() ||
      outbound_.back().stamps().stamps_size() >= static_cast<int>(kMaxBatchStamps) ||
      back_batch_bytes_ + size > kMaxBatchBytes) {
    if (spare_batches_.empty()) {
      outbound_.emplace_back().mutable_stamps();
    } else {
      outbound_.push_back(std::move(spare_batches_.back()));
      spare_batches_.pop_back();
    }
    back_batch_bytes_ = 0;
  }
  *outbound_.back().mutable_stamps()->add_stamps() = stamp;
  back_batch_bytes_ += size;
  queued_bytes_ += size;
}

void LinkEndpoint::Enqueue(const v1::LocationStamp& stamp) {
  bool start_write = false;
  bool overflow = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_ || overflowed_) return;
    if (queued_bytes_ + EstimatedSize(stamp) > kMaxQueuedBytes) {
      // The peer cannot keep up. Cut the link rather than grow without bound; the catch-up
      // exchange on relink sends what it missed.
      overflowed_ = true;
      overflow = true;
      outbound_.clear();
      queued_bytes_ = back_batch_bytes_ = 0;
    } else {
      AppendLocked(stamp);
      start_write = TakeNextWriteLocked();
    }
  }
  if (overflow) {
    mesh_->log().Write(absl::StrCat("link ", link_->peer, " outbound queue full; cutting link"));
    Cancel();
    return;
  }
  if (start_write) StartWriteOp(&writing_);
}

void LinkEndpoint::SendSnapshot() {
  bool start_write;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    mesh_->log().Write(absl::StrCat("link ", link_->peer, " stores differ; sending all stamps"));
    snapshot_shard_ = 0;
    snapshot_sent_ = 0;
    start_write = TakeNextWriteLocked();
  }
  if (start_write) StartWriteOp(&writing_);
}

void LinkEndpoint::QueueSnapshotShardLocked() {
  mesh_->store().ForEachInShard(
      snapshot_shard_, [&](const v1::LocationStamp& stamp) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        AppendLocked(stamp);
        mesh_->log().Write(absl::StrCat("send ", FormatAtLine(stamp), " to ", link_->peer));
        ++snapshot_sent_;
      });
  if (++snapshot_shard_ == StampStore::kShards) {
    snapshot_shard_ = -1;
    mesh_->log().Write(
        absl::StrCat("link ", link_->peer, " catch-up queued: ", snapshot_sent_, " stamps"));
  }
}

void LinkEndpoint::HandleWriteDone(bool ok) {
  bool start_write = false;
  bool close = false;
  {
    absl::MutexLock lock(&mu_);
    write_in_flight_ = false;
    if (!ok) closed_ = true;
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
    HandleMessage(reading_);
    bool closed;
    {
      absl::MutexLock lock(&mu_);
      closed = closed_;
    }
    if (!closed) {
      StartReadOp(&reading_);
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
  switch (message.body_case()) {
    case v1::PeerMessage::kHello:
      HandleHello(message.hello());
      return;
    case v1::PeerMessage::kStamps:
      if (!handshake_done_) {
        mesh_->log().Write(absl::StrCat("link ", link_->peer, ": stamps before hello; cutting"));
        Cancel();
        return;
      }
      for (const v1::LocationStamp& stamp : message.stamps().stamps()) {
        // Only what a genuine node could have made is stored or flooded.
        if (absl::Status valid = mesh_->validator().Check(stamp, Now()); !valid.ok()) {
          mesh_->validator().RecordDropped(link_->peer, valid, &mesh_->log());
          continue;
        }
        bool stored = mesh_->store().Merge(stamp) == StampStore::MergeResult::kStored;
        std::string at_line = FormatAtLine(stamp);
        mesh_->log().Write(
            absl::StrCat("recv ", at_line, " from ", link_->peer, stored ? " stored" : " stale"));
        if (stored) mesh_->Flood(stamp, at_line, link_->peer);
      }
      return;
    default:
      // A newer peer may speak messages this node does not know yet; ignore them.
      return;
  }
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
  // Attach before reading our digest: stamps stored from here on are flooded to this link, and
  // stamps stored before are covered by the digest comparison below.
  mesh_->Attach(link_, this);
  if (hello.store_digest() != mesh_->store().Digest() ||
      hello.stamp_count() != mesh_->store().size()) {
    SendSnapshot();
  }
}

void LinkEndpoint::HandleDone() {
  if (handshake_done_) mesh_->Detach(link_, this);
}

}  // namespace herd
