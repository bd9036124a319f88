// NodeClient under churn: many one-report batches in flight at once, completions on several gRPC
// threads, reports submitted from several threads, deadlines that expire mid-call and clients shut
// down while calls are in flight. Every request must be answered exactly once and no call may be
// destroyed while its RPC runs (which, with the allocator reusing a freed call's address at once,
// once aborted the gateway with "pure virtual method called").
//
// Outside sanitized builds the binary runs on tests/support/eager_reuse_allocator.cc, which hands
// a freed block to the next allocation of its size on any thread (see CMakeLists.txt).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/node_client.h"
#include "gtest/gtest.h"
#include "services/core/mutex.h"
#include "tests/gateway/fake_node.h"
#include "tests/support/process.h"

namespace herd::gateway_test {
namespace {

using ::herd::gateway::NodeClient;
using ::herd::testing::Eventually;
using ::herd::testing::FakeNode;

// Requests answered so far, with a check that none is answered twice.
class Ledger {
 public:
  // Returns a slot for one more request.
  int Open() {
    herd::MutexLock lock(&mu_);
    answers_.push_back(0);
    return static_cast<int>(answers_.size()) - 1;
  }
  void Answer(int slot, bool ok) {
    herd::MutexLock lock(&mu_);
    if (++answers_[slot] > 1) ++duplicates_;
    (ok ? ok_ : failed_)++;
  }
  int opened() {
    herd::MutexLock lock(&mu_);
    return static_cast<int>(answers_.size());
  }
  int answered() {
    herd::MutexLock lock(&mu_);
    return ok_ + failed_;
  }
  int ok() {
    herd::MutexLock lock(&mu_);
    return ok_;
  }
  int failed() {
    herd::MutexLock lock(&mu_);
    return failed_;
  }
  int duplicates() {
    herd::MutexLock lock(&mu_);
    return duplicates_;
  }

 private:
  herd::Mutex mu_;
  std::vector<int> answers_ ABSL_GUARDED_BY(mu_);
  int ok_ ABSL_GUARDED_BY(mu_) = 0;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  int duplicates_ ABSL_GUARDED_BY(mu_) = 0;
};

v1::ReportRequest Report(int thread, int i) {
  v1::ReportRequest request;
  request.set_client_id(absl::StrCat("stress", thread, "-", i % 97));
  request.set_location("+34.068930-118.445127");
  request.set_client_time(absl::StrCat(1520023934 + i, ".918963997"));
  return request;
}

// Keeps `window` requests outstanding from each of `threads` submitters until `until`, mixing in
// a WHATSAT-shaped search every 16th request and a tight deadline every 8th.
void Load(NodeClient* client, Ledger* ledger, int threads, int window, absl::Time until) {
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([=] {
      auto outstanding = std::make_shared<std::atomic<int>>(0);
      for (int i = 0; absl::Now() < until; ++i) {
        if (outstanding->load() >= window) {
          absl::SleepFor(absl::Microseconds(50));
          continue;
        }
        int slot = ledger->Open();
        outstanding->fetch_add(1);
        if (i % 16 == 15) {
          v1::SearchNearbyRequest search;
          search.set_client_id(absl::StrCat("stress", t, "-", i % 97));
          search.set_radius_km(10);
          search.set_max_results(5);
          absl::Duration timeout = i % 32 == 31 ? absl::Microseconds(300) : absl::Seconds(5);
          client->SearchNearby(search, absl::Now() + timeout,
                               [=](absl::StatusOr<v1::SearchNearbyResponse> response) {
                                 ledger->Answer(slot, response.ok());
                                 outstanding->fetch_sub(1);
                               });
        } else {
          client->Report(Report(t, i), [=](absl::StatusOr<const v1::ReportResponse*> response) {
            ledger->Answer(slot, response.ok());
            outstanding->fetch_sub(1);
          });
        }
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
}

NodeClient::Options ChurnOptions(const std::string& address, absl::Duration timeout) {
  NodeClient::Options options;
  options.node_name = "Goloman";
  options.grpc_address = address;
  options.request_timeout = timeout;
  options.max_batch_reports = 1;  // one call per report: as many calls born and freed as can be
  options.max_batches_in_flight = 16;
  return options;
}

TEST(NodeClientStressTest, ManySmallBatchesCompletingOnManyThreads) {
  FakeNode node("Goloman");
  Ledger ledger;
  {
    NodeClient client(ChurnOptions(node.address(), absl::Seconds(5)));
    Load(&client, &ledger, /*threads=*/4, /*window=*/64, absl::Now() + absl::Seconds(4));
    ASSERT_TRUE(Eventually([&] { return ledger.answered() == ledger.opened(); }, absl::Seconds(10)))
        << ledger.answered() << " of " << ledger.opened() << " answered";
  }
  EXPECT_EQ(ledger.duplicates(), 0);
  EXPECT_GT(ledger.ok(), 1000) << "the load did not reach the node";
}

TEST(NodeClientStressTest, ShutdownWhileCallsAreInFlightAndDeadlinesExpire) {
  FakeNode node("Goloman");
  node.set_report_delay(absl::Milliseconds(1));  // calls overlap and some outlive 2 ms deadlines
  Ledger ledger;
  for (int round = 0; round < 8; ++round) {
    const absl::Duration timeout = round % 2 == 0 ? absl::Milliseconds(2) : absl::Seconds(5);
    auto client = std::make_unique<NodeClient>(ChurnOptions(node.address(), timeout));
    std::thread load(
        [&] { Load(client.get(), &ledger, 3, 32, absl::Now() + absl::Milliseconds(400)); });
    absl::SleepFor(absl::Milliseconds(300));
    client->Shutdown();  // in flight: cancelled; queued: failed; later: refused at once
    load.join();
    const int opened = ledger.opened();
    ASSERT_EQ(ledger.answered(), opened) << "round " << round << ": Shutdown returned early";
    client.reset();
  }
  EXPECT_EQ(ledger.duplicates(), 0);
  EXPECT_GT(ledger.ok(), 0);
  EXPECT_GT(ledger.failed(), 0);
}

}  // namespace
}  // namespace herd::gateway_test
