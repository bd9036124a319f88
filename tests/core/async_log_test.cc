#include "services/core/async_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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

// Escapes at the start, the end, back to back and between plain runs; every other byte as is.
TEST(AsyncLog, EscapesEveryUnprintableByteWherever) {
  testing::TempDir dir;
  std::string path = dir.path() + "/escaped.log";
  {
    auto log = AsyncLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    (*log)->Write(
        std::string("\x00"
                    "a\\b\x7f\xff\tcd~ \x1f",
                    12));
    (*log)->Write("plain line");
    (*log)->Write("");
  }
  std::vector<std::string> lines = absl::StrSplit(testing::ReadFile(path), '\n');
  ASSERT_EQ(lines.size(), 4u);
  const size_t stamp = std::string("2026-11-26T06:20:40.123456Z ").size();
  EXPECT_EQ(lines[0].substr(stamp), "\\x00a\\x5cb\\x7f\\xff\\x09cd~ \\x1f");
  EXPECT_EQ(lines[1].substr(stamp), "plain line");
  EXPECT_EQ(lines[2].size(), stamp);
  EXPECT_EQ(lines[3], "");
}

// The escape scan goes sixteen bytes at a time and then byte by byte: each byte that needs
// escaping (and its plain neighbours at the edges of the ranges) in every position of lines
// shorter than, as long as and longer than a step or two, against an escape a byte at a time.
TEST(AsyncLog, EscapesAtEveryPositionOfLongerLines) {
  auto reference = [](const std::string& line) {
    std::string out;
    for (unsigned char c : line) {
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      }
    }
    return out;
  };
  std::vector<std::string> lines;
  for (size_t length : {1, 15, 16, 17, 31, 32, 33, 47, 50}) {
    for (size_t at = 0; at < length; ++at) {
      for (int c : {0x00, 0x09, 0x1f, 0x20, 0x5b, 0x5c, 0x5d, 0x7e, 0x7f, 0x80, 0xc3, 0xff}) {
        std::string line(length, 'q');
        line[at] = static_cast<char>(c);
        line[length - 1 - at] = static_cast<char>(c ^ 0x80);  // a second one elsewhere
        lines.push_back(std::move(line));
      }
    }
  }
  testing::TempDir dir;
  std::string path = dir.path() + "/escaped.log";
  {
    auto log = AsyncLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status();
    for (const std::string& line : lines) (*log)->Write(line);
  }
  std::vector<std::string> written = absl::StrSplit(testing::ReadFile(path), '\n');
  ASSERT_EQ(written.size(), lines.size() + 1);
  const size_t stamp = std::string("2026-11-26T06:20:40.123456Z ").size();
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(written[i].substr(stamp), reference(lines[i])) << i;
  }
}

// Lines written within the batch window leave in one write; Flush and shutdown do not wait the
// window out (a ten-minute window would time the test out).
TEST(AsyncLog, GathersLinesForTheBatchWindow) {
  testing::TempDir dir;
  std::string path = dir.path() + "/batched.log";
  AsyncLog::Options options;
  options.batch_window = absl::Minutes(10);
  {
    auto log = AsyncLog::Open(path, options);
    ASSERT_TRUE(log.ok()) << log.status();
    for (int i = 0; i < 100; ++i) (*log)->Write(absl::StrCat("line ", i));
    (*log)->Flush();
    EXPECT_EQ((*log)->batches_written(), 1u);
    EXPECT_EQ(
        std::vector<std::string>(absl::StrSplit(testing::ReadFile(path), '\n', absl::SkipEmpty()))
            .size(),
        100u);
    (*log)->Write("last");
  }
  EXPECT_NE(testing::ReadFile(path).find("last"), std::string::npos);
}

