#include "services/node/range_sync.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace herd {
namespace {

constexpr uint32_t kFanout = 1u << StampStore::kFanoutBits;

bool SameNode(const StampStore& store, int level, uint32_t node, uint64_t digest, uint64_t count) {
  return store.NodeDigest(level, node) == digest && store.NodeCount(level, node) == count;
}

}  // namespace

void RangeSync::Start(bool initiator) {
  in_round_ = true;
  done_queued_ = sent_done_ = peer_done_ = false;
  tasks_.clear();
  stats_ = RoundStats();
  stats_.initiator = initiator;
  stats_.started = absl::Now();
}

void RangeSync::BeginRound(SyncOutput* out) {
  Start(/*initiator=*/true);
  v1::PeerMessage message;
  v1::RangeDigests* root = message.mutable_ranges();
  root->set_level(0);
  root->add_nodes(0);
  root->add_digests(store_->Digest());
  root->add_counts(store_->size());
  Send(std::move(message), out);
}

void RangeSync::AcceptRound() { Start(/*initiator=*/false); }

void RangeSync::Abort() {
  in_round_ = false;
  tasks_.clear();
}

void RangeSync::Send(v1::PeerMessage message, SyncOutput* out) {
  ++stats_.messages_sent;
  out->SendSyncMessage(std::move(message));
}

void RangeSync::QueueDone() {
  if (done_queued_) return;
  done_queued_ = true;
  Task task(Task::Kind::kDone);
  tasks_.push_back(std::move(task));
}

void RangeSync::CountReceived(bool stored) {
  ++stats_.received;
  if (stored) ++stats_.stored;
}

bool RangeSync::Handle(const v1::PeerMessage& message, SyncOutput* out) {
  if (!in_round_) return false;  // a stray message of a round that was aborted
  switch (message.body_case()) {
    case v1::PeerMessage::kRanges:
      HandleRanges(message.ranges(), out);
      return false;
    case v1::PeerMessage::kSummaries:
      HandleSummaries(message.summaries(), out);
      return false;
    case v1::PeerMessage::kWants:
      HandleWants(message.wants());
      return false;
    case v1::PeerMessage::kSyncDone:
      peer_done_ = true;
      // The peer will send nothing more, so nothing more will be asked of us either.
      QueueDone();
      if (Finished()) {
        in_round_ = false;
        return true;
      }
      return false;
    default:
      return false;
  }
}

void RangeSync::HandleRanges(const v1::RangeDigests& ranges, SyncOutput* out) {
  const int level = static_cast<int>(ranges.level());
  const int n = ranges.nodes_size();
  if (level > StampStore::kLeafLevel || ranges.digests_size() != n || ranges.counts_size() != n) {
    QueueDone();  // malformed: end the round rather than guess
    return;
  }
  std::vector<uint32_t> differing;
  std::vector<uint32_t> peer_empty;
  for (int i = 0; i < n; ++i) {
    uint32_t node = ranges.nodes(i);
    if (node >= StampStore::NodesAt(level)) continue;
    if (SameNode(*store_, level, node, ranges.digests(i), ranges.counts(i))) continue;
    if (level == StampStore::kLeafLevel && ranges.counts(i) == 0) {
      peer_empty.push_back(node);
    } else {
      differing.push_back(node);
    }
  }
  if (differing.empty() && peer_empty.empty()) {
    QueueDone();
    return;
  }
  if (level < StampStore::kLeafLevel) {
    v1::PeerMessage message;
    v1::RangeDigests* children = message.mutable_ranges();
    children->set_level(level + 1);
    for (uint32_t node : differing) {
      for (uint32_t k = 0; k < kFanout; ++k) {
        uint32_t child = node * kFanout + k;
        children->add_nodes(child);
        children->add_digests(store_->NodeDigest(level + 1, child));
        children->add_counts(store_->NodeCount(level + 1, child));
      }
    }
    Send(std::move(message), out);
    return;
  }
  stats_.differing_leaves += differing.size() + peer_empty.size();
  // The peer holds nothing there: send the whole bucket, no summary needed.
  for (uint32_t leaf : peer_empty) {
    Task task(Task::Kind::kStampsNotIn);
    task.leaf = leaf;
    tasks_.push_back(std::move(task));
  }
  // Always at least one summaries message (possibly empty, marked last), so the peer answers
  // with its last wants and the round can end.
  Task summaries(Task::Kind::kSummaries);
  summaries.leaves = std::move(differing);
  tasks_.push_back(std::move(summaries));
}

