// Integration tests: real herd-node processes talking over loopback.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "health.grpc.pb.h"
#include "herd/v1/peer_service.grpc.pb.h"
#include "reflection_probe.grpc.pb.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::Eventually;
using testing::SetDeadline;
using testing::TestHerd;

absl::StatusOr<v1::ReportResponse> Report(TestHerd& herd, const std::string& node,
                                          const std::string& client, const std::string& location,
                                          const std::string& time) {
  v1::ReportRequest request;
  request.set_client_id(client);
  request.set_location(location);
  request.set_client_time(time);
  v1::ReportResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::Status status = herd.client(node).Report(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }
  return response;
}

grpc::Status Get(TestHerd& herd, const std::string& node, const std::string& client,
                 v1::LocationStamp* stamp) {
  v1::GetLocationRequest request;
  request.set_client_id(client);
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(1));
  return herd.client(node).GetLocation(&context, request, stamp);
}

// True once `node` holds a stamp for `client` with client time `time`.
bool Holds(TestHerd& herd, const std::string& node, const std::string& client,
           const std::string& time) {
  v1::LocationStamp stamp;
  return Get(herd, node, client, &stamp).ok() && stamp.client_time_text() == time;
}

// Every check runs against a plain herd and a mutual-TLS one.
class DefaultHerdTest : public ::testing::TestWithParam<testing::Transport> {
 protected:
  DefaultHerdTest() : herd_(TestHerd::DefaultNames(), TestHerd::DefaultLinks(), "", 0, GetParam()) {
    herd_.StartAll();
    EXPECT_TRUE(herd_.WaitUntilLinked());
  }
  TestHerd herd_;
};

TEST_P(DefaultHerdTest, AStampReportedAtHandsIsReadableAtWelsh) {
  auto response =
      Report(herd_, "Hands", "kiwi.cs.ucla.edu", "+34.068930-118.445127", "1520023934.918963997");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(response->stored());
  EXPECT_EQ(response->stamp().origin(), "Hands");
  EXPECT_EQ(response->stamp().client_time().seconds(), 1520023934);
  EXPECT_EQ(response->stamp().client_time().nanos(), 918963997u);

  ASSERT_TRUE(Eventually(
      [&] { return Holds(herd_, "Welsh", "kiwi.cs.ucla.edu", "1520023934.918963997"); }));
  v1::LocationStamp at_welsh;
  ASSERT_TRUE(Get(herd_, "Welsh", "kiwi.cs.ucla.edu", &at_welsh).ok());
  EXPECT_EQ(at_welsh.SerializeAsString(), response->stamp().SerializeAsString());
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_TRUE(Eventually([&] {
      return Holds(herd_, node, "kiwi.cs.ucla.edu", "1520023934.918963997");
    })) << node;
  }
}

TEST_P(DefaultHerdTest, FloodingRoutesAroundADeadNodeAndReachesItAfterRestart) {
  herd_.Kill("Goloman");
  auto response = Report(herd_, "Hands", "kiwi", "+1+1", "100");
  ASSERT_TRUE(response.ok()) << response.status();
  // Hands -> Wilkes -> Holiday -> Welsh, with Goloman gone.
  EXPECT_TRUE(Eventually([&] { return Holds(herd_, "Welsh", "kiwi", "100"); }));

  herd_.Start("Goloman");
  // The legacy scripts' expectation: half a second after a restart, the node is part of the
  // herd again. Stamps reported from then on reach it.
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_TRUE(Report(herd_, "Welsh", "apple", "+2+2", "200").ok());
  EXPECT_TRUE(
      Eventually([&] { return Holds(herd_, "Goloman", "apple", "200"); }, absl::Seconds(3)));
  // And the stamp it missed while down arrives with the catch-up on relink.
  EXPECT_TRUE(Eventually([&] { return Holds(herd_, "Goloman", "kiwi", "100"); }));
  // Stamps reported at the restarted node travel out again.
  ASSERT_TRUE(Report(herd_, "Goloman", "pear", "+3+3", "300").ok());
  EXPECT_TRUE(Eventually([&] { return Holds(herd_, "Welsh", "pear", "300"); }));
  EXPECT_TRUE(herd_.WaitUntilConverged());
  EXPECT_EQ(herd_.Status("Goloman").stamp_count(), 3u);
}

