#include "services/node/stamp_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd {
namespace {

v1::LocationStamp Stamp(const std::string& client, const std::string& time,
                        const std::string& origin, Instant received,
                        const std::string& location = "+34.068930-118.445127") {
  absl::StatusOr<v1::LocationStamp> s = MakeStamp(client, location, time, origin, received);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

std::vector<v1::LocationStamp> Candidates() {
  return {
      Stamp("kiwi", "100", "Hands", {200, 0}, "+1+1"),
      Stamp("kiwi", "100", "Goloman", {201, 0}, "+2+2"),
      Stamp("kiwi", "100", "Goloman", {200, 5}, "+3+3"),
      Stamp("kiwi", "99.999999999", "Welsh", {300, 0}, "+4+4"),
      Stamp("kiwi", "100.0", "Goloman", {201, 0}, "+5+5"),
      Stamp("apple", "5", "Wilkes", {6, 0}),
      Stamp("apple", "-5", "Wilkes", {7, 0}),
  };
}

TEST(StampStore, NewerReplacesOlderNeverTheReverse) {
  StampStore store;
  EXPECT_EQ(store.Merge(Stamp("kiwi", "10", "A", {11, 0})), StampStore::MergeResult::kStored);
  EXPECT_EQ(store.Merge(Stamp("kiwi", "9", "A", {12, 0})), StampStore::MergeResult::kStale);
  EXPECT_EQ(store.Get("kiwi")->client_time_text(), "10");
  EXPECT_EQ(store.Merge(Stamp("kiwi", "11", "A", {12, 0})), StampStore::MergeResult::kStored);
  EXPECT_EQ(store.Get("kiwi")->client_time_text(), "11");
  EXPECT_FALSE(store.Get("nobody").has_value());
  EXPECT_EQ(store.size(), 1u);
}

// Prefetching reads (any bucket of any hash, present or not) and changes nothing.
TEST(StampStore, PrefetchingChangesNothing) {
  StampStore store;
  for (uint64_t hash : {uint64_t{0}, ~uint64_t{0}, StampStore::KeyHash("kiwi")}) {
    store.PrefetchBucket(hash);
    store.PrefetchEntry("kiwi", hash);
  }
  store.Merge(Stamp("kiwi", "10", "A", {11, 0}));
  const uint64_t digest = store.Digest();
  store.PrefetchBucket(StampStore::KeyHash("kiwi"));
  store.PrefetchEntry("kiwi", StampStore::KeyHash("kiwi"));
  store.PrefetchEntry("apple", StampStore::KeyHash("apple"));
  EXPECT_EQ(store.Digest(), digest);
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.Get("kiwi")->client_time_text(), "10");
}

TEST(StampStore, MergeIsIdempotent) {
  StampStore store;
  v1::LocationStamp s = Stamp("kiwi", "10", "A", {11, 0});
  EXPECT_EQ(store.Merge(s), StampStore::MergeResult::kStored);
  uint64_t digest = store.Digest();
  EXPECT_EQ(store.Merge(s), StampStore::MergeResult::kStale);
  EXPECT_EQ(store.Digest(), digest);
}

TEST(StampStore, MergeIsCommutativeOverEveryOrder) {
  std::vector<v1::LocationStamp> stamps = Candidates();
  std::vector<int> order(stamps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  StampStore reference;
  for (const auto& s : stamps) reference.Merge(s);
  int permutations = 0;
  do {
    StampStore store;
    for (int i : order) store.Merge(stamps[i]);
    ASSERT_EQ(store.Digest(), reference.Digest());
    ASSERT_EQ(store.Get("kiwi")->SerializeAsString(), reference.Get("kiwi")->SerializeAsString());
    ASSERT_EQ(store.Get("apple")->SerializeAsString(), reference.Get("apple")->SerializeAsString());
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 5040);
  // Equal client times: the origin that sorts last wins.
  EXPECT_EQ(reference.Get("kiwi")->location_text(), "+1+1");
  EXPECT_EQ(reference.Get("apple")->client_time_text(), "5");
}

TEST(StampStore, DigestTracksContentsNotHistory) {
  StampStore a, b;
  a.Merge(Stamp("x", "1", "A", {1, 0}));
  a.Merge(Stamp("x", "2", "A", {2, 0}));
  a.Merge(Stamp("y", "1", "A", {1, 0}));
  b.Merge(Stamp("y", "1", "A", {1, 0}));
  EXPECT_NE(a.Digest(), b.Digest());
  b.Merge(Stamp("x", "2", "A", {2, 0}));
  EXPECT_EQ(a.Digest(), b.Digest());
  EXPECT_NE(StampStore().Digest(), a.Digest());
}

TEST(StampStore, ConcurrentMergesConverge) {
  StampStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 2000; ++i) {
        store.Merge(Stamp("client" + std::to_string(i % 50), std::to_string(i),
                          "N" + std::to_string(t), {i, 0}));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store.size(), 50u);
  // Each client's winner is time 1950..1999 from the origin that sorts last ("N3").
  EXPECT_EQ(store.Get("client7")->client_time_text(), "1957");
  EXPECT_EQ(store.Get("client7")->origin(), "N3");
  int visited = 0;
  store.ForEach([&](const v1::LocationStamp&) { ++visited; });
  EXPECT_EQ(visited, 50);
}

}  // namespace
}  // namespace herd

namespace herd {
namespace {

TEST(StampStore, TheDigestTreeLocatesTheOneBucketThatDiffers) {
  StampStore a, b;
  for (int i = 0; i < 2000; ++i) {
    v1::LocationStamp stamp = Stamp(absl::StrCat("c", i), "10", "A", {11, 0});
    a.Merge(stamp);
    b.Merge(stamp);
  }
  b.Merge(Stamp("c77", "20", "B", {21, 0}));
  uint32_t leaf = StampStore::LeafOf(StampStore::KeyHash("c77"));
  for (int level = 0; level <= StampStore::kLeafLevel; ++level) {
    uint32_t differing = 0;
    for (uint32_t node = 0; node < StampStore::NodesAt(level); ++node) {
      if (a.NodeDigest(level, node) != b.NodeDigest(level, node)) {
        ++differing;
        EXPECT_EQ(node, leaf >> (StampStore::kFanoutBits * (StampStore::kLeafLevel - level)));
      }
    }
    EXPECT_EQ(differing, 1u) << "level " << level;
  }
  uint64_t leaf_total = 0;
  for (uint32_t node = 0; node < StampStore::NodesAt(StampStore::kLeafLevel); ++node) {
    leaf_total += a.NodeCount(StampStore::kLeafLevel, node);
  }
  EXPECT_EQ(leaf_total, 2000u);
  EXPECT_EQ(a.size(), 2000u);
  auto summary = b.LeafSummary(leaf);
  bool found = false;
  for (const auto& [key, hash] : summary) {
    found |= key == StampStore::KeyHash("c77") && hash == StampStore::StampHash(*b.Get("c77"));
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace herd