// A buffer half full is written without waiting for the window.
TEST(AsyncLog, HalfFullBufferDoesNotWaitForTheWindow) {
  testing::TempDir dir;
  std::string path = dir.path() + "/full.log";
  AsyncLog::Options options;
  options.batch_window = absl::Minutes(10);
  options.max_pending_bytes = 4096;
  auto log = AsyncLog::Open(path, options);
  ASSERT_TRUE(log.ok()) << log.status();
  const std::string line(100, 'x');
  for (int i = 0; i < 30; ++i) (*log)->Write(line);  // about 3.9 KiB with timestamps
  absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (testing::ReadFile(path).empty() && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(testing::ReadFile(path).empty());
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

// A batch writes the very lines Write would (pieces joined, escaped, one timestamp each), only
// once committed, in the order added, and follows the per-stamp line rules.
TEST(AsyncLog, BatchWritesWhatWriteWouldAtCommit) {
  testing::TempDir dir;
  const std::string batched_path = dir.path() + "/batched.log";
  const std::string single_path = dir.path() + "/single.log";
  AsyncLog::Options options;
  options.stamp_lines = AsyncLog::StampLines::kNone;
  options.stamp_line_prefixes = {"recv ", "send "};
  auto batched = AsyncLog::Open(batched_path, options);
  auto single = AsyncLog::Open(single_path, options);
  ASSERT_TRUE(batched.ok() && single.ok());
  const std::string odd(
      "a\x00"
      "b\\\n\xff",
      6);
  {
    AsyncLog::Batch batch(batched->get());
    batch.Add({"link ", odd, " up"});
    batch.Add({"re", "cv AT x"});  // a per-stamp line by its prefix, across pieces: not written
    batch.Add({"re", "port AT y"});
    batch.AddStamp({"link AT z"});  // per-stamp because it says so: not written
    batch.Add({"sen", "d", " AT w"});  // the prefix over three pieces: not written
    batch.Add({"se", "nt out"});       // starts like a prefix, then differs: written
    batch.Add({});
    (*batched)->Flush();
    EXPECT_EQ(testing::ReadFile(batched_path), "");
  }
  (*single)->Write(absl::StrCat("link ", odd, " up"));
  (*single)->Write("recv AT x");
  (*single)->Write("report AT y");
  (*single)->WriteStamp("link AT z");
  (*single)->Write("send AT w");
  (*single)->Write("sent out");
  (*single)->Write("");
  (*batched)->Flush();
  (*single)->Flush();
  const size_t stamp = std::string("2026-11-26T06:20:40.123456Z ").size();
  std::vector<std::string> got = absl::StrSplit(testing::ReadFile(batched_path), '\n');
  std::vector<std::string> want = absl::StrSplit(testing::ReadFile(single_path), '\n');
  ASSERT_EQ(got.size(), 5u);
  ASSERT_EQ(want.size(), 5u);
  for (size_t i = 0; i + 1 < got.size(); ++i) {
    EXPECT_EQ(got[i].substr(0, stamp - 1), got[0].substr(0, stamp - 1));  // the batch's time
    EXPECT_EQ(got[i].substr(stamp), want[i].substr(stamp)) << i;
  }
  EXPECT_EQ(got[0].substr(stamp), "link a\\x00b\\x5c\\x0a\\xff up");
}

// A batch that does not fit the pending limit is dropped whole and counted line by line.
TEST(AsyncLog, BatchOverTheLimitIsDroppedAndCounted) {
  testing::TempDir dir;
  std::string path = dir.path() + "/small.log";
  auto log = AsyncLog::Open(path, /*max_pending_bytes=*/256);
  ASSERT_TRUE(log.ok());
  {
    AsyncLog::Batch batch(log->get());
    for (int i = 0; i < 10; ++i) batch.Add({"line ", std::to_string(i)});
  }
  (*log)->Flush();
  {
    AsyncLog::Batch batch(log->get());
    batch.Add({"fits"});
  }
  (*log)->Flush();
  const std::string text = testing::ReadFile(path);
  EXPECT_EQ(text.find("line "), std::string::npos) << text;
  EXPECT_NE(text.find("dropped 10 lines"), std::string::npos) << text;
  EXPECT_NE(text.find("fits"), std::string::npos) << text;
}

TEST(AsyncLog, UnwritablePathIsAnError) {
  auto log = AsyncLog::Open("/nonexistent-dir/x.log");
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("/nonexistent-dir/x.log"), absl::string_view::npos);
}

// Sizes of <path>, <path>.1, ... that exist, in that order.
std::vector<uint64_t> LogFileSizes(const std::string& path, int max_index) {
  std::vector<uint64_t> sizes;
  for (int i = 0; i <= max_index; ++i) {
    std::string file = i == 0 ? path : absl::StrCat(path, ".", i);
    std::error_code error;
    uint64_t size = std::filesystem::file_size(file, error);
    if (!error) sizes.push_back(size);
  }
  return sizes;
}

TEST(AsyncLog, RotatesBySizeKeepingAtMostMaxFiles) {
  testing::TempDir dir;
  std::string path = dir.path() + "/node.log";
  AsyncLog::Options options;
  options.max_file_bytes = 4096;
  options.max_files = 3;
  auto log = AsyncLog::Open(path, options);
  ASSERT_TRUE(log.ok()) << log.status();
  int written = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) (*log)->Write(absl::StrCat("line ", written++, " of the test"));
    (*log)->Flush();
  }
  std::vector<uint64_t> sizes = LogFileSizes(path, 5);
  ASSERT_EQ(sizes.size(), 3u);  // node.log, node.log.1, node.log.2 and nothing beyond
  for (uint64_t size : sizes) {
    EXPECT_LE(size, 4096u);
    EXPECT_GT(size, 0u);
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
  // The newest lines are in node.log, the ones before in node.log.1, whole lines only.
  std::vector<std::string> current =
      absl::StrSplit(testing::ReadFile(path), '\n', absl::SkipEmpty());
  std::vector<std::string> previous =
      absl::StrSplit(testing::ReadFile(path + ".1"), '\n', absl::SkipEmpty());
  ASSERT_FALSE(current.empty());
  ASSERT_FALSE(previous.empty());
  EXPECT_NE(current.back().find(absl::StrCat("line ", written - 1, " of the test")),
            std::string::npos);
  for (const std::vector<std::string>* lines : {&current, &previous}) {
    for (const std::string& line : *lines) {
      EXPECT_NE(line.find(" of the test"), std::string::npos) << line;
    }
  }
  // Consecutive: the first line of node.log follows the last line of node.log.1.
  auto number = [](const std::string& line) {
    size_t at = line.find("line ") + 5;
    return std::stoi(line.substr(at, line.find(' ', at) - at));
  };
  EXPECT_EQ(number(current.front()), number(previous.back()) + 1);
}