void RangeSync::HandleSummaries(const v1::BucketSummaries& summaries, SyncOutput* out) {
  v1::PeerMessage message;
  v1::StampWants* wants = message.mutable_wants();
  for (const v1::BucketSummaries::Bucket& bucket : summaries.buckets()) {
    if (bucket.leaf() >= static_cast<uint32_t>(StampStore::kLeaves) ||
        bucket.key_hashes_size() != bucket.stamp_hashes_size()) {
      continue;
    }
    ++stats_.differing_leaves;
    Task task(Task::Kind::kStampsNotIn);
    task.leaf = bucket.leaf();
    task.peer_entries.reserve(bucket.key_hashes_size());
    for (int i = 0; i < bucket.key_hashes_size(); ++i) {
      task.peer_entries.emplace_back(bucket.key_hashes(i), bucket.stamp_hashes(i));
    }
    std::sort(task.peer_entries.begin(), task.peer_entries.end());
    std::vector<std::pair<uint64_t, uint64_t>> mine = store_->LeafSummary(bucket.leaf());
    std::sort(mine.begin(), mine.end());
    v1::StampWants::Bucket* wanted = nullptr;
    for (const auto& entry : task.peer_entries) {
      // Ours is the same stamp: nothing to ask for.
      if (std::binary_search(mine.begin(), mine.end(), entry)) continue;
      if (wanted == nullptr) {
        wanted = wants->add_buckets();
        wanted->set_leaf(bucket.leaf());
      }
      wanted->add_key_hashes(entry.first);
    }
    tasks_.push_back(std::move(task));
  }
  wants->set_last(summaries.last());
  Send(std::move(message), out);
  if (summaries.last()) QueueDone();
}

void RangeSync::HandleWants(const v1::StampWants& wants) {
  for (const v1::StampWants::Bucket& bucket : wants.buckets()) {
    if (bucket.leaf() >= static_cast<uint32_t>(StampStore::kLeaves)) continue;
    Task task(Task::Kind::kWantedStamps);
    task.leaf = bucket.leaf();
    task.wanted_keys.assign(bucket.key_hashes().begin(), bucket.key_hashes().end());
    std::sort(task.wanted_keys.begin(), task.wanted_keys.end());
    tasks_.push_back(std::move(task));
  }
  if (wants.last()) QueueDone();
}

bool RangeSync::Pump(SyncOutput* out) {
  if (tasks_.empty()) return false;
  Task& task = tasks_.front();
  v1::LocationStamp stamp;  // each record sent, as a message
  switch (task.kind) {
    case Task::Kind::kSummaries: {
      v1::PeerMessage message;
      v1::BucketSummaries* summaries = message.mutable_summaries();
      size_t entries = 0;
      while (task.cursor < task.leaves.size() && entries < kMaxSummaryEntries) {
        uint32_t leaf = task.leaves[task.cursor++];
        v1::BucketSummaries::Bucket* bucket = summaries->add_buckets();
        bucket->set_leaf(leaf);
        for (const auto& [key, hash] : store_->LeafSummary(leaf)) {
          bucket->add_key_hashes(key);
          bucket->add_stamp_hashes(hash);
          ++entries;
        }
      }
      bool last = task.cursor >= task.leaves.size();
      summaries->set_last(last);
      if (last) tasks_.pop_front();
      Send(std::move(message), out);
      return false;
    }
    case Task::Kind::kStampsNotIn:
      store_->ForEachInLeaf(task.leaf, [&](const StoredStamp& record) {
        if (std::binary_search(
                task.peer_entries.begin(), task.peer_entries.end(),
                std::make_pair(StampStore::KeyHash(record.client_id()), record.stamp_hash()))) {
          return;
        }
        record.ToProto(&stamp);
        out->SendCatchUp(stamp);
        ++stats_.sent;
      });
      tasks_.pop_front();
      return false;
    case Task::Kind::kWantedStamps:
      store_->ForEachInLeaf(task.leaf, [&](const StoredStamp& record) {
        if (!std::binary_search(task.wanted_keys.begin(), task.wanted_keys.end(),
                                StampStore::KeyHash(record.client_id()))) {
          return;
        }
        record.ToProto(&stamp);
        out->SendCatchUp(stamp);
        ++stats_.sent;
      });
      tasks_.pop_front();
      return false;
    case Task::Kind::kDone: {
      tasks_.pop_front();
      v1::PeerMessage message;
      message.mutable_sync_done()->set_stamps_sent(stats_.sent);
      Send(std::move(message), out);
      sent_done_ = true;
      if (Finished()) {
        in_round_ = false;
        return true;
      }
      return false;
    }
  }
  return false;
}

}  // namespace herd
