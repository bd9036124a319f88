#include "services/core/async_log.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"

namespace herd {
namespace {

TEST(AsyncLog, EveryLineFromEveryThreadLandsTimestamped) {
  testing::TempDir dir;
  std::string path = dir.path() + "/node.log";
  {
    auto log = AsyncLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 1000; ++i) (*log)->Write(absl::StrCat("thread ", t, " line ", i));
      });
    }
    for (auto& thread : threads) thread.join();
    (*log)->Flush();
    std::vector<std::string> lines =
        absl::StrSplit(testing::ReadFile(path), '\n', absl::SkipEmpty());
    EXPECT_EQ(lines.size(), 4000u);
    (*log)->Write("after \x01 flush\n");
  }
  std::string contents = testing::ReadFile(path);
  std::vector<std::string> lines = absl::StrSplit(contents, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4001u);
  // 2026-11-26T06:20:40.123456Z
  EXPECT_EQ(
      lines[0].size() > 28 && lines[0][4] == '-' && lines[0][10] == 'T' && lines[0][26] == 'Z',
      true)
      << lines[0];
  EXPECT_NE(lines.back().find("after \\x01 flush\\x0a"), std::string::npos) << lines.back();
}

TEST(AsyncLog, DropsInsteadOfGrowingWithoutBound) {
  testing::TempDir dir;
  std::string path = dir.path() + "/small.log";
  auto log = AsyncLog::Open(path, /*max_pending_bytes=*/1);
  ASSERT_TRUE(log.ok());
  (*log)->Write("never fits");
  (*log)->Flush();
  (*log)->Write("also dropped");
  (*log)->Flush();
  EXPECT_NE(testing::ReadFile(path).find("dropped 1 lines"), std::string::npos);
}

TEST(AsyncLog, UnwritablePathIsAnError) {
  auto log = AsyncLog::Open("/nonexistent-dir/x.log");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/x.log"), absl::string_view::npos);
}

}  // namespace
}  // namespace herd