TEST(AsyncLog, OneBigBatchIsSplitAcrossFiles) {
  testing::TempDir dir;
  std::string path = dir.path() + "/burst.log";
  AsyncLog::Options options;
  options.max_file_bytes = 2048;
  options.max_files = 4;
  {
    auto log = AsyncLog::Open(path, options);
    ASSERT_TRUE(log.ok());
    // Far more than one file's worth before the writer gets a chance to run.
    for (int i = 0; i < 1000; ++i) (*log)->Write(absl::StrCat("burst ", i));
  }
  std::vector<uint64_t> sizes = LogFileSizes(path, 6);
  ASSERT_EQ(sizes.size(), 4u);
  for (uint64_t size : sizes) EXPECT_LE(size, 2048u);
  EXPECT_NE(testing::ReadFile(path).find("burst 999\n"), std::string::npos);
}

TEST(AsyncLog, LineLongerThanTheLimitGetsAFileOfItsOwn) {
  testing::TempDir dir;
  std::string path = dir.path() + "/long.log";
  AsyncLog::Options options;
  options.max_file_bytes = 100;
  options.max_files = 2;
  auto log = AsyncLog::Open(path, options);
  ASSERT_TRUE(log.ok());
  (*log)->Write("short");
  (*log)->Write(std::string(300, 'x'));
  (*log)->Flush();
  EXPECT_NE(testing::ReadFile(path).find(std::string(300, 'x')), std::string::npos);
  EXPECT_NE(testing::ReadFile(path + ".1").find("short"), std::string::npos);
  (*log)->Write("after");
  (*log)->Flush();
  EXPECT_EQ(testing::ReadFile(path).find('x'), std::string::npos);
  EXPECT_NE(testing::ReadFile(path).find("after"), std::string::npos);
}

