// SearchClients and Watch on real herd-node processes (issue 13).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "services/places/geo_math.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::Eventually;
using testing::SetDeadline;
using testing::TestHerd;

std::string Iso6709(double lat, double lng) { return absl::StrFormat("%+.6f%+.6f", lat, lng); }

// Reports (client, lat, lng) at `node` with client time `time`, all in one batch.
void ReportAll(TestHerd& herd, const std::string& node,
               const std::vector<std::tuple<std::string, double, double>>& clients,
               const std::string& time) {
  v1::ReportBatchRequest batch;
  for (const auto& [client, lat, lng] : clients) {
    v1::ReportRequest* report = batch.add_reports();
    report->set_client_id(client);
    report->set_location(Iso6709(lat, lng));
    report->set_client_time(time);
  }
  v1::ReportBatchResponse response;
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(20));
  grpc::Status status = herd.client(node).ReportBatch(&context, batch, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const v1::ReportResult& result : response.results()) {
    ASSERT_EQ(result.code(), 0) << result.message();
  }
}

void Report(TestHerd& herd, const std::string& node, const std::string& client, double lat,
            double lng, const std::string& time) {
  ReportAll(herd, node, {{client, lat, lng}}, time);
}

grpc::Status Search(TestHerd& herd, const std::string& node,
                    const v1::SearchClientsRequest& request, v1::SearchClientsResponse* response) {
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(10));
  return herd.client(node).SearchClients(&context, request, response);
}

v1::SearchClientsRequest Around(double lat, double lng, double radius_km, uint32_t max_results) {
  v1::SearchClientsRequest request;
  request.mutable_location()->set_latitude(lat);
  request.mutable_location()->set_longitude(lng);
  request.set_radius_km(radius_km);
  request.set_max_results(max_results);
  return request;
}

uint64_t RssBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class SearchClientsTest : public ::testing::Test {
 protected:
  SearchClientsTest() : herd_(TestHerd::DefaultNames(), TestHerd::DefaultLinks()) {
    herd_.StartAll();
    EXPECT_TRUE(herd_.WaitUntilLinked());
  }
  TestHerd herd_;
};

TEST_F(SearchClientsTest, EveryNodeGivesTheSameAnswerOnceDigestsAreEqual) {
  // 2,000 clients reported at every node: around Los Angeles, across the antimeridian and
  // around the north pole, some of them moving later (at other nodes).
  std::vector<std::tuple<std::string, double, double>> where;
  const std::vector<std::string> names = TestHerd::DefaultNames();
  for (int i = 0; i < 2000; ++i) {
    double lat, lng;
    switch (i % 3) {
      case 0:
        lat = 34 + (i % 97) * 0.005;
        lng = -118.5 + (i % 89) * 0.006;
        break;
      case 1:
        lat = -1 + (i % 83) * 0.02;
        lng = (i % 2 ? 179.5 : -179.5) + (i % 7) * (i % 2 ? 0.07 : -0.07);
        break;
      default:
        lat = 89.5 + (i % 50) * 0.01;
        lng = (i % 360) - 180.0;
        break;
    }
    where.emplace_back(absl::StrCat("client-", i), lat, lng);
  }
  for (size_t n = 0; n < names.size(); ++n) {
    std::vector<std::tuple<std::string, double, double>> part;
    for (size_t i = n; i < where.size(); i += names.size()) part.push_back(where[i]);
    ReportAll(herd_, names[n], part, "100");
  }
  std::vector<std::tuple<std::string, double, double>> moved;
  for (size_t i = 0; i < where.size(); i += 10) {
    auto [client, lat, lng] = where[i];
    moved.emplace_back(client, lat + 0.01, lng);
    where[i] = moved.back();
  }
  ReportAll(herd_, "Welsh", moved, "200");
  ASSERT_TRUE(herd_.WaitUntilConverged(absl::Seconds(30)));

  struct Centre {
    double lat, lng, radius_km;
  };
  for (const Centre& c : std::vector<Centre>{
           {34.2, -118.2, 10}, {34.2, -118.2, 50}, {0, 180, 100}, {0, -180, 50}, {90, 0, 60}}) {
    // The expected answer, by brute force over what was reported (as the nodes parse it).
    std::vector<std::pair<double, std::string>> expected;
    for (const auto& [client, lat, lng] : where) {
      const double d = places::DistanceMeters(c.lat, c.lng, std::stod(absl::StrFormat("%.6f", lat)),
                                              std::stod(absl::StrFormat("%.6f", lng)));
      if (d <= c.radius_km * 1000) expected.emplace_back(d, client);
    }
    std::sort(expected.begin(), expected.end());
    ASSERT_GE(expected.size(), 20u) << c.lat << "," << c.lng;
    v1::SearchClientsResponse first;
    ASSERT_TRUE(Search(herd_, names[0], Around(c.lat, c.lng, c.radius_km, 20), &first).ok());
    ASSERT_EQ(first.hits_size(), 20) << c.lat << "," << c.lng;
    for (int i = 0; i < first.hits_size(); ++i) {
      EXPECT_EQ(first.hits(i).stamp().client_id(), expected[i].second) << i;
      EXPECT_NEAR(first.hits(i).distance_m(), expected[i].first, 0.01) << i;
    }
    for (const std::string& node : names) {
      v1::SearchClientsResponse answer;
      ASSERT_TRUE(Search(herd_, node, Around(c.lat, c.lng, c.radius_km, 20), &answer).ok());
      EXPECT_EQ(answer.SerializeAsString(), first.SerializeAsString())
          << node << " at " << c.lat << "," << c.lng;
    }
  }
}