// Reports `count` stamps for clients prefix0.. in batches; all must succeed.
void ReportMany(TestHerd& herd, const std::string& node, const std::string& prefix, int count,
                const std::string& time) {
  for (int first = 0; first < count; first += 1000) {
    v1::ReportBatchRequest batch;
    for (int i = first; i < std::min(count, first + 1000); ++i) {
      v1::ReportRequest* r = batch.add_reports();
      r->set_client_id(absl::StrCat(prefix, i));
      r->set_location("+34.068930-118.445127");
      r->set_client_time(time);
    }
    v1::ReportBatchResponse results;
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(herd.client(node).ReportBatch(&context, batch, &results).ok());
    for (const v1::ReportResult& result : results.results()) ASSERT_EQ(result.code(), 0);
  }
}

TEST_P(DefaultHerdTest, ACutOffNodeCatchesUpWithEverythingItMissed) {
  // Holiday is Welsh's only link: without it Welsh is alone, but still serving.
  herd_.Kill("Holiday");
  ReportMany(herd_, "Hands", "east-", 5000, "100");
  ReportMany(herd_, "Welsh", "west-", 3000, "200");
  // Both sides hold a client the other side reported later.
  ASSERT_TRUE(Report(herd_, "Welsh", "shared", "+1+1", "10").ok());
  ASSERT_TRUE(Report(herd_, "Hands", "shared", "+2+2", "20").ok());
  EXPECT_EQ(herd_.Status("Welsh").stamp_count(), 3001u);

  herd_.Start("Holiday");
  ASSERT_TRUE(herd_.WaitUntilLinked());
  ASSERT_TRUE(herd_.WaitUntilConverged());
  for (const std::string& node : TestHerd::DefaultNames()) {
    v1::NodeStatus status = herd_.Status(node);
    EXPECT_EQ(status.stamp_count(), 8001u) << node;
    EXPECT_TRUE(Holds(herd_, node, "shared", "20")) << node;
    EXPECT_TRUE(Holds(herd_, node, "west-2999", "200")) << node;
    EXPECT_TRUE(Holds(herd_, node, "east-4999", "100")) << node;
  }
}

TEST_P(DefaultHerdTest, StatusNamesTheNodeAndItsLinks) {
  v1::NodeStatus goloman = herd_.Status("Goloman");
  EXPECT_EQ(goloman.node(), "Goloman");
  EXPECT_EQ(std::vector<std::string>(goloman.linked_peers().begin(), goloman.linked_peers().end()),
            (std::vector<std::string>{"Hands", "Holiday", "Wilkes"}));
  herd_.Kill("Hands");
  EXPECT_TRUE(Eventually([&] { return herd_.Status("Goloman").linked_peers_size() == 2; }));
}

