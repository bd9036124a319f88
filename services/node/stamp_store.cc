#include "services/node/stamp_store.h"

#include "absl/hash/hash.h"
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

StampStore::Shard& StampStore::ShardFor(absl::string_view client_id) const {
  // absl::Hash is only used to pick a shard inside this process, never compared across nodes.
  return shards_[absl::Hash<absl::string_view>()(client_id) % kShards];
}

StampStore::MergeResult StampStore::Merge(const v1::LocationStamp& stamp) {
  Shard& shard = ShardFor(stamp.client_id());
  absl::MutexLock lock(&shard.mu);
  auto [it, inserted] = shard.stamps.try_emplace(stamp.client_id());
  if (!inserted) {
    if (CompareStamps(stamp, it->second) <= 0) return MergeResult::kStale;
    shard.digest ^= StampHash(it->second);
  }
  it->second = stamp;
  shard.digest ^= StampHash(stamp);
  return MergeResult::kStored;
}

std::optional<v1::LocationStamp> StampStore::Get(absl::string_view client_id) const {
  Shard& shard = ShardFor(client_id);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.stamps.find(client_id);
  if (it == shard.stamps.end()) return std::nullopt;
  return it->second;
}

uint64_t StampStore::Digest() const {
  uint64_t digest = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    digest ^= shard.digest;
  }
  return digest;
}

uint64_t StampStore::size() const {
  uint64_t total = 0;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    total += shard.stamps.size();
  }
  return total;
}

void StampStore::ForEach(const std::function<void(const v1::LocationStamp&)>& fn) const {
  for (int shard = 0; shard < kShards; ++shard) ForEachInShard(shard, fn);
}

void StampStore::ForEachInShard(int index,
                                const std::function<void(const v1::LocationStamp&)>& fn) const {
  Shard& shard = shards_[index];
  absl::MutexLock lock(&shard.mu);
  for (const auto& [client, stamp] : shard.stamps) fn(stamp);
}

}  // namespace herd
