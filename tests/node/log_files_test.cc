// The log files of real herd-node processes: size rotation under traffic, SIGHUP reopen, and
// the stampLines option.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::Eventually;
using testing::ReadFile;
using testing::SetDeadline;
using testing::TestHerd;

// Sends `batches` ReportBatch calls of `per_batch` reports each to `node`; every report is a
// new stamp, so each is logged and flooded.
void SendReports(TestHerd& herd, const std::string& node, int batches, int per_batch,
                 const std::string& prefix = "client") {
  for (int b = 0; b < batches; ++b) {
    v1::ReportBatchRequest request;
    for (int i = 0; i < per_batch; ++i) {
      v1::ReportRequest* report = request.add_reports();
      report->set_client_id(absl::StrCat(prefix, "-", b, "-", i));
      report->set_location("+34.068930-118.445127");
      report->set_client_time(absl::StrCat("1520023934.", 100000000 + b * per_batch + i));
    }
    v1::ReportBatchResponse response;
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(10));
    grpc::Status status = herd.client(node).ReportBatch(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
}

struct LogFiles {
  std::vector<std::string> names;  // file names found, sorted
  uint64_t total_bytes = 0;
  uint64_t largest_bytes = 0;
};

// Every file in `dir` named `base` or `base`.<anything>. The node may still be writing and
// rotating (a file renamed between the listing and its size): the listing is taken again until
// one holds still, at most 100 times.
LogFiles FilesOf(const std::string& dir, const std::string& base) {
  for (int attempt = 0;; ++attempt) {
    LogFiles files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (name != base && name.rfind(base + ".", 0) != 0) continue;
      const uint64_t size = std::filesystem::file_size(entry.path(), error);
      if (error) break;
      files.names.push_back(name);
      files.total_bytes += size;
      files.largest_bytes = std::max<uint64_t>(files.largest_bytes, size);
    }
    if (error && attempt < 100) continue;
    EXPECT_FALSE(error) << error.message();
    std::sort(files.names.begin(), files.names.end());
    return files;
  }
}

int CountLinesStartingAfterTimestamp(const std::string& text, const std::string& word) {
  int count = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t space = line.find(' ');
    if (space != absl::string_view::npos && line.substr(space + 1).rfind(word, 0) == 0) ++count;
  }
  return count;
}

TEST(NodeLogFiles, TrafficWithATinyRotationLimitKeepsTheLogsBounded) {
  constexpr uint64_t kFileBytes = 16384;
  constexpr int kFiles = 3;
  TestHerd herd({"Alpha", "Bravo"}, {{"Alpha", "Bravo"}}, "", 0, testing::Transport::kPlain,
                testing::WithLog(absl::StrCat(R"({"maxFileBytes": )", kFileBytes,
                                              R"(, "maxFiles": )", kFiles, "}")));
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  // About 150 bytes per line, two lines per stamp on each node: ~6 MB against a 48 KiB budget.
  SendReports(herd, "Alpha", 20, 1000);
  ASSERT_TRUE(herd.WaitUntilConverged());
  EXPECT_EQ(herd.Status("Bravo").stamp_count(), 20000u);
  const std::string log_dir = herd.dir() + "/logs";
  for (const std::string node : {"Alpha", "Bravo"}) {
    // The writer thread catches up within a few cycles; the bound must hold all along.
    // (Lines written after it may already have rotated it into <node>.log.1.)
    ASSERT_TRUE(Eventually(
        [&] {
          return (ReadFile(herd.log_path(node)) + ReadFile(herd.log_path(node) + ".1"))
                     .find("client-19-999 ") != std::string::npos;
        },
        absl::Seconds(30)))
        << node;
    // A listing taken between a rotation's two renames lacks <node>.log.1: list again.
    const std::vector<std::string> expected = {node + ".log", node + ".log.1", node + ".log.2"};
    LogFiles files;
    EXPECT_TRUE(Eventually([&] {
      files = FilesOf(log_dir, node + ".log");
      return files.names == expected;
    })) << node
        << ": " << absl::StrJoin(files.names, ", ");
    EXPECT_LE(files.largest_bytes, kFileBytes) << node;
    EXPECT_LE(files.total_bytes, kFiles * kFileBytes) << node;
    EXPECT_GT(files.total_bytes, kFileBytes) << node;
  }
}

