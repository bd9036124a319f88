#include "services/node/client_index.h"

#include <algorithm>

#include "s2/s2cell_id.h"
#include "services/places/geo_math.h"

namespace herd {
namespace {

template <typename Stamp>
uint64_t CellOf(const Stamp& stamp) {
  return S2CellId(places::PointFromDegrees(stamp.latitude(), stamp.longitude())).id();
}

// Cells of a box search's covering: more cells fit the area closer (fewer candidates to read)
// but cost a btree seek each.
constexpr int kSearchCoveringCells = 12;

bool Nearer(const ClientIndex::Hit& a, const ClientIndex::Hit& b) {
  if (a.distance_m != b.distance_m) return a.distance_m < b.distance_m;
  return a.stamp.client_id() < b.stamp.client_id();
}

}  // namespace

ClientIndex::ClientIndex(const StampStore* store) : store_(store), shards_(new Shard[kShards]) {}

void ClientIndex::OnStored(const StoredStamp* previous, const v1::LocationStamp& stored,
                           uint64_t key_hash) {
  // A client that reports the same point again (the common case) keeps its entry, found without
  // the trigonometry of a cell id.
  if (previous != nullptr && previous->latitude() == stored.latitude() &&
      previous->longitude() == stored.longitude()) {
    return;
  }
  const uint64_t cell = CellOf(stored);
  if (previous != nullptr) {
    const uint64_t old_cell = CellOf(*previous);
    if (old_cell == cell) return;
    Shard& shard = shards_[ShardOf(old_cell)];
    absl::MutexLock lock(&shard.mu);
    auto it = shard.entries.find(Entry(old_cell, key_hash));
    if (it != shard.entries.end()) shard.entries.erase(it);
  }
  Shard& shard = shards_[ShardOf(cell)];
  absl::MutexLock lock(&shard.mu);
  shard.entries.insert(Entry(cell, key_hash));
}

size_t ClientIndex::size() const {
  size_t total = 0;
  for (int s = 0; s < kShards; ++s) {
    absl::MutexLock lock(&shards_[s].mu);
    total += shards_[s].entries.size();
  }
  return total;
}

std::vector<ClientIndex::Hit> ClientIndex::Search(const Query& query) const {
  std::vector<Hit> hits;
  if (query.max_results == 0 || query.area == nullptr) return hits;

  // 1. Candidates: every entry in a cell of the covering (a superset of the area).
  std::vector<uint64_t> candidates;
  for (const S2CellId& cell : query.area->SearchCovering(kSearchCoveringCells)) {
    const uint64_t lo = cell.range_min().id(), hi = cell.range_max().id();
    for (int s = ShardOf(lo); s <= ShardOf(hi); ++s) {
      const Shard& shard = shards_[s];
      absl::MutexLock lock(&shard.mu);
      for (auto it = shard.entries.lower_bound(Entry(lo, 0));
           it != shard.entries.end() && it->first <= hi; ++it) {
        candidates.push_back(it->second);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

  // 2. The exact test on each candidate's stamp as stored now, keeping the nearest
  // `max_results` in a max-heap (a stamp is copied only when it enters the heap).
  const S2Point center = places::PointFromDegrees(query.center_latitude, query.center_longitude);
  // Candidates sorted by key hash come grouped by leaf: each leaf is read once, and each of its
  // records is a candidate if the low half of its key hash is one of the leaf's candidates' (the
  // leaf is the top of the hash). A record that matches by chance is only tested as well: the
  // test on the stamp itself decides.
  for (auto first = candidates.begin(); first != candidates.end();) {
    const uint32_t leaf = StampStore::LeafOf(*first);
    auto last = first;
    while (last != candidates.end() && StampStore::LeafOf(*last) == leaf) ++last;
    store_->ForEachInLeaf(leaf, [&](const StoredStamp& stamp) {
      if (std::none_of(first, last, [&](uint64_t key_hash) {
            return static_cast<uint32_t>(key_hash) == stamp.key_hash_low();
          })) {
        return;
      }
      const S2Point point = places::PointFromDegrees(stamp.latitude(), stamp.longitude());
      if (!query.area->Contains(stamp.latitude(), stamp.longitude(), point)) return;
      if (query.has_min_received && stamp.received_at().seconds < query.min_received_seconds) {
        return;
      }
      if (!query.exclude_client_id.empty() && stamp.client_id() == query.exclude_client_id) return;
      const double distance = places::DistanceMeters(center, point);
      if (hits.size() == query.max_results) {
        const Hit& worst = hits.front();
        if (distance > worst.distance_m ||
            (distance == worst.distance_m && stamp.client_id() >= worst.stamp.client_id())) {
          return;
        }
        std::pop_heap(hits.begin(), hits.end(), Nearer);
        hits.pop_back();
      }
      hits.push_back({stamp.ToProto(), distance});
      std::push_heap(hits.begin(), hits.end(), Nearer);
    });
    first = last;
  }
  std::sort_heap(hits.begin(), hits.end(), Nearer);
  return hits;
}

}  // namespace herd