TEST_F(SearchClientsTest, ByClientLeavesTheCentreOutAndChecksItsLimits) {
  Report(herd_, "Hands", "kiwi", 34.068930, -118.445127, "1");
  Report(herd_, "Hands", "near", 34.07, -118.445127, "1");
  Report(herd_, "Hands", "far", 35.07, -118.445127, "1");
  v1::SearchClientsRequest request;
  request.set_client_id("kiwi");
  request.set_radius_km(50);
  request.set_max_results(10);
  v1::SearchClientsResponse response;
  ASSERT_TRUE(Search(herd_, "Hands", request, &response).ok());
  ASSERT_EQ(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).stamp().client_id(), "near");
  EXPECT_NEAR(response.hits(0).distance_m(), 118, 2);
  EXPECT_EQ(response.center_stamp().client_id(), "kiwi");

  request.set_client_id("nobody");
  EXPECT_EQ(Search(herd_, "Hands", request, &response).error_code(), grpc::StatusCode::NOT_FOUND);

  auto expect_invalid = [&](const v1::SearchClientsRequest& bad, const std::string& field) {
    v1::SearchClientsResponse ignored;
    grpc::Status status = Search(herd_, "Hands", bad, &ignored);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  };
  expect_invalid(Around(34, -118, 0, 10), "radius_km");
  expect_invalid(Around(34, -118, 1000.5, 10), "radius_km");
  expect_invalid(Around(34, -118, 50, 0), "max_results");
  expect_invalid(Around(34, -118, 50, 1001), "max_results");
  expect_invalid(Around(91, -118, 50, 10), "location.latitude");
  expect_invalid(Around(34, 181, 50, 10), "location.longitude");
  v1::SearchClientsRequest no_centre = Around(34, -118, 50, 10);
  no_centre.clear_location();
  expect_invalid(no_centre, "center");
  v1::SearchClientsRequest box_and_radius = Around(34, -118, 50, 10);
  box_and_radius.mutable_box()->mutable_high()->set_latitude(1);
  expect_invalid(box_and_radius, "radius_km");
  v1::SearchClientsRequest wide_box = Around(34, -118, 0, 10);
  wide_box.mutable_box()->mutable_low()->set_latitude(0);
  wide_box.mutable_box()->mutable_high()->set_latitude(30);
  expect_invalid(wide_box, "box");
}

// Reads events from a Watch stream on its own thread.
class Watcher {
 public:
  Watcher(TestHerd& herd, const std::string& node, const v1::WatchRequest& request,
          absl::Duration timeout = absl::Seconds(60)) {
    SetDeadline(&context_, timeout);
    reader_ = herd.client(node).Watch(&context_, request);
  }
  ~Watcher() {
    context_.TryCancel();
    Finish();
  }
  bool Next(v1::WatchEvent* event) { return reader_->Read(event); }
  grpc::Status Finish() {
    if (!finished_) {
      v1::WatchEvent ignored;
      while (reader_->Read(&ignored)) {
      }
      status_ = reader_->Finish();
      finished_ = true;
    }
    return status_;
  }
  void Cancel() { context_.TryCancel(); }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader_;
  bool finished_ = false;
  grpc::Status status_;
};

