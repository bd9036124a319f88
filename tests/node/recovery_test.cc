// Durable stores and recovery with real herd-node processes on loopback.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::SetDeadline;
using testing::TestHerd;

constexpr char kDurable[] =
    R"("storage": {"dataDir": "data"}, "antiEntropy": {"intervalSeconds": 2})";

// Reports unique clients at `node` in batches until `stop`; records the acknowledged ones.
void ReportUntil(TestHerd& herd, const std::string& node, std::atomic<bool>& stop,
                 std::set<std::string>* acked, uint64_t* attempted) {
  for (int round = 0; !stop.load() && round < 100000; ++round) {
    v1::ReportBatchRequest batch;
    for (int i = 0; i < 50; ++i) {
      v1::ReportRequest* r = batch.add_reports();
      r->set_client_id(absl::StrCat(node, "-", round, "-", i));
      r->set_location("+34.068930-118.445127");
      r->set_client_time(absl::StrCat(1000 + round));
    }
    *attempted += batch.reports_size();
    v1::ReportBatchResponse results;
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(2));
    if (!herd.client(node).ReportBatch(&context, batch, &results).ok()) {
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    for (int i = 0; i < results.results_size(); ++i) {
      if (results.results(i).code() == 0) acked->insert(batch.reports(i).client_id());
    }
  }
}

TEST(DurableHerd, KillingEveryNodeWhileReportsFlowLosesNothingAcknowledged) {
  TestHerd herd(TestHerd::DefaultNames(), TestHerd::DefaultLinks(), "", 0,
                testing::Transport::kPlain, testing::WithExtraJson(kDurable));
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  std::vector<std::string> names = TestHerd::DefaultNames();
  std::vector<std::set<std::string>> acked(names.size());
  std::vector<uint64_t> attempted(names.size());
  std::atomic<bool> stop{false};
  std::vector<std::thread> reporters;
  for (size_t n = 0; n < names.size(); ++n) {
    reporters.emplace_back(ReportUntil, std::ref(herd), names[n], std::ref(stop), &acked[n],
                           &attempted[n]);
  }
  absl::SleepFor(absl::Milliseconds(1500));
  for (const std::string& name : names) herd.Kill(name);  // SIGKILL, mid-flow
  stop.store(true);
  for (auto& t : reporters) t.join();

  std::set<std::string> all_acked;
  uint64_t all_attempted = 0;
  for (size_t n = 0; n < names.size(); ++n) {
    all_acked.insert(acked[n].begin(), acked[n].end());
    all_attempted += attempted[n];
  }
  ASSERT_GT(all_acked.size(), 1000u);

  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked(absl::Seconds(30)));  // five stores loading at once
  ASSERT_TRUE(herd.WaitUntilConverged(absl::Seconds(30)));
  // Equal digests everywhere, so what one node holds every node holds.
  for (const std::string& name : names) {
    v1::NodeStatus status = herd.Status(name);
    EXPECT_GE(status.stamp_count(), all_acked.size()) << name;
    EXPECT_LE(status.stamp_count(), all_attempted) << name;  // nothing invented
  }
  size_t missing = 0;
  for (const std::string& client : all_acked) {
    v1::GetLocationRequest request;
    request.set_client_id(client);
    v1::LocationStamp stamp;
    grpc::ClientContext context;
    SetDeadline(&context);
    if (!herd.client("Welsh").GetLocation(&context, request, &stamp).ok()) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << all_acked.size() << " acknowledged stamps";
}

TEST(DurableHerd, ARestartedNodeFetchesOnlyWhatItMissed) {
  TestHerd herd(TestHerd::DefaultNames(), TestHerd::DefaultLinks(), "", 0,
                testing::Transport::kPlain, testing::WithExtraJson(kDurable));
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  v1::ReportBatchRequest batch;
  for (int i = 0; i < 5000; ++i) {
    v1::ReportRequest* r = batch.add_reports();
    r->set_client_id(absl::StrCat("before-", i));
    r->set_location("+1+1");
    r->set_client_time("10");
  }
  v1::ReportBatchResponse results;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(herd.client("Hands").ReportBatch(&context, batch, &results).ok());
  }
  ASSERT_TRUE(herd.WaitUntilConverged());
  herd.Kill("Holiday");
  batch.Clear();
  for (int i = 0; i < 200; ++i) {
    v1::ReportRequest* r = batch.add_reports();
    r->set_client_id(absl::StrCat("missed-", i));
    r->set_location("+1+1");
    r->set_client_time("20");
  }
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(herd.client("Hands").ReportBatch(&context, batch, &results).ok());
  }
  herd.Start("Holiday");
  ASSERT_TRUE(herd.WaitUntilLinked());
  ASSERT_TRUE(herd.WaitUntilConverged());
  v1::NodeStatus holiday = herd.Status("Holiday");
  EXPECT_EQ(holiday.stamp_count(), 5200u);
  EXPECT_GE(holiday.catch_up_received(), 200u);
  EXPECT_LT(holiday.catch_up_received(), 600u);
  EXPECT_NE(testing::ReadFile(herd.log_path("Holiday")).find("loaded 5000 stamps"),
            std::string::npos);
}

TEST(DurableHerd, ANodeRefusesTheDataDirectoryOfAnotherNode) {
  TestHerd herd({"A", "B"}, {{"A", "B"}}, "", 0, testing::Transport::kPlain,
                testing::WithExtraJson(kDurable));
  herd.Start("A");
  herd.Kill("A");
  // Put A's store where B will look for its own.
  std::filesystem::rename(herd.dir() + "/data/A", herd.dir() + "/data/B");
  testing::Process b(
      {testing::BinaryPath("herd-node"), "--config", herd.config_path(), "--name", "B"},
      herd.dir() + "/B-refused.out");
  int status = b.Wait(absl::Seconds(20));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  std::string out = testing::ReadFile(herd.dir() + "/B-refused.out");
  EXPECT_NE(out.find("belongs to herd [A,B] node A, not to herd [A,B] node B"), std::string::npos)
      << out;
  EXPECT_TRUE(std::filesystem::exists(herd.dir() + "/data/B/CURRENT"));
}

}  // namespace
}  // namespace herd
