#include "services/node/stamp_store.h"

#include "services/core/stamp.h"

namespace herd {
namespace {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

void Mix(uint64_t& h, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= bytes[i];
    h *= kFnvPrime;
  }
}

void MixString(uint64_t& h, const std::string& s) {
  uint64_t size = s.size();
  Mix(h, &size, sizeof(size));
  Mix(h, s.data(), s.size());
}

void MixInt(uint64_t& h, uint64_t v) { Mix(h, &v, sizeof(v)); }

// FNV-1a's high bits are poorly mixed for short keys; the leaf is taken from them.
uint64_t Finalize(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

uint64_t StampStore::StampHash(const v1::LocationStamp& stamp) {
  uint64_t h = kFnvOffset;
  MixString(h, stamp.client_id());
  MixString(h, stamp.location_text());
  MixString(h, stamp.client_time_text());
  MixString(h, stamp.origin());
  MixInt(h, static_cast<uint64_t>(stamp.received_at().seconds()));
  MixInt(h, stamp.received_at().nanos());
  return h;
}

uint64_t StampStore::KeyHash(absl::string_view client_id) {
  uint64_t h = kFnvOffset;
  Mix(h, client_id.data(), client_id.size());
  return Finalize(h);
}

size_t StampStore::TreeOffset(int level) {
  size_t offset = 0;
  for (int l = 0; l < level; ++l) offset += NodesAt(l);
  return offset;
}

// The inner levels are atomics; the leaves live in their buckets, under their shard's lock.
StampStore::StampStore()
    : shards_(new Shard[kShards]),
      tree_digests_(new std::atomic<uint64_t>[TreeOffset(kLeafLevel)]),
      tree_counts_(new std::atomic<uint64_t>[TreeOffset(kLeafLevel)]) {
  for (size_t i = 0; i < TreeOffset(kLeafLevel); ++i) {
    tree_digests_[i].store(0, std::memory_order_relaxed);
    tree_counts_[i].store(0, std::memory_order_relaxed);
  }
}

void StampStore::PrefetchBucket(uint64_t key_hash) const {
  const uint32_t leaf = LeafOf(key_hash);
  const Bucket* first = ShardOf(leaf).first_bucket.load(std::memory_order_relaxed);
  if (first != nullptr) __builtin_prefetch(first + leaf % kLeavesPerShard);
}

void StampStore::PrefetchEntry(absl::string_view client_id, uint64_t key_hash) const {
  const uint32_t leaf = LeafOf(key_hash);
  Shard& shard = ShardOf(leaf);
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.empty()) return;
  shard.buckets[leaf % kLeavesPerShard].stamps.prefetch(ClientKey{client_id, key_hash});
}

void StampStore::UpdateTree(uint32_t leaf, uint64_t digest_delta, int64_t count_delta) {
  for (int level = kLeafLevel - 1; level >= 0; --level) {
    size_t node = TreeOffset(level) + (leaf >> (kFanoutBits * (kLeafLevel - level)));
    tree_digests_[node].fetch_xor(digest_delta, std::memory_order_relaxed);
    if (count_delta != 0) {
      tree_counts_[node].fetch_add(static_cast<uint64_t>(count_delta), std::memory_order_relaxed);
    }
  }
}

StampStore::MergeResult StampStore::Merge(const v1::LocationStamp& stamp) {
  const MergeResult result = MergeInShard(stamp);
  if (result == MergeResult::kStored) {
    for (StampObserver* observer : observers_) observer->AfterStored();
  }
  return result;
}

StampStore::MergeResult StampStore::MergeInShard(const v1::LocationStamp& stamp) {
  const uint64_t key_hash = KeyHash(stamp.client_id());
  const uint32_t leaf = LeafOf(key_hash);
  Shard& shard = ShardOf(leaf);
  const ClientKey key{stamp.client_id(), key_hash};
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.empty()) {
    shard.buckets.resize(kLeavesPerShard);
    shard.first_bucket.store(shard.buckets.data(), std::memory_order_relaxed);
  }
  Bucket& bucket = shard.buckets[leaf % kLeavesPerShard];
  auto it = bucket.stamps.find(key);
  const StoredStamp* previous = it == bucket.stamps.end() ? nullptr : it->record.get();
  if (previous != nullptr && CompareStamps(stamp, *previous) <= 0) return MergeResult::kStale;
  // Hashed only once known to be newer: a node reached over two paths gets half its stamps twice.
  const uint64_t new_hash = StampHash(stamp);
  uint64_t delta = new_hash;
  if (previous != nullptr) delta ^= previous->stamp_hash();
  for (StampObserver* observer : observers_) observer->OnStored(previous, stamp, key_hash);
  if (previous == nullptr) {
    // Placed by the key's hash, already known, rather than by hashing the new record's id.
    bucket.stamps.lazy_emplace(key, [&](const auto& construct) {
      construct(Slot{StoredStamp::Make(stamp, key_hash, new_hash)});
    });
  } else if (!it->record->TryOverwrite(stamp, new_hash)) {
    it->record = StoredStamp::Make(stamp, key_hash, new_hash);
  }
  bucket.digest ^= delta;
  bucket.count += previous == nullptr ? 1 : 0;
  UpdateTree(leaf, delta, previous == nullptr ? 1 : 0);
  return MergeResult::kStored;
}

