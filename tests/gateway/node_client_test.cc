// NodeClient in process against a fake node: batching, deadlines, every callback exactly once.

#include "gateway/node_client.h"

#include <asio.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/loop_timer.h"
#include "gtest/gtest.h"
#include "services/core/mutex.h"
#include "tests/gateway/fake_node.h"
#include "tests/gateway/gateway_harness.h"

namespace herd::gateway_test {
namespace {

using ::herd::gateway::NodeClient;
using ::herd::testing::Eventually;
using ::herd::testing::FakeNode;

v1::ReportRequest Report(int i) {
  v1::ReportRequest request;
  request.set_client_id(absl::StrCat("client", i));
  request.set_location("+34.068930-118.445127");
  request.set_client_time(absl::StrCat(i, ".5"));
  return request;
}

// Counts callbacks; fails the test if any request is answered twice.
struct Results {
  herd::Mutex mu;
  std::vector<int> answers;  // per request: how many callbacks
  int ok = 0;
  int failed = 0;

  explicit Results(int n) : answers(n, 0) {}
  void Record(int i, bool success) {
    herd::MutexLock lock(&mu);
    ++answers[i];
    EXPECT_EQ(answers[i], 1) << "request " << i << " answered twice";
    (success ? ok : failed)++;
  }
  int total() {
    herd::MutexLock lock(&mu);
    return ok + failed;
  }
};

NodeClient::Options OptionsFor(const std::string& address, absl::Duration timeout) {
  NodeClient::Options options;
  options.node_name = "Goloman";
  options.grpc_address = address;
  options.request_timeout = timeout;
  return options;
}

TEST(NodeClientTest, ReportsQueuedBehindABatchLeaveTogether) {
  FakeNode node("Goloman");
  node.set_report_delay(absl::Milliseconds(50));
  NodeClient client(OptionsFor(node.address(), absl::Seconds(10)));
  constexpr int kReports = 2000;
  Results results(kReports);
  for (int i = 0; i < kReports; ++i) {
    client.Report(Report(i), [&, i](absl::StatusOr<const v1::ReportResponse*> response) {
      bool good = response.ok() && (*response)->stamp().client_id() == absl::StrCat("client", i) &&
                  (*response)->stamp().origin() == "Goloman";
      results.Record(i, good);
    });
  }
  ASSERT_TRUE(Eventually([&] { return results.total() == kReports; }, absl::Seconds(20)));
  EXPECT_EQ(results.ok, kReports);
  EXPECT_EQ(node.reports_received(), kReports);
  EXPECT_LT(client.batches_sent(), 100u);
  EXPECT_GT(node.largest_batch(), 100);
  // Every batch on the one stream, none as a call.
  EXPECT_EQ(node.report_streams(), 1);
  EXPECT_EQ(node.unary_batch_calls(), 0);
}

TEST(NodeClientTest, ANodeWithoutTheStreamGetsEveryBatchAsACall) {
  FakeNode node("Goloman");
  node.set_report_stream(false);  // answers ReportBatches with UNIMPLEMENTED
  node.set_report_delay(absl::Milliseconds(20));
  NodeClient client(OptionsFor(node.address(), absl::Seconds(10)));
  constexpr int kReports = 200;
  Results results(kReports);
  for (int i = 0; i < kReports; ++i) {
    client.Report(Report(i), [&, i](absl::StatusOr<const v1::ReportResponse*> response) {
      results.Record(
          i, response.ok() && (*response)->stamp().client_id() == absl::StrCat("client", i));
    });
  }
  ASSERT_TRUE(Eventually([&] { return results.total() == kReports; }, absl::Seconds(20)));
  // The batches that found the stream missing went again as calls: none was lost.
  EXPECT_EQ(results.ok, kReports);
  EXPECT_EQ(node.reports_received(), kReports);
  EXPECT_EQ(node.report_streams(), 0);
  EXPECT_EQ(static_cast<uint64_t>(node.unary_batch_calls()), client.batches_sent());
}

TEST(NodeClientTest, SlowNodeFailsEveryReportWithinTheTimeout) {
  FakeNode node("Goloman");
  node.set_report_delay(absl::Seconds(3));
  node.set_search_delay(absl::Seconds(3));
  NodeClient::Options options = OptionsFor(node.address(), absl::Milliseconds(300));
  options.max_batches_in_flight = 1;  // the rest queue up behind the first
  NodeClient client(options);
  constexpr int kReports = 20;
  Results results(kReports + 1);
  absl::Time start = absl::Now();
  for (int i = 0; i < kReports; ++i) {
    client.Report(Report(i), [&, i](absl::StatusOr<const v1::ReportResponse*> response) {
      results.Record(i, response.ok());
    });
  }
  v1::SearchNearbyRequest search;
  search.set_client_id("client1");
  search.set_radius_km(10);
  search.set_max_results(5);
  client.SearchNearby(search, absl::Now() + absl::Milliseconds(300),
                      [&](absl::StatusOr<v1::SearchNearbyResponse> response) {
                        results.Record(kReports, response.ok());
                      });
  ASSERT_TRUE(Eventually([&] { return results.total() == kReports + 1; }, absl::Seconds(5)));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
  EXPECT_EQ(results.failed, kReports + 1);
}

TEST(NodeClientTest, ShutdownAnswersEverythingAndRefusesMore) {
  FakeNode node("Goloman");
  node.set_report_delay(absl::Seconds(5));
  NodeClient client(OptionsFor(node.address(), absl::Seconds(30)));
  constexpr int kReports = 50;
  Results results(kReports + 1);
  for (int i = 0; i < kReports; ++i) {
    client.Report(Report(i), [&, i](absl::StatusOr<const v1::ReportResponse*> response) {
      results.Record(i, response.ok());
    });
  }
  ASSERT_TRUE(Eventually([&] { return node.report_batch_calls() > 0; }, absl::Seconds(5)));
  absl::Time start = absl::Now();
  client.Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(results.total(), kReports);
  EXPECT_EQ(results.failed, kReports);
  client.Report(Report(kReports), [&](absl::StatusOr<const v1::ReportResponse*> response) {
    results.Record(kReports, response.ok());
  });
  EXPECT_EQ(results.total(), kReports + 1);  // answered at once
}

TEST(NodeClientTest, NodeDownFailsThenReconnects) {
  std::string address = herd::testing::FreeLoopbackAddress();
  NodeClient client(OptionsFor(address, absl::Milliseconds(500)));
  Results down(1);
  client.Report(Report(0),
                [&](absl::StatusOr<const v1::ReportResponse*> r) { down.Record(0, r.ok()); });
  ASSERT_TRUE(Eventually([&] { return down.total() == 1; }, absl::Seconds(3)));
  EXPECT_EQ(down.failed, 1);

  FakeNode node("Goloman", std::stoi(address.substr(address.rfind(':') + 1)));
  // The channel reconnects by itself (backoff at most 500 ms).
  int attempts = 0;
  EXPECT_TRUE(Eventually(
      [&] {
        auto up = std::make_shared<Results>(1);  // outlives a late callback
        client.Report(Report(++attempts),
                      [up](absl::StatusOr<const v1::ReportResponse*> r) { up->Record(0, r.ok()); });
        Eventually([&] { return up->total() == 1; }, absl::Seconds(2));
        herd::MutexLock lock(&up->mu);
        return up->ok == 1;
      },
      absl::Seconds(5)))
      << attempts << " attempts";
}

// Makes `client` see ten reports waiting at once without any of them lingering: the first report
// leaves alone, and its callback reports again at once (before the client sends its next batch),
// so the next batch holds all ten. Returns once all eleven are answered.
void ReportTenTogether(NodeClient& client, FakeNode& node) {
  // The first batch is answered slowly enough for the other nine to queue behind it, however
  // loaded the machine: otherwise they may leave in two batches, and the peak a lone report
  // lingers for is not ten.
  node.set_report_delay(absl::Milliseconds(50));
  auto results = std::make_shared<Results>(11);  // shared with callbacks
  client.Report(Report(0), [&client, results](absl::StatusOr<const v1::ReportResponse*> response) {
    results->Record(0, response.ok());
    client.Report(Report(10), [results](absl::StatusOr<const v1::ReportResponse*> again) {
      results->Record(10, again.ok());
    });
  });
  for (int i = 1; i < 10; ++i) {
    client.Report(Report(i), [results, i](absl::StatusOr<const v1::ReportResponse*> response) {
      results->Record(i, response.ok());
    });
  }
  ASSERT_TRUE(Eventually([&] { return results->total() == 11; }, absl::Seconds(10)));
  EXPECT_EQ(results->ok, 11);
  node.set_report_delay(absl::ZeroDuration());
}

// Reports `count` times from this thread, a millisecond apart, as clients answered together come
// back one by one. Returns once all are answered.
void ReportOneByOne(NodeClient& client, int count) {
  auto results = std::make_shared<Results>(count);
  for (int i = 0; i < count; ++i) {
    client.Report(Report(100 + i),
                  [results, i](absl::StatusOr<const v1::ReportResponse*> response) {
                    results->Record(i, response.ok());
                  });
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_TRUE(Eventually([&] { return results->total() == count; }, absl::Seconds(10)));
  EXPECT_EQ(results->ok, count);
}

// Reports once and waits (at most 10 s) for the answer.
struct Answer {
  absl::Duration took;
  bool ok = false;
};
Answer ReportAndWait(NodeClient& client, int i) {
  auto results = std::make_shared<Results>(1);  // shared with a callback that may come late
  const absl::Time start = absl::Now();
  client.Report(Report(i), [results](absl::StatusOr<const v1::ReportResponse*> response) {
    results->Record(0, response.ok());
  });
  EXPECT_TRUE(Eventually([&] { return results->total() == 1; }, absl::Seconds(10)));
  herd::MutexLock lock(&results->mu);
  return Answer{absl::Now() - start, results->ok == 1};
}

NodeClient::Options LingeringOptions(const std::string& address, absl::Duration linger) {
  NodeClient::Options options = OptionsFor(address, absl::Seconds(30));
  options.batch_linger = linger;
  return options;
}

TEST(NodeClientTest, ALoneReportLeavesAtOnceWhateverTheLinger) {
  FakeNode node("Goloman");
  NodeClient client(LingeringOptions(node.address(), absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) {
    const Answer answer = ReportAndWait(client, i);
    EXPECT_LT(answer.took, absl::Seconds(2)) << "report " << i << " lingered";
    EXPECT_TRUE(answer.ok);
  }
  EXPECT_EQ(node.report_batch_calls(), 3);
}

TEST(NodeClientTest, ClientsAnsweredTogetherReportAgainInOneBatch) {
  FakeNode node("Goloman");
  NodeClient client(LingeringOptions(node.address(), absl::Seconds(5)));
  ReportTenTogether(client, node);
  ASSERT_EQ(node.report_batch_calls(), 2);
  const absl::Time start = absl::Now();
  ReportOneByOne(client, 10);
  // The batch left as soon as the tenth arrived, long before the linger ran out.
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(node.report_batch_calls(), 3);
  EXPECT_EQ(node.largest_batch(), 10);
}

TEST(NodeClientTest, WithoutALingerTheFirstOneBackLeavesAlone) {
  FakeNode node("Goloman");
  NodeClient client(LingeringOptions(node.address(), absl::ZeroDuration()));
  ReportTenTogether(client, node);
  ASSERT_EQ(node.report_batch_calls(), 2);
  ReportOneByOne(client, 10);
  EXPECT_GE(node.report_batch_calls(), 4);
}

// After ten answered together, one reports alone: it waits out `linger` for the other nine, then
// leaves in a third batch.
void ExpectALoneReportToWaitOut(absl::Duration linger, NodeClient& client, FakeNode& node) {
  ReportTenTogether(client, node);
  const Answer answer = ReportAndWait(client, 99);
  EXPECT_GE(answer.took, linger - absl::Milliseconds(20)) << "it did not wait for company";
  EXPECT_LT(answer.took, linger + absl::Seconds(3));
  EXPECT_TRUE(answer.ok);
  EXPECT_EQ(node.report_batch_calls(), 3);
}

TEST(NodeClientTest, ALingeringReportLeavesWhenTheLingerRunsOut) {
  FakeNode node("Goloman");
  const absl::Duration linger = absl::Milliseconds(300);
  NodeClient client(LingeringOptions(node.address(), linger));
  ExpectALoneReportToWaitOut(linger, client, node);
}

TEST(NodeClientTest, ShutdownAnswersALingeringReportAtOnce) {
  FakeNode node("Goloman");
  NodeClient client(LingeringOptions(node.address(), absl::Seconds(5)));
  ReportTenTogether(client, node);
  Results results(1);
  client.Report(Report(99), [&](absl::StatusOr<const v1::ReportResponse*> response) {
    results.Record(0, response.ok());
  });
  const absl::Time start = absl::Now();
  client.Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(results.total(), 1);
  EXPECT_EQ(results.failed, 1);
  EXPECT_EQ(node.report_batch_calls(), 2);  // it never left
}

TEST(NodeClientTest, TheLingerNeverOutlastsAQuarterOfTheTimeout) {
  FakeNode node("Goloman");
  NodeClient::Options options = LingeringOptions(node.address(), absl::Seconds(60));
  options.request_timeout = absl::Milliseconds(800);
  NodeClient client(options);
  ReportTenTogether(client, node);
  const Answer answer = ReportAndWait(client, 99);
  EXPECT_LT(answer.took, absl::Milliseconds(700));
  EXPECT_TRUE(answer.ok);  // sent in time, not expired in the queue
}

// An event loop on a thread of its own, as the gateway runs one, whose timers a client lingers on
// (Options::run_at). Counts the timers armed and where they fired.
class LoopTimers {
 public:
  LoopTimers() : thread_([this] { io_.run(); }) {}
  ~LoopTimers() {
    work_.reset();
    thread_.join();  // after the timers still armed have fired
  }

  NodeClient::Options Lingering(const std::string& address, absl::Duration linger) {
    NodeClient::Options options = LingeringOptions(address, linger);
    options.run_at = [this, run_at = gateway::RunAtOnLoop(io_)](absl::Time due,
                                                                std::function<void()> fire) {
      armed_.fetch_add(1);
      run_at(due, [this, fire = std::move(fire)] {
        if (std::this_thread::get_id() != thread_.get_id()) fired_elsewhere_.fetch_add(1);
        fire();
        fired_.fetch_add(1);
      });
    };
    return options;
  }
  int armed() const { return armed_.load(); }
  int fired() const { return fired_.load(); }
  int fired_elsewhere() const { return fired_elsewhere_.load(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::atomic<int> armed_{0};
  std::atomic<int> fired_{0};
  std::atomic<int> fired_elsewhere_{0};
  std::thread thread_;  // last: it runs io_ and reads the counters
};

TEST(NodeClientTest, ALingeringReportLeavesOnTheEventLoopsTimer) {
  FakeNode node("Goloman");
  LoopTimers loop;
  const absl::Duration linger = absl::Milliseconds(300);
  NodeClient client(loop.Lingering(node.address(), linger));
  ExpectALoneReportToWaitOut(linger, client, node);
  EXPECT_EQ(loop.armed(), 1);
  EXPECT_EQ(loop.fired(), 1);
  EXPECT_EQ(loop.fired_elsewhere(), 0);
}

TEST(NodeClientTest, ALoopTimerThatFiresAfterShutdownSendsNothing) {
  FakeNode node("Goloman");
  LoopTimers loop;
  {
    NodeClient client(loop.Lingering(node.address(), absl::Milliseconds(200)));
    ReportTenTogether(client, node);
    Results results(1);
    client.Report(Report(99), [&](absl::StatusOr<const v1::ReportResponse*> response) {
      results.Record(0, response.ok());
    });
    ASSERT_EQ(loop.armed(), 1);
    const absl::Time start = absl::Now();
    client.Shutdown();
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    EXPECT_EQ(results.total(), 1);
    EXPECT_EQ(results.failed, 1);
  }
  // The client is gone; its timer still fires, and must touch nothing of it.
  ASSERT_TRUE(Eventually([&] { return loop.fired() == 1; }, absl::Seconds(5)));
  EXPECT_EQ(node.report_batch_calls(), 2);  // the lingering report never left
}

}  // namespace
}  // namespace herd::gateway_test