v1::WatchRequest CircleWatch(double lat, double lng, double radius_km) {
  v1::WatchRequest request;
  request.mutable_circle()->mutable_center()->set_latitude(lat);
  request.mutable_circle()->mutable_center()->set_longitude(lng);
  request.mutable_circle()->set_radius_km(radius_km);
  return request;
}

TEST_F(SearchClientsTest, AWatcherAtWelshSeesAClientReportedAtHandsEnterMoveAndLeave) {
  Watcher watcher(herd_, "Welsh", CircleWatch(34.068930, -118.445127, 5));
  v1::WatchEvent event;
  ASSERT_TRUE(watcher.Next(&event));
  EXPECT_EQ(event.type(), v1::WatchEvent::READY);

  // Each report once the previous one's event came: a client moving for real reports seconds
  // apart. Sent at once, a later stamp could reach Welsh first by another path and make the
  // earlier one stale there (only the latest stamp of a client is guaranteed everywhere).
  Report(herd_, "Hands", "kiwi", 35.0, -118.445127, "1");  // outside: no event
  struct Step {
    const char* client;
    double latitude, longitude;
    const char* time;
    v1::WatchEvent::Type expected;
  };
  for (const Step& step : std::vector<Step>{
           {"kiwi", 34.07, -118.445127, "2", v1::WatchEvent::ENTER},      // enters
           {"kiwi", 34.08, -118.44, "3", v1::WatchEvent::MOVE},           // moves inside
           {"kiwi", 34.5, -118.445127, "4", v1::WatchEvent::EXIT},        // leaves
           {"other", 34.07, -118.445127, "5", v1::WatchEvent::ENTER}}) {  // a second client
    Report(herd_, "Hands", step.client, step.latitude, step.longitude, step.time);
    ASSERT_TRUE(watcher.Next(&event)) << watcher.Finish().error_message();
    EXPECT_EQ(event.type(), step.expected) << event.DebugString();
    EXPECT_EQ(event.stamp().client_time_text(), step.time);
    EXPECT_EQ(event.stamp().origin(), "Hands");
  }
  EXPECT_EQ(event.stamp().client_id(), "other");
}

TEST_F(SearchClientsTest, AreaWatchesAcrossTheAntimeridianAndAroundThePole) {
  v1::WatchRequest box;
  box.mutable_box()->mutable_low()->set_latitude(-10);
  box.mutable_box()->mutable_low()->set_longitude(170);
  box.mutable_box()->mutable_high()->set_latitude(10);
  box.mutable_box()->mutable_high()->set_longitude(-170);
  Watcher box_watcher(herd_, "Welsh", box);
  Watcher pole_watcher(herd_, "Goloman", CircleWatch(90, 0, 100));
  v1::WatchEvent event;
  ASSERT_TRUE(box_watcher.Next(&event));
  ASSERT_EQ(event.type(), v1::WatchEvent::READY);
  ASSERT_TRUE(pole_watcher.Next(&event));
  ASSERT_EQ(event.type(), v1::WatchEvent::READY);

  // Each report once the previous one's event came (see the test above).
  struct Step {
    Watcher* watcher;
    const char* client;
    double latitude, longitude;
    const char* time;
    v1::WatchEvent::Type expected;
  };
  for (const Step& step : std::vector<Step>{
           {&box_watcher, "ship", 0, 179.9, "1", v1::WatchEvent::ENTER},  // enters the box
           {&box_watcher, "ship", 0, -179.9, "2", v1::WatchEvent::MOVE},  // across the antimeridian
           {&box_watcher, "ship", 0, -160, "3", v1::WatchEvent::EXIT},    // leaves
           {&pole_watcher, "bear", 89.5, 45, "1",
            v1::WatchEvent::ENTER},  // enters the polar circle
           {&pole_watcher, "bear", 89.9, -120, "2", v1::WatchEvent::MOVE},  // moves past the pole
           {&pole_watcher, "bear", 88, 0, "3", v1::WatchEvent::EXIT}}) {    // leaves (222 km away)
    Report(herd_, "Hands", step.client, step.latitude, step.longitude, step.time);
    ASSERT_TRUE(step.watcher->Next(&event));
    EXPECT_EQ(event.type(), step.expected) << event.DebugString();
    EXPECT_EQ(event.stamp().client_time_text(), step.time);
    EXPECT_EQ(event.stamp().client_id(), step.client);
  }
}