std::optional<v1::LocationStamp> StampStore::Get(absl::string_view client_id) const {
  const uint64_t key_hash = KeyHash(client_id);
  const uint32_t leaf = LeafOf(key_hash);
  Shard& shard = ShardOf(leaf);
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.empty()) return std::nullopt;
  const Bucket& bucket = shard.buckets[leaf % kLeavesPerShard];
  auto it = bucket.stamps.find(ClientKey{client_id, key_hash});
  if (it == bucket.stamps.end()) return std::nullopt;
  return it->record->ToProto();
}

uint64_t StampStore::NodeDigest(int level, uint32_t index) const {
  if (level == kLeafLevel) {
    Shard& shard = ShardOf(index);
    absl::MutexLock lock(&shard.mu);
    return shard.buckets.empty() ? 0 : shard.buckets[index % kLeavesPerShard].digest;
  }
  return tree_digests_[TreeOffset(level) + index].load(std::memory_order_relaxed);
}

uint64_t StampStore::NodeCount(int level, uint32_t index) const {
  if (level == kLeafLevel) {
    Shard& shard = ShardOf(index);
    absl::MutexLock lock(&shard.mu);
    return shard.buckets.empty() ? 0 : shard.buckets[index % kLeavesPerShard].count;
  }
  return tree_counts_[TreeOffset(level) + index].load(std::memory_order_relaxed);
}

std::vector<std::pair<uint64_t, uint64_t>> StampStore::LeafSummary(uint32_t leaf) const {
  std::vector<std::pair<uint64_t, uint64_t>> summary;
  Shard& shard = ShardOf(leaf);
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.empty()) return summary;
  const Bucket& bucket = shard.buckets[leaf % kLeavesPerShard];
  summary.reserve(bucket.stamps.size());
  for (const Slot& slot : bucket.stamps) {
    summary.emplace_back(KeyHash(slot.record->client_id()), slot.record->stamp_hash());
  }
  return summary;
}

void StampStore::ForEachInLeaf(uint32_t leaf,
                               const std::function<void(const StoredStamp&)>& fn) const {
  Shard& shard = ShardOf(leaf);
  absl::MutexLock lock(&shard.mu);
  if (shard.buckets.empty()) return;
  for (const Slot& slot : shard.buckets[leaf % kLeavesPerShard].stamps) fn(*slot.record);
}

void StampStore::ForEach(const std::function<void(const v1::LocationStamp&)>& fn) const {
  v1::LocationStamp stamp;
  for (int s = 0; s < kShards; ++s) {
    absl::MutexLock lock(&shards_[s].mu);
    for (const Bucket& bucket : shards_[s].buckets) {
      for (const Slot& slot : bucket.stamps) {
        slot.record->ToProto(&stamp);
        fn(stamp);
      }
    }
  }
}

}  // namespace herd