TEST(NodeLogFiles, SighupReopensTheLogAfterItWasMovedAway) {
  TestHerd herd({"Alpha"}, {});
  herd.Start("Alpha");
  const std::string log = herd.log_path("Alpha");
  ASSERT_TRUE(Eventually([&] { return ReadFile(log).find("listening on") != std::string::npos; }));
  std::filesystem::rename(log, log + ".moved");
  ASSERT_EQ(kill(herd.process("Alpha")->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(log); }));
  SendReports(herd, "Alpha", 1, 1, "after-hup");
  ASSERT_TRUE(
      Eventually([&] { return ReadFile(log).find("after-hup-0-0 ") != std::string::npos; }));
  EXPECT_NE(ReadFile(log).find("log: reopened " + log), std::string::npos);
  EXPECT_EQ(ReadFile(log + ".moved").find("after-hup"), std::string::npos);
  EXPECT_TRUE(herd.running("Alpha"));
  // Still stops cleanly on SIGTERM afterwards.
  int status = herd.process("Alpha")->Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(NodeLogFiles, StampLinesNoneKeepsLinkLinesOnly) {
  TestHerd herd({"Alpha", "Bravo"}, {{"Alpha", "Bravo"}}, "", 0, testing::Transport::kPlain,
                testing::WithLog(R"({"stampLines": "NONE"})"));
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  SendReports(herd, "Alpha", 2, 500);
  ASSERT_TRUE(herd.WaitUntilConverged());
  SendReports(herd, "Alpha", 1, 1, "marker");  // then wait for a line that is always written
  herd.process("Bravo")->Signal(SIGTERM);
  ASSERT_TRUE(Eventually(
      [&] { return ReadFile(herd.log_path("Bravo")).find("stopped") != std::string::npos; }));
  for (const std::string node : {"Alpha", "Bravo"}) {
    std::string text = ReadFile(herd.log_path(node));
    EXPECT_EQ(CountLinesStartingAfterTimestamp(text, "report "), 0) << node;
    EXPECT_EQ(CountLinesStartingAfterTimestamp(text, "send "), 0) << node;
    EXPECT_EQ(CountLinesStartingAfterTimestamp(text, "recv "), 0) << node;
    EXPECT_GE(CountLinesStartingAfterTimestamp(text, "link Alpha up") +
                  CountLinesStartingAfterTimestamp(text, "link Bravo up"),
              1)
        << node;
    EXPECT_NE(text.find("stamp lines NONE"), std::string::npos) << node;
  }
}

TEST(NodeLogFiles, StampLinesSampledWritesOneInN) {
  TestHerd herd({"Alpha", "Bravo"}, {{"Alpha", "Bravo"}}, "", 0, testing::Transport::kPlain,
                testing::WithLog(R"({"stampLines": "SAMPLED", "stampSampleEvery": 100})"));
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  SendReports(herd, "Alpha", 2, 1000);
  ASSERT_TRUE(herd.WaitUntilConverged());
  herd.process("Alpha")->Signal(SIGTERM);
  herd.process("Bravo")->Signal(SIGTERM);
  // Alpha: 2000 report lines and 2000 send lines, one counter: 40 of them. Bravo: 20 recv.
  std::string alpha = ReadFile(herd.log_path("Alpha"));
  std::string bravo = ReadFile(herd.log_path("Bravo"));
  EXPECT_EQ(CountLinesStartingAfterTimestamp(alpha, "report ") +
                CountLinesStartingAfterTimestamp(alpha, "send "),
            40);
  EXPECT_EQ(CountLinesStartingAfterTimestamp(bravo, "recv "), 20);
  EXPECT_NE(alpha.find("stamp lines SAMPLED 1/100"), std::string::npos);
}

TEST(NodeLogFiles, DefaultStillLogsEveryStamp) {
  TestHerd herd({"Alpha", "Bravo"}, {{"Alpha", "Bravo"}});
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  SendReports(herd, "Alpha", 1, 300);
  ASSERT_TRUE(herd.WaitUntilConverged());
  herd.process("Alpha")->Signal(SIGTERM);
  herd.process("Bravo")->Signal(SIGTERM);
  std::string alpha = ReadFile(herd.log_path("Alpha"));
  EXPECT_EQ(CountLinesStartingAfterTimestamp(alpha, "report "), 300);
  EXPECT_EQ(CountLinesStartingAfterTimestamp(alpha, "send "), 300);
  EXPECT_EQ(CountLinesStartingAfterTimestamp(ReadFile(herd.log_path("Bravo")), "recv "), 300);
}

}  // namespace
}  // namespace herd