TEST_F(SearchClientsTest, AClientWatchSeesEveryStampOfItsClients) {
  v1::WatchRequest request;
  request.mutable_clients()->add_client_ids("kiwi");
  Watcher watcher(herd_, "Welsh", request);
  v1::WatchEvent event;
  ASSERT_TRUE(watcher.Next(&event));
  EXPECT_EQ(event.type(), v1::WatchEvent::READY);
  Report(herd_, "Goloman", "apple", 1, 1, "1");
  Report(herd_, "Goloman", "kiwi", 1, 1, "1");
  ASSERT_TRUE(watcher.Next(&event));
  EXPECT_EQ(event.type(), v1::WatchEvent::ENTER);
  EXPECT_EQ(event.stamp().client_time_text(), "1");
  // Only once Welsh stored the first stamp: reported at once, the second could reach Welsh first
  // by another path and make the first stale there (never stored, so never an event).
  Report(herd_, "Hands", "kiwi", -40, 100, "2");
  ASSERT_TRUE(watcher.Next(&event));
  EXPECT_EQ(event.type(), v1::WatchEvent::MOVE);
  EXPECT_EQ(event.stamp().origin(), "Hands");
  EXPECT_EQ(event.stamp().client_id(), "kiwi");
}

TEST_F(SearchClientsTest, BadWatchesAreRefusedNamingTheField) {
  for (const auto& [request, field] : std::vector<std::pair<v1::WatchRequest, std::string>>{
           {v1::WatchRequest(), "target"},
           {CircleWatch(34, -118, 0), "radius_km"},
           {CircleWatch(95, -118, 10), "latitude"}}) {
    Watcher watcher(herd_, "Hands", request);
    grpc::Status status = watcher.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  }
}

TEST(WatchLimits, ASlowWatcherIsCutAndTheNodeIsUnharmed) {
  TestHerd herd({"Solo"}, {}, "", 0, testing::Transport::kPlain,
                testing::WithExtraJson(R"("clients": {"watchQueueEvents": 64})"));
  herd.StartAll();
  Watcher slow(herd, "Solo", CircleWatch(10, 10, 100));
  v1::WatchEvent event;
  ASSERT_TRUE(slow.Next(&event));
  ASSERT_EQ(event.type(), v1::WatchEvent::READY);
  // The slow watcher reads nothing while 1,000 clients move 60 times inside its circle (60,000
  // events, several MB: more than the transport buffers for a reader that does not read).
  const uint64_t rss_before = RssBytes(herd.process("Solo")->pid());
  for (int move = 1; move <= 60; ++move) {
    std::vector<std::tuple<std::string, double, double>> batch;
    for (int c = 0; c < 1000; ++c) {
      batch.emplace_back(absl::StrCat("client-", c), 10 + c * 0.0001, 10 + move * 0.0001);
    }
    ReportAll(herd, "Solo", batch, absl::StrCat(move));
  }
  // Now it reads: what was already sent, then the cut.
  int events = 0;
  while (slow.Next(&event)) ++events;
  grpc::Status status = slow.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_LT(events, 60000);
  std::printf("slow watcher read %d events before the cut\n", events);

  // The node still serves, holds every client and accepts new watches.
  EXPECT_EQ(herd.Status("Solo").stamp_count(), 1000u);
  const uint64_t rss_after = RssBytes(herd.process("Solo")->pid());
  std::printf("node RSS %.1f MiB before the load, %.1f MiB after the cut\n", rss_before / 1048576.0,
              rss_after / 1048576.0);
  Watcher fresh(herd, "Solo", CircleWatch(10, 10, 100));
  ASSERT_TRUE(fresh.Next(&event));
  ASSERT_EQ(event.type(), v1::WatchEvent::READY);
  Report(herd, "Solo", "client-1", 10.5, 10.5, "1000");
  ASSERT_TRUE(fresh.Next(&event));
  EXPECT_EQ(event.type(), v1::WatchEvent::MOVE);
}

