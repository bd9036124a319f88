#ifndef HERD_SERVICES_NODE_STAMP_STORE_H_
#define HERD_SERVICES_NODE_STAMP_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "herd/v1/stamp.pb.h"

namespace herd {

// The latest stamp of every client this node knows, merged last-writer-wins (CompareStamps).
// Merging is commutative and idempotent, so every node converges to the same contents whatever
// order stamps arrive in. Sharded so concurrent merges of different clients rarely contend.
class StampStore {
 public:
  enum class MergeResult { kStored, kStale };

  // Keeps `stamp` if it is newer than what the store holds for its client.
  MergeResult Merge(const v1::LocationStamp& stamp);
  std::optional<v1::LocationStamp> Get(absl::string_view client_id) const;

  // Order-independent digest of the whole store: equal stores have equal digests on every node.
  uint64_t Digest() const;
  uint64_t size() const;

  // Calls `fn` for every stamp, one shard at a time (the shard is locked during its calls).
  void ForEach(const std::function<void(const v1::LocationStamp&)>& fn) const;
  // The same for one shard, so a long walk can be done in steps.
  void ForEachInShard(int shard, const std::function<void(const v1::LocationStamp&)>& fn) const;
  static constexpr int kShards = 32;

  // Stable 64-bit hash of a stamp's contents (FNV-1a over a canonical encoding).
  static uint64_t StampHash(const v1::LocationStamp& stamp);

 private:
  struct Shard {
    mutable absl::Mutex mu;
    absl::flat_hash_map<std::string, v1::LocationStamp> stamps ABSL_GUARDED_BY(mu);
    uint64_t digest ABSL_GUARDED_BY(mu) = 0;
  };
  Shard& ShardFor(absl::string_view client_id) const;

  mutable std::array<Shard, kShards> shards_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_STORE_H_
