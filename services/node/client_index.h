#ifndef HERD_SERVICES_NODE_CLIENT_INDEX_H_
#define HERD_SERVICES_NODE_CLIENT_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/synchronization/mutex.h"
#include "herd/v1/stamp.pb.h"
#include "s2/s2point.h"
#include "services/node/client_area.h"
#include "services/node/stamp_observer.h"
#include "services/node/stamp_store.h"

namespace herd {

// A spatial index over the clients of a StampStore: where each client's latest stamp is, kept
// up to date as an observer of the store (every stored stamp moves its client's entry; the old
// position is removed). An entry is 16 bytes, (S2 leaf cell id, client key hash), in one of
// kShards btrees split by the level-3 S2 cell (so a search locks only the few shards its area
// touches, and writers in different parts of the world do not meet). The stamps themselves stay
// in the store: a search reads each candidate's stamp from its leaf bucket by key hash and
// decides on the stamp as stored.
class ClientIndex : public StampObserver {
 public:
  explicit ClientIndex(const StampStore* store);

  void OnStored(const StoredStamp* previous, const v1::LocationStamp& stored,
                uint64_t key_hash) override;

  struct Query {
    const ClientArea* area = nullptr;
    // Hits are ordered by great-circle distance from here, then by client id.
    double center_latitude = 0, center_longitude = 0;
    size_t max_results = 0;
    // Leaves out this client (the centre client of a search by client id); empty: none.
    std::string exclude_client_id;
    // With has_min_received: only stamps whose origin received them at or after this second.
    bool has_min_received = false;
    int64_t min_received_seconds = 0;
  };
  struct Hit {
    v1::LocationStamp stamp;
    double distance_m;
  };
  // The nearest `max_results` clients in the area, nearest first (ties by client id).
  std::vector<Hit> Search(const Query& query) const;

  // Entries held (one per client once the store has stored each).
  size_t size() const;

  static constexpr int kShardLevel = 3;
  static constexpr int kShards = 6 << (2 * kShardLevel);  // 384

 private:
  using Entry = std::pair<uint64_t, uint64_t>;  // (leaf cell id, key hash)
  struct Shard {
    mutable absl::Mutex mu;
    absl::btree_multiset<Entry> entries ABSL_GUARDED_BY(mu);
  };
  static int ShardOf(uint64_t cell_id) {
    return static_cast<int>(cell_id >> (64 - 3 - 2 * kShardLevel));
  }

  const StampStore* const store_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_CLIENT_INDEX_H_