TEST(AsyncLog, AppendsToAnExistingFileAndCountsItsSize) {
  testing::TempDir dir;
  std::string path = dir.path() + "/old.log";
  testing::WriteFile(path, std::string(1000, 'o') + "\n");
  AsyncLog::Options options;
  options.max_file_bytes = 1024;
  options.max_files = 2;
  auto log = AsyncLog::Open(path, options);
  ASSERT_TRUE(log.ok());
  (*log)->Write("this line does not fit after the old contents");
  (*log)->Flush();
  EXPECT_EQ(testing::ReadFile(path + ".1"), std::string(1000, 'o') + "\n");
  EXPECT_NE(testing::ReadFile(path).find("does not fit"), std::string::npos);
}

TEST(AsyncLog, SingleFileRotationStartsAfresh) {
  testing::TempDir dir;
  std::string path = dir.path() + "/one.log";
  AsyncLog::Options options;
  options.max_file_bytes = 512;
  options.max_files = 1;
  auto log = AsyncLog::Open(path, options);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 100; ++i) (*log)->Write(absl::StrCat("entry ", i));
  (*log)->Flush();
  EXPECT_LE(std::filesystem::file_size(path), 512u);
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
  EXPECT_NE(testing::ReadFile(path).find("entry 99\n"), std::string::npos);
}

TEST(AsyncLog, ReopenAfterTheFileWasMovedAway) {
  testing::TempDir dir;
  std::string path = dir.path() + "/moved.log";
  auto log = AsyncLog::Open(path);
  ASSERT_TRUE(log.ok());
  (*log)->Write("before the move");
  (*log)->Flush();
  std::filesystem::rename(path, path + ".moved");
  (*log)->Write("after the move, before reopen");
  (*log)->Flush();
  EXPECT_FALSE(std::filesystem::exists(path));
  (*log)->Reopen();
  (*log)->Write("after reopen");
  (*log)->Flush();
  std::string moved = testing::ReadFile(path + ".moved");
  EXPECT_NE(moved.find("before the move"), std::string::npos);
  EXPECT_NE(moved.find("after the move, before reopen"), std::string::npos);
  EXPECT_EQ(moved.find("after reopen"), std::string::npos);
  ASSERT_TRUE(std::filesystem::exists(path));
  std::string reopened = testing::ReadFile(path);
  EXPECT_NE(reopened.find("after reopen"), std::string::npos);
  EXPECT_NE(reopened.find("log: reopened " + path), std::string::npos);
}

int CountLines(const std::string& text, absl::string_view needle) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.find(needle) != absl::string_view::npos) ++count;
  }
  return count;
}

TEST(AsyncLog, StampLinesAllSampledOrNone) {
  for (auto [mode, expected] :
       {std::pair{AsyncLog::StampLines::kAll, 1000}, std::pair{AsyncLog::StampLines::kSampled, 10},
        std::pair{AsyncLog::StampLines::kNone, 0}}) {
    testing::TempDir dir;
    std::string path = dir.path() + "/stamps.log";
    AsyncLog::Options options;
    options.stamp_lines = mode;
    options.stamp_sample_every = 100;
    options.stamp_line_prefixes = {"recv ", "send "};
    auto log = AsyncLog::Open(path, options);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 500; ++i) {
      (*log)->WriteStamp(absl::StrCat("report AT x ", i));
      (*log)->Write(absl::StrCat("recv AT y ", i));
      (*log)->Write(absl::StrCat("link peer ", i));  // not a stamp line: always written
    }
    (*log)->Flush();
    std::string text = testing::ReadFile(path);
    EXPECT_EQ(CountLines(text, " AT "), expected) << static_cast<int>(mode);
    EXPECT_EQ(CountLines(text, "link peer "), 500);
  }
}

}  // namespace
}  // namespace herd
