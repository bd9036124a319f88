#include "services/places/response_cache.h"

#include <gtest/gtest.h>

namespace herd::places {
namespace {

TEST(ResponseCacheTest, ExpiresAfterTheTtl) {
  absl::Time now = absl::FromUnixSeconds(1000);
  ResponseCache cache(absl::Seconds(60), 10, [&] { return now; });
  cache.Put("k", "v");
  EXPECT_EQ(cache.Get("k"), "v");
  now += absl::Seconds(59);
  EXPECT_EQ(cache.Get("k"), "v");
  now += absl::Seconds(1);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ResponseCacheTest, EvictsTheLeastRecentlyUsed) {
  ResponseCache cache(absl::Seconds(60), 2);
  cache.Put("a", "1");
  cache.Put("b", "2");
  EXPECT_EQ(cache.Get("a"), "1");  // b is now the least recently used
  cache.Put("c", "3");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Get("b"), std::nullopt);
  EXPECT_EQ(cache.Get("a"), "1");
  EXPECT_EQ(cache.Get("c"), "3");
  cache.Put("a", "updated");
  EXPECT_EQ(cache.Get("a"), "updated");
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ResponseCacheTest, ZeroEntriesDisablesIt) {
  ResponseCache cache(absl::Seconds(60), 0);
  cache.Put("a", "1");
  EXPECT_EQ(cache.Get("a"), std::nullopt);
}

}  // namespace
}  // namespace herd::places
