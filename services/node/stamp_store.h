#ifndef HERD_SERVICES_NODE_STAMP_STORE_H_
#define HERD_SERVICES_NODE_STAMP_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "herd/v1/stamp.pb.h"
#include "services/node/stamp_observer.h"
#include "services/node/stored_stamp.h"

namespace herd {

// The latest stamp of every client this node knows, merged last-writer-wins (CompareStamps).
// Merging is commutative and idempotent, so every node converges to the same contents whatever
// order stamps arrive in.
//
// Clients are placed by a stable hash of their id (KeyHash) into kLeaves leaf buckets. A digest
// tree over the buckets (fan-out 16, kLevels levels; each node holds the XOR of its stamps'
// hashes and their count) is updated on every merge in O(kLevels), so two nodes can find the
// buckets where they differ by comparing a few tree nodes (anti-entropy, services/node/README.md).
// Buckets are grouped into shards, each under its own lock. Each client's stamp is one
// StoredStamp record (a single allocation), found by id through a set of pointers.
class StampStore {
 public:
  enum class MergeResult { kStored, kStale };

  static constexpr int kFanoutBits = 4;  // 16 children per tree node
  static constexpr int kLevels = 5;      // root .. leaves
  static constexpr int kLeafLevel = kLevels - 1;
  static constexpr int kLeaves = 1 << (kFanoutBits * kLeafLevel);  // 65536
  static constexpr int kShards = 64;

  StampStore();

  // Observers are told of every stored stamp (StampObserver). Add them before the first Merge.
  void AddObserver(StampObserver* observer) { observers_.push_back(observer); }

  // Keeps `stamp` if it is newer than what the store holds for its client.
  MergeResult Merge(const v1::LocationStamp& stamp);
  // Asks the CPU for the bucket a Merge of the client with KeyHash `key_hash` reads first. At
  // 100,000 clients the bucket is a cache miss; a batch prefetches a few stamps ahead of the one
  // it merges (StampAcceptor).
  void PrefetchBucket(uint64_t key_hash) const;
  // Then, once the bucket is in cache, the part of its table the client's entry is in.
  void PrefetchEntry(absl::string_view client_id, uint64_t key_hash) const;
  std::optional<v1::LocationStamp> Get(absl::string_view client_id) const;

  // Order-independent digest of the whole store: equal stores have equal digests on every node.
  uint64_t Digest() const { return NodeDigest(0, 0); }
  uint64_t size() const { return NodeCount(0, 0); }

  // A tree node's digest and stamp count; `index` < NodesAt(level).
  uint64_t NodeDigest(int level, uint32_t index) const;
  uint64_t NodeCount(int level, uint32_t index) const;
  static uint32_t NodesAt(int level) { return 1u << (kFanoutBits * level); }

  // (key hash, stamp hash) of every stamp in a leaf bucket.
  std::vector<std::pair<uint64_t, uint64_t>> LeafSummary(uint32_t leaf) const;
  // Calls `fn` for every stamp of a leaf bucket (its shard is locked during the calls; the
  // record lives only as long as the call).
  void ForEachInLeaf(uint32_t leaf, const std::function<void(const StoredStamp&)>& fn) const;
  // Calls `fn` for every stamp, one shard at a time (the message is reused between calls).
  void ForEach(const std::function<void(const v1::LocationStamp&)>& fn) const;

  // Stable 64-bit hash of a stamp's contents (FNV-1a over a canonical encoding).
  static uint64_t StampHash(const v1::LocationStamp& stamp);
  // Stable 64-bit hash of a client id; the same on every node.
  static uint64_t KeyHash(absl::string_view client_id);
  static uint32_t LeafOf(uint64_t key_hash) {
    return static_cast<uint32_t>(key_hash >> (64 - kFanoutBits * kLeafLevel));
  }

 private:
  // A client's record. The set hashes and compares a record only by its client id, which a
  // replacement keeps, so the pointer may be swapped in place.
  struct Slot {
    mutable StoredStamp::Ptr record;
  };
  // Lookup by id without building a record; `hash` is KeyHash(id).
  struct ClientKey {
    absl::string_view id;
    uint64_t hash;
  };
  struct SlotHash {
    using is_transparent = void;
    // Only when the set grows (a lookup or an insert hashes a ClientKey).
    size_t operator()(const Slot& slot) const { return KeyHash(slot.record->client_id()); }
    size_t operator()(const ClientKey& key) const { return key.hash; }
  };
  struct SlotEq {
    using is_transparent = void;
    bool operator()(const Slot& a, const Slot& b) const {
      return a.record->client_id() == b.record->client_id();
    }
    bool operator()(const Slot& a, const ClientKey& b) const {
      return a.record->client_id() == b.id;
    }
    bool operator()(const ClientKey& a, const Slot& b) const {
      return a.id == b.record->client_id();
    }
  };
  struct Bucket {
    absl::flat_hash_set<Slot, SlotHash, SlotEq> stamps;
    uint64_t digest = 0;  // the leaf's tree node
    uint64_t count = 0;
  };
  static constexpr int kLeavesPerShard = kLeaves / kShards;
  struct Shard {
    mutable absl::Mutex mu;
    // kLeavesPerShard buckets by leaf, allocated on the shard's first stamp (a store is cheap
    // to create) and never resized after.
    std::vector<Bucket> buckets ABSL_GUARDED_BY(mu);
    // buckets.data() once allocated: PrefetchBucket computes an address from it without the
    // lock (and never reads through it).
    std::atomic<const Bucket*> first_bucket{nullptr};
  };
  Shard& ShardOf(uint32_t leaf) const { return shards_[leaf / kLeavesPerShard]; }
  static size_t TreeOffset(int level);
  // Merge's work under the client's shard lock; Merge then calls the observers' AfterStored.
  MergeResult MergeInShard(const v1::LocationStamp& stamp);
  // Applies a change of one leaf (digest XOR `digest_delta`, count + `count_delta`) to every
  // tree node above it. Lock-free: inner tree nodes are atomics, and XOR and + commute.
  void UpdateTree(uint32_t leaf, uint64_t digest_delta, int64_t count_delta);

  std::vector<StampObserver*> observers_;
  mutable std::unique_ptr<Shard[]> shards_;
  std::unique_ptr<std::atomic<uint64_t>[]> tree_digests_;
  std::unique_ptr<std::atomic<uint64_t>[]> tree_counts_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_STORE_H_
