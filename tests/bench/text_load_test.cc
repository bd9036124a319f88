#include "tests/bench/text_load.h"

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"

namespace herd::bench {
namespace {

// 64 connections sharing 8,000 requests a second: the herd must see one request every 125 us,
// not 64 at once every 8 ms.
TEST(PacedDueTest, SpreadsTheRequestsOfAllConnectionsEvenly) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  constexpr int kConnections = 64;
  constexpr double kRate = 8000;
  std::vector<absl::Time> dues;
  for (int index = 0; index < kConnections; ++index) {
    for (uint64_t made = 0; made < 10; ++made) {
      dues.push_back(PacedDue(start, made, index, kConnections, kRate));
    }
    // Each connection keeps its own share: one request every connections/rate.
    EXPECT_NEAR(absl::ToDoubleMicroseconds(PacedDue(start, 1, index, kConnections, kRate) -
                                           PacedDue(start, 0, index, kConnections, kRate)),
                8000, 0.01);
  }
  std::sort(dues.begin(), dues.end());
  EXPECT_EQ(dues.front(), start);
  for (size_t i = 1; i < dues.size(); ++i) {
    ASSERT_NEAR(absl::ToDoubleMicroseconds(dues[i] - dues[i - 1]), 125, 0.01) << "at " << i;
  }
}

TEST(PacedDueTest, OneConnectionTakesEverySlot) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  EXPECT_EQ(PacedDue(start, 0, 0, 1, 200), start);
  EXPECT_EQ(PacedDue(start, 3, 0, 1, 200), start + absl::Milliseconds(15));
}

}  // namespace
}  // namespace herd::bench