TEST(WatchLimits, AThousandIdleWatchersCostBoundedMemoryAndOneMoreIsRefused) {
  constexpr int kWatchers = 1000;
  TestHerd herd(
      {"Solo"}, {}, "", 0, testing::Transport::kPlain,
      testing::WithExtraJson(absl::StrCat(R"("clients": {"maxWatchers": )", kWatchers, "}")));
  herd.StartAll();
  const pid_t pid = herd.process("Solo")->pid();
  ASSERT_EQ(herd.Status("Solo").node(), "Solo");  // connected
  const uint64_t rss_before = RssBytes(pid);

  // Asynchronous streams: one completion queue for all of them.
  grpc::CompletionQueue cq;
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientAsyncReader<v1::WatchEvent>> reader;
    v1::WatchEvent event;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < kWatchers; ++i) {
    auto stream = std::make_unique<Stream>();
    SetDeadline(&stream->context, absl::Seconds(120));
    stream->context.set_wait_for_ready(true);
    stream->reader = herd.client("Solo").AsyncWatch(
        &stream->context, CircleWatch(-60 + i * 0.1, (i % 360) - 180.0, 50), &cq, stream.get());
    streams.push_back(std::move(stream));
  }
  // Each stream: started, then READY read.
  int started = 0, ready = 0;
  void* tag;
  bool ok;
  while ((started < kWatchers || ready < kWatchers) &&
         cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + std::chrono::seconds(60)) ==
             grpc::CompletionQueue::GOT_EVENT) {
    auto* stream = static_cast<Stream*>(tag);
    if (!ok) {
      grpc::Status status;
      int finish_tag_value = 0;
      stream->reader->Finish(&status, &finish_tag_value);
      void* finish_tag = nullptr;
      bool finish_ok;
      while (finish_tag != &finish_tag_value && cq.Next(&finish_tag, &finish_ok)) {
      }
      FAIL() << "stream " << started << "/" << ready << ": " << status.error_code() << " "
             << status.error_message();
    }
    if (stream->event.type() == v1::WatchEvent::TYPE_UNSPECIFIED) {
      ++started;
      stream->event.set_type(v1::WatchEvent::EXIT);  // marks "started"
      stream->reader->Read(&stream->event, stream);
    } else {
      EXPECT_EQ(stream->event.type(), v1::WatchEvent::READY);
      ++ready;
    }
  }
  ASSERT_EQ(ready, kWatchers);
  const uint64_t rss_watching = RssBytes(pid);
  const double per_watcher = (static_cast<double>(rss_watching) - rss_before) / kWatchers;
  std::printf("%d idle watchers: node RSS %.1f -> %.1f MiB, %.0f bytes per watcher\n", kWatchers,
              rss_before / 1048576.0, rss_watching / 1048576.0, per_watcher);
  EXPECT_LT(per_watcher, 100 * 1024);

  // One more is refused while they are open.
  {
    Watcher extra(herd, "Solo", CircleWatch(0, 0, 10));
    grpc::Status status = extra.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(status.error_message().find("maxWatchers"), std::string::npos);
  }
  // Stamps still flow while they watch; the node stays responsive.
  Report(herd, "Solo", "kiwi", -60, -180, "1");
  EXPECT_EQ(herd.Status("Solo").stamp_count(), 1u);

  // Closed watches free their places.
  for (auto& stream : streams) stream->context.TryCancel();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  streams.clear();
  ASSERT_TRUE(Eventually(
      [&] {
        Watcher again(herd, "Solo", CircleWatch(0, 0, 10), absl::Seconds(2));
        v1::WatchEvent event;
        return again.Next(&event) && event.type() == v1::WatchEvent::READY;
      },
      absl::Seconds(20)));
}

TEST(ClientIndexConfig, ANodeWithoutTheIndexRefusesSearches) {
  TestHerd herd({"Solo"}, {}, "", 0, testing::Transport::kPlain,
                testing::WithExtraJson(R"("clients": {"index": false})"));
  herd.StartAll();
  Report(herd, "Solo", "kiwi", 1, 1, "1");
  v1::SearchClientsResponse response;
  EXPECT_EQ(Search(herd, "Solo", Around(1, 1, 10, 10), &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(ClientIndexConfig, TheIndexIsRebuiltFromTheDurableStoreAtStart) {
  TestHerd herd({"Solo"}, {}, "", 0, testing::Transport::kPlain,
                testing::WithExtraJson(R"("storage": {"dataDir": "data"})"));
  herd.StartAll();
  Report(herd, "Solo", "kiwi", 1, 1, "1");
  Report(herd, "Solo", "kiwi", 2, 2, "2");
  herd.Kill("Solo");
  herd.Start("Solo");
  v1::SearchClientsResponse response;
  // The first call after the restart may meet the old connection.
  ASSERT_TRUE(Eventually([&] { return Search(herd, "Solo", Around(2, 2, 1, 10), &response).ok(); },
                         absl::Seconds(20)));
  ASSERT_EQ(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).stamp().client_time_text(), "2");
  ASSERT_TRUE(Search(herd, "Solo", Around(1, 1, 1, 10), &response).ok());
  EXPECT_EQ(response.hits_size(), 0);
}

}  // namespace
}  // namespace herd
