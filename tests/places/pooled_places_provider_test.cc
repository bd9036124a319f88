// PooledPlacesProvider: searches run on the pool's threads, side by side, a full queue is
// refused at once, and destruction answers what still waits.
#include "services/places/pooled_places_provider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/places/geonames_provider.h"
#include "tests/places/search_waiter.h"

namespace herd::places {
namespace {

using testing::SearchAndWait;
using testing::SearchWaiter;

// Answers inline, after `gate` opens; records the threads it ran on and the most at once.
class GatedProvider : public PlacesProvider {
 public:
  void SearchNearby(double latitude, double, double, int, PlacesCallback done) override {
    int running;
    {
      absl::MutexLock lock(&mu_);
      threads_.insert(std::this_thread::get_id());
      running = ++running_;
      most_at_once_ = std::max(most_at_once_, running);
      mu_.Await(absl::Condition(&open_));
      --running_;
    }
    PlacesAnswer answer;
    answer.legacy_json = std::to_string(latitude);
    done(std::move(answer));
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  bool WaitForRunning(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }
  std::set<std::thread::id> threads() {
    absl::MutexLock lock(&mu_);
    return threads_;
  }
  int most_at_once() {
    absl::MutexLock lock(&mu_);
    return most_at_once_;
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int most_at_once_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
};

TEST(PooledPlacesProviderTest, AnswersAsTheIndexDoesOnThreadsOfItsOwn) {
  auto index = GeoNamesProvider::Load(HERD_PLACES_FIXTURE);
  ASSERT_TRUE(index.ok()) << index.status();
  auto direct = GeoNamesProvider::Load(HERD_PLACES_FIXTURE);
  ASSERT_TRUE(direct.ok()) << direct.status();
  PooledPlacesProvider pooled(*std::move(index), 2, 16);

  absl::StatusOr<PlacesAnswer> expected = SearchAndWait(**direct, 34.0689, -118.4451, 10000, 5);
  absl::StatusOr<PlacesAnswer> answer = SearchAndWait(pooled, 34.0689, -118.4451, 10000, 5);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->places.empty());
  EXPECT_EQ(answer->legacy_json, expected->legacy_json);

  absl::StatusOr<PlacesAnswer> bad = SearchAndWait(pooled, 91, 0, 10000, 5);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PooledPlacesProviderTest, SearchesRunSideBySideAwayFromTheCaller) {
  auto gated = std::make_unique<GatedProvider>();
  GatedProvider* provider = gated.get();
  PooledPlacesProvider pooled(std::move(gated), 3, 16);
  std::vector<SearchWaiter> waiters(3);
  for (int i = 0; i < 3; ++i) pooled.SearchNearby(i, 0, 1000, 1, waiters[i].Callback());
  ASSERT_TRUE(provider->WaitForRunning(3));  // all three at once: none waits for another
  for (const SearchWaiter& waiter : waiters) EXPECT_FALSE(waiter.HasAnswer());
  provider->Open();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<PlacesAnswer> answer = waiters[i].Wait();
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->legacy_json, std::to_string(static_cast<double>(i)));
  }
  EXPECT_EQ(provider->most_at_once(), 3);
  EXPECT_EQ(provider->threads().size(), 3u);
  EXPECT_EQ(provider->threads().count(std::this_thread::get_id()), 0u);
}

TEST(PooledPlacesProviderTest, AFullQueueRefusesTheNextSearchAtOnce) {
  auto gated = std::make_unique<GatedProvider>();
  GatedProvider* provider = gated.get();
  PooledPlacesProvider pooled(std::move(gated), 1, 2);
  std::vector<SearchWaiter> waiters(4);
  pooled.SearchNearby(0, 0, 1000, 1, waiters[0].Callback());
  ASSERT_TRUE(provider->WaitForRunning(1));                   // on the one thread
  pooled.SearchNearby(1, 0, 1000, 1, waiters[1].Callback());  // waiting: 1
  pooled.SearchNearby(2, 0, 1000, 1, waiters[2].Callback());  // waiting: 2, the limit
  pooled.SearchNearby(3, 0, 1000, 1, waiters[3].Callback());
  ASSERT_TRUE(waiters[3].HasAnswer());  // refused inline
  absl::StatusOr<PlacesAnswer> refused = waiters[3].Wait();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("2 searches are waiting"), std::string::npos)
      << refused.status();
  provider->Open();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(waiters[i].Wait().ok()) << i;
}

TEST(PooledPlacesProviderTest, DestructionAnswersTheSearchesStillWaiting) {
  auto gated = std::make_unique<GatedProvider>();
  GatedProvider* provider = gated.get();
  std::vector<SearchWaiter> waiters(5);
  {
    PooledPlacesProvider pooled(std::move(gated), 1, 16);
    for (int i = 0; i < 5; ++i) pooled.SearchNearby(i, 0, 1000, 1, waiters[i].Callback());
    ASSERT_TRUE(provider->WaitForRunning(1));
    provider->Open();
  }  // joined here: every search answered first
  for (SearchWaiter& waiter : waiters) {
    EXPECT_TRUE(waiter.HasAnswer());
    EXPECT_EQ(waiter.calls(), 1);
  }
}

}  // namespace
}  // namespace herd::places