TEST_P(DefaultHerdTest, ConcurrentReportsOfOneClientConvergeEverywhere) {
  std::vector<std::thread> reporters;
  std::vector<std::string> names = TestHerd::DefaultNames();
  for (size_t n = 0; n < names.size(); ++n) {
    reporters.emplace_back([&, n] {
      for (int i = 0; i < 40; ++i) {
        // Every node reports the same client times, so ties must break the same way everywhere.
        auto r = Report(herd_, names[n], "contested", absl::StrCat("+", n, ".5-", i, ".25"),
                        absl::StrCat(1000 + i % 20));
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& t : reporters) t.join();
  auto identical_everywhere = [&] {
    std::string first;
    for (const std::string& node : names) {
      v1::LocationStamp stamp;
      if (!Get(herd_, node, "contested", &stamp).ok()) return false;
      std::string bytes = stamp.SerializeAsString();
      if (first.empty()) first = bytes;
      if (bytes != first) return false;
    }
    return true;
  };
  ASSERT_TRUE(Eventually(identical_everywhere));
  v1::LocationStamp winner;
  ASSERT_TRUE(Get(herd_, "Welsh", "contested", &winner).ok());
  EXPECT_EQ(winner.client_time_text(), "1019");
  EXPECT_EQ(winner.origin(), "Wilkes");  // the greatest name among equal client times
}

TEST_P(DefaultHerdTest, OlderStampsNeverReplaceNewerOnes) {
  ASSERT_TRUE(Report(herd_, "Hands", "kiwi", "+1+1", "200").ok());
  ASSERT_TRUE(Eventually([&] { return Holds(herd_, "Welsh", "kiwi", "200"); }));
  auto older = Report(herd_, "Welsh", "kiwi", "+9+9", "100");
  ASSERT_TRUE(older.ok());
  EXPECT_FALSE(older->stored());
  EXPECT_EQ(older->stamp().origin(), "Welsh");
  ASSERT_TRUE(Report(herd_, "Goloman", "marker", "+1+1", "1").ok());
  ASSERT_TRUE(Eventually([&] { return Holds(herd_, "Hands", "marker", "1"); }));
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_TRUE(Holds(herd_, node, "kiwi", "200")) << node;
  }
}

TEST_P(DefaultHerdTest, ApiErrorsAreExact) {
  auto bad_location = Report(herd_, "Hands", "kiwi", "+91-118", "1");
  ASSERT_EQ(bad_location.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_location.status().message().find("location"), absl::string_view::npos);
  auto bad_time = Report(herd_, "Hands", "kiwi", "+1-1", "1e5");
  ASSERT_EQ(bad_time.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_time.status().message().find("client_time"), absl::string_view::npos);
  // More than the default 24 h ahead of the node's clock; a minute less than that is fine.
  auto pinned = Report(herd_, "Hands", "kiwi", "+1-1", "4000000000.000000000");
  ASSERT_EQ(pinned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(pinned.status().message().find("client_time"), absl::string_view::npos)
      << pinned.status();
  EXPECT_TRUE(
      Report(herd_, "Hands", "soon", "+1-1", absl::StrCat(absl::ToUnixSeconds(absl::Now()) + 86340))
          .ok());
  auto bad_client = Report(herd_, "Hands", "", "+1-1", "1");
  ASSERT_EQ(bad_client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_client.status().message().find("client_id"), absl::string_view::npos);

  v1::LocationStamp stamp;
  EXPECT_EQ(Get(herd_, "Hands", "nobody", &stamp).error_code(), grpc::StatusCode::NOT_FOUND);

  // Batches: each report succeeds or fails alone, in order.
  v1::ReportBatchRequest batch;
  for (const char* location : {"+1+1", "bad", "+2+2"}) {
    v1::ReportRequest* r = batch.add_reports();
    r->set_client_id(absl::StrCat("batch", location));
    r->set_location(location);
    r->set_client_time("5");
  }
  v1::ReportBatchResponse results;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(herd_.client("Hands").ReportBatch(&context, batch, &results).ok());
  ASSERT_EQ(results.results_size(), 3);
  EXPECT_EQ(results.results(0).code(), 0);
  EXPECT_EQ(results.results(0).response().stamp().location_text(), "+1+1");
  EXPECT_EQ(results.results(1).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_NE(results.results(1).message().find("location"), std::string::npos);
  EXPECT_EQ(results.results(2).code(), 0);

  // No places provider in this herd's config.
  v1::SearchNearbyRequest search;
  search.set_client_id("batch+1+1");
  search.set_radius_km(10);
  search.set_max_results(5);
  v1::SearchNearbyResponse found;
  grpc::ClientContext search_context;
  SetDeadline(&search_context);
  EXPECT_EQ(herd_.client("Hands").SearchNearby(&search_context, search, &found).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  search.set_radius_km(51);
  grpc::ClientContext bounds_context;
  SetDeadline(&bounds_context);
  grpc::Status bounds = herd_.client("Hands").SearchNearby(&bounds_context, search, &found);
  EXPECT_EQ(bounds.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bounds.error_message().find("radius_km"), std::string::npos);
}

// Opens a Link stream to `node` claiming to be `caller`; returns how the node ends it.
grpc::Status LinkAs(TestHerd& herd, const std::string& node, const std::string& caller) {
  auto stub = v1::PeerService::NewStub(herd.channel(node));
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(2));
  if (!caller.empty()) context.AddMetadata("x-herd-node", caller);
  auto stream = stub->Link(&context);
  v1::PeerMessage message;
  message.mutable_hello()->set_node(caller);
  stream->Write(message);
  while (stream->Read(&message)) {
  }
  return stream->Finish();
}

TEST_P(DefaultHerdTest, NodesThatAreNotConfiguredPeersAreRefused) {
  // With TLS a caller's name comes from its certificate (tests/node/tls_test.cc); this API
  // client has none, so every stream is refused whatever it claims.
  if (herd_.tls()) {
    grpc::Status claimed = LinkAs(herd_, "Goloman", "Hands");
    EXPECT_EQ(claimed.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(claimed.error_message().find("no client certificate"), std::string::npos)
        << claimed.error_message();
    return;
  }
  grpc::Status stranger = LinkAs(herd_, "Goloman", "Mallory");
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(stranger.error_message().find("Mallory"), std::string::npos);
  // Welsh is a node of the herd but not linked to Goloman.
  EXPECT_EQ(LinkAs(herd_, "Goloman", "Welsh").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(LinkAs(herd_, "Goloman", "").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_P(DefaultHerdTest, HealthAndReflectionAreServed) {
  auto health = grpc::health::v1::Health::NewStub(herd_.channel("Holiday"));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(herd_.channel("Holiday"));
  grpc::ClientContext reflection_context;
  SetDeadline(&reflection_context);
  auto stream = reflection->ServerReflectionInfo(&reflection_context);
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse services;
  ASSERT_TRUE(stream->Read(&services));
  std::vector<std::string> names;
  for (const auto& s : services.list_services_response().service()) names.push_back(s.name());
  EXPECT_NE(std::find(names.begin(), names.end(), "herd.v1.LocationService"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "herd.v1.PeerService"), names.end());
  while (stream->Read(&services)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_P(DefaultHerdTest, LogsRecordStampsAndLinks) {
  ASSERT_TRUE(Report(herd_, "Hands", "logged", "+1+1", "7").ok());
  ASSERT_TRUE(Eventually([&] { return Holds(herd_, "Welsh", "logged", "7"); }));
  auto log_has = [&](const std::string& node, const std::string& text) {
    return Eventually(
        [&] { return testing::ReadFile(herd_.log_path(node)).find(text) != std::string::npos; });
  };
  EXPECT_TRUE(log_has("Hands", "report AT Hands"));
  EXPECT_TRUE(log_has("Hands", "send AT Hands"));
  EXPECT_TRUE(log_has("Hands", "logged +1+1 7 to Goloman,Wilkes"));
  EXPECT_TRUE(log_has("Welsh", "recv AT Hands"));
  EXPECT_TRUE(log_has("Welsh", "logged +1+1 7 from Holiday stored"));
  EXPECT_TRUE(log_has("Welsh", "link Holiday up"));
  herd_.Kill("Holiday");
  EXPECT_TRUE(log_has("Welsh", "link Holiday down"));
}

INSTANTIATE_TEST_SUITE_P(Transports, DefaultHerdTest,
                         ::testing::Values(testing::Transport::kPlain, testing::Transport::kTls),
                         testing::TransportName);

TEST(AnyTopology, ALineOfNodesWithOtherNames) {
  TestHerd herd({"zeta", "alpha", "Mid"}, {{"zeta", "Mid"}, {"Mid", "alpha"}});
  herd.StartAll();
  ASSERT_TRUE(Report(herd, "zeta", "c1", "+10-10", "1").ok());
  ASSERT_TRUE(Report(herd, "alpha", "c2", "-10+10", "2").ok());
  EXPECT_TRUE(Eventually([&] { return Holds(herd, "alpha", "c1", "1"); }));
  EXPECT_TRUE(Eventually([&] { return Holds(herd, "zeta", "c2", "2"); }));
}

TEST(NodeProcess, BadConfigAndNamesFailWithAClearMessage) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() + "/bad.json",
                     R"({"nodes": [{"name": "A", "grpcAddress": "x", "textAddress": "127.0.0.1:1"}],
                         "logDir": "logs"})");
  std::string out = dir.path() + "/out.txt";
  {
    testing::Process node(
        {testing::BinaryPath("herd-node"), "--config", dir.path() + "/bad.json", "--name", "A"},
        out);
    int status = node.Wait(absl::Seconds(10));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  }
  EXPECT_NE(testing::ReadFile(out).find("nodes[0].grpcAddress"), std::string::npos)
      << testing::ReadFile(out);

  TestHerd herd({"A"}, {});
  std::string out2 = dir.path() + "/out2.txt";
  testing::Process unknown(
      {testing::BinaryPath("herd-node"), "--config", herd.config_path(), "--name", "B"}, out2);
  int status = unknown.Wait(absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(testing::ReadFile(out2).find("no node \"B\""), std::string::npos);
}

v1::ReportBatchRequest BatchOf(const std::string& prefix, int count) {
  v1::ReportBatchRequest request;
  for (int i = 0; i < count; ++i) {
    v1::ReportRequest* report = request.add_reports();
    report->set_client_id(absl::StrCat(prefix, i));
    report->set_location("+34.068930-118.445127");
    report->set_client_time("1520023934.5");
  }
  return request;
}

// The gateway's stream: every batch is answered, in order, as ReportBatch would answer it, and
// flooded like one; a stopping node ends the stream itself instead of at its shutdown deadline.
TEST(ReportBatchesTest, AnswersEachBatchInOrderAndEndsWhenTheNodeStops) {
  TestHerd herd({"Hands", "Welsh"}, {{"Hands", "Welsh"}});
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(30));
  auto stream = herd.client("Hands").ReportBatches(&context);
  for (int batch = 0; batch < 3; ++batch) {
    v1::ReportBatchRequest request = BatchOf(absl::StrCat("batch", batch, "-"), batch + 1);
    if (batch == 2) request.mutable_reports(1)->set_location("nowhere");
    ASSERT_TRUE(stream->Write(request));
    v1::ReportBatchResponse response;
    ASSERT_TRUE(stream->Read(&response));
    ASSERT_EQ(response.results_size(), batch + 1);
    for (int i = 0; i <= batch; ++i) {
      const v1::ReportResult& result = response.results(i);
      if (batch == 2 && i == 1) {
        EXPECT_EQ(result.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
        EXPECT_NE(result.message().find("location"), std::string::npos) << result.message();
        continue;
      }
      EXPECT_EQ(result.code(), 0) << result.message();
      EXPECT_EQ(result.response().stamp().client_id(), absl::StrCat("batch", batch, "-", i));
      EXPECT_EQ(result.response().stamp().origin(), "Hands");
      EXPECT_TRUE(result.response().stored());
    }
  }
  EXPECT_TRUE(Eventually([&] { return Holds(herd, "Welsh", "batch2-2", "1520023934.5"); }));
  EXPECT_TRUE(Holds(herd, "Welsh", "batch0-0", "1520023934.5"));
  EXPECT_FALSE(Holds(herd, "Welsh", "batch2-1", "1520023934.5"));

  const int status = herd.process("Hands")->Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  v1::ReportBatchResponse none;
  EXPECT_FALSE(stream->Read(&none));
  const grpc::Status end = stream->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::UNAVAILABLE) << end.error_message();
  EXPECT_EQ(end.error_message(), "the node is stopping");
}

TEST(ReportBatchesTest, ABatchOverTheLimitEndsTheStreamWithInvalidArgument) {
  TestHerd herd({"Hands"}, {});
  herd.Start("Hands");
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(30));
  auto stream = herd.client("Hands").ReportBatches(&context);
  ASSERT_TRUE(stream->Write(BatchOf("c", 65537)));
  v1::ReportBatchResponse none;
  EXPECT_FALSE(stream->Read(&none));
  const grpc::Status end = stream->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << end.error_message();
  EXPECT_NE(end.error_message().find("at most 65536"), std::string::npos) << end.error_message();
  EXPECT_EQ(herd.Status("Hands").stamp_count(), 0u);
}

}  // namespace
}  // namespace herd

namespace herd {
namespace {

class SearchNearbyTest : public ::testing::Test {
 protected:
  SearchNearbyTest()
      : herd_({"Hands"}, {},
              absl::StrCat(R"({"geonames": {"dataFile": ")", HERD_PLACES_FIXTURE, R"("}})")) {
    herd_.Start("Hands");
  }

  grpc::Status Search(const v1::SearchNearbyRequest& request, v1::SearchNearbyResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context);
    return herd_.client("Hands").SearchNearby(&context, request, response);
  }

  TestHerd herd_;
};

TEST_F(SearchNearbyTest, ByClientAndByCoordinates) {
  ASSERT_TRUE(
      Report(herd_, "Hands", "kiwi.cs.ucla.edu", "+34.068930-118.445127", "1520023934.918963997")
          .ok());
  v1::SearchNearbyRequest by_client;
  by_client.set_client_id("kiwi.cs.ucla.edu");
  by_client.set_radius_km(25);
  by_client.set_max_results(3);
  v1::SearchNearbyResponse found;
  ASSERT_TRUE(Search(by_client, &found).ok());
  EXPECT_EQ(found.stamp().client_time_text(), "1520023934.918963997");
  ASSERT_EQ(found.places_size(), 3);
  EXPECT_EQ(found.places(0).name(), "Los Angeles");  // the most populous within 25 km
  for (const v1::Place& place : found.places()) {
    EXPECT_LE(place.distance_m(), 25000) << place.name();
    EXPECT_FALSE(place.place_id().empty());
    EXPECT_FALSE(place.types().empty());
  }
  EXPECT_NE(found.legacy_json().find("\"name\" : \"Los Angeles\""), std::string::npos);

  v1::SearchNearbyRequest by_location;
  by_location.mutable_location()->set_latitude(34.05223);
  by_location.mutable_location()->set_longitude(-118.24368);
  by_location.set_radius_km(1);
  by_location.set_max_results(20);
  v1::SearchNearbyResponse near_downtown;
  ASSERT_TRUE(Search(by_location, &near_downtown).ok());
  EXPECT_FALSE(near_downtown.has_stamp());
  ASSERT_GE(near_downtown.places_size(), 1);
  EXPECT_EQ(near_downtown.places(0).name(), "Los Angeles");
  EXPECT_LT(near_downtown.places(0).distance_m(), 1);

  // The gateway's form: the same JSON and stamp, no places.
  v1::SearchNearbyRequest json_only = by_client;
  json_only.set_json_only(true);
  v1::SearchNearbyResponse json_found;
  ASSERT_TRUE(Search(json_only, &json_found).ok());
  EXPECT_EQ(json_found.places_size(), 0);
  EXPECT_EQ(json_found.legacy_json(), found.legacy_json());
  EXPECT_EQ(json_found.stamp().client_time_text(), "1520023934.918963997");
}

TEST_F(SearchNearbyTest, BoundsAndUnknownClients) {
  v1::SearchNearbyResponse response;
  v1::SearchNearbyRequest request;
  request.set_client_id("nobody");
  request.set_radius_km(10);
  request.set_max_results(5);
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::NOT_FOUND);

  auto expect_invalid = [&](v1::SearchNearbyRequest bad, const std::string& field) {
    grpc::Status status = Search(bad, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_NE(status.error_message().find(field), std::string::npos) << status.error_message();
  };
  for (double radius : {0.0, -1.0, 50.001, std::nan("")}) {
    v1::SearchNearbyRequest bad = request;
    bad.set_radius_km(radius);
    expect_invalid(bad, "radius_km");
  }
  for (uint32_t count : {0u, 21u}) {
    v1::SearchNearbyRequest bad = request;
    bad.set_max_results(count);
    expect_invalid(bad, "max_results");
  }
  v1::SearchNearbyRequest no_center = request;
  no_center.clear_client_id();
  expect_invalid(no_center, "center");
  v1::SearchNearbyRequest bad_latitude = request;
  bad_latitude.mutable_location()->set_latitude(90.5);
  expect_invalid(bad_latitude, "latitude");
  v1::SearchNearbyRequest bad_longitude = request;
  bad_longitude.mutable_location()->set_longitude(-180.5);
  expect_invalid(bad_longitude, "longitude");

  // Exactly 50 km and 20 results are allowed.
  v1::SearchNearbyRequest edge;
  edge.mutable_location()->set_latitude(34.0689);
  edge.mutable_location()->set_longitude(-118.4452);
  edge.set_radius_km(50);
  edge.set_max_results(20);
  ASSERT_TRUE(Search(edge, &response).ok());
  EXPECT_EQ(response.places_size(), 20);
}

}  // namespace
}  // namespace herd
