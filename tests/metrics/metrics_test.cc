// /metrics of a running herd: five herd-node processes and one herd-gateway per node, each
// scraped over HTTP, every exposition checked by promtool; the counters follow IAMATs and
// WHATSATs through a gateway, and a link that goes down and comes back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/metrics/scrape.h"
#include "tests/support/test_herd.h"

namespace herd::testing {
namespace {

constexpr int kMaxLineBytes = 1024;
constexpr int kReports = 200;

std::string Labels(const std::string& name, const std::string& value) {
  return absl::StrCat("{", name, "=\"", value, "\"}");
}

// The addresses of node `name` of `herd`.
const NodeAddresses& NodeOf(const TestHerd& herd, const std::string& name) {
  for (const NodeAddresses& node : herd.spec().nodes) {
    if (node.name == name) return node;
  }
  ADD_FAILURE() << "no node " << name;
  return herd.spec().nodes.front();
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest()
      : herd_(TestHerd::DefaultNames(), TestHerd::DefaultLinks(),
              absl::StrCat(R"({"geonames": {"dataFile": ")", HERD_PLACES_FIXTURE, R"("}})"), 0,
              Transport::kPlain, [](HerdSpec& spec) {
                spec.max_line_bytes = kMaxLineBytes;
                spec.node_down_grace_ms = 200;
                for (NodeAddresses& node : spec.nodes) {
                  node.metrics_address = FreeLoopbackAddress();
                  node.gateway_metrics_address = FreeLoopbackAddress();
                }
              }) {}

  void SetUp() override {
    herd_.StartAll();
    for (const std::string& name : TestHerd::DefaultNames()) StartGatewayFor(name);
    ASSERT_TRUE(herd_.WaitUntilLinked(absl::Seconds(30)));
  }

  void StartGatewayFor(const std::string& name) {
    gateways_[name] = StartGateway(herd_.config_path(), name, {herd_.text_address(name)},
                                   absl::StrCat(herd_.dir(), "/gateway-", name, ".out"));
    ASSERT_NE(gateways_[name], nullptr) << "herd-gateway for " << name << " did not start";
  }

  const NodeAddresses& Node(const std::string& name) { return NodeOf(herd_, name); }

  // Scrapes the node's (or its gateway's) /metrics; empty samples when the scrape fails.
  Samples ScrapeNode(const std::string& name) { return Scrape(Node(name).metrics_address); }
  Samples ScrapeGateway(const std::string& name) {
    return Scrape(Node(name).gateway_metrics_address);
  }
  static Samples Scrape(const std::string& address) {
    absl::StatusOr<std::string> body = ScrapeMetrics(address);
    if (!body.ok()) return {};
    return ParseSamples(*body);
  }

  // Waits until `series` of the node's metrics satisfies `want`; its last value.
  double WaitForNode(const std::string& name, const std::string& series,
                     const std::function<bool(double)>& want,
                     absl::Duration timeout = absl::Seconds(20)) {
    double value = -1;
    Eventually(
        [&] {
          value = Value(ScrapeNode(name), series);
          return want(value);
        },
        timeout);
    return value;
  }
  double WaitForGateway(const std::string& name, const std::string& series,
                        const std::function<bool(double)>& want,
                        absl::Duration timeout = absl::Seconds(20)) {
    double value = -1;
    Eventually(
        [&] {
          value = Value(ScrapeGateway(name), series);
          return want(value);
        },
        timeout);
    return value;
  }

  TestHerd herd_;
  std::map<std::string, std::unique_ptr<Process>> gateways_;
};

TEST_F(MetricsTest, EveryProcessServesAnExpositionPromtoolAccepts) {
  for (const NodeAddresses& node : herd_.spec().nodes) {
    for (const auto& [kind, address] : {std::pair{"node", node.metrics_address},
                                        std::pair{"gateway", node.gateway_metrics_address}}) {
      absl::StatusOr<std::string> body = ScrapeMetrics(address);
      ASSERT_TRUE(body.ok()) << kind << " " << node.name << ": " << body.status();
      EXPECT_TRUE(PromtoolCheck(*body, herd_.dir(), absl::StrCat(kind, "-", node.name)).ok())
          << PromtoolCheck(*body, herd_.dir(), absl::StrCat(kind, "-", node.name));
    }
  }
  // Every configured link is reported up at both ends, and the gateways see their nodes up.
  for (const auto& [a, b] : TestHerd::DefaultLinks()) {
    EXPECT_EQ(
        WaitForNode(a, "herd_peer_link_up" + Labels("peer", b), [](double v) { return v == 1; }), 1)
        << a << " -> " << b;
    EXPECT_EQ(
        WaitForNode(b, "herd_peer_link_up" + Labels("peer", a), [](double v) { return v == 1; }), 1)
        << b << " -> " << a;
  }
  for (const std::string& name : TestHerd::DefaultNames()) {
    EXPECT_EQ(WaitForGateway(name, "herd_gateway_node_up" + Labels("node", name),
                             [](double v) { return v == 1; }),
              1)
        << name;
    Samples node = ScrapeNode(name);
    EXPECT_EQ(Value(node, "herd_node_stamps"), 0) << name;
    EXPECT_EQ(Value(node, R"(herd_node_reports_received_total{source="client"})"), 0) << name;
  }
}

TEST_F(MetricsTest, CountersFollowTrafficThroughAGateway) {
  // IAMATs for kReports clients and a WHATSAT through Hands's gateway, plus a malformed line.
  absl::StatusOr<TextClient> client = TextClient::Connect(herd_.text_address("Hands"));
  ASSERT_TRUE(client.ok()) << client.status();
  std::string lines;
  for (int i = 0; i < kReports; ++i) {
    absl::StrAppend(&lines, "IAMAT client-", i, " +34.068930-118.445127 1520023934.", 100 + i,
                    "\n");
  }
  ASSERT_TRUE(client->Send(lines).ok());
  absl::StatusOr<std::string> replies = client->ReadLines(kReports);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_TRUE(client->Send("WHATSAT client-7 10 3\n").ok());
  absl::StatusOr<std::string> whatsat = client->ReadUntil("\n\n");
  ASSERT_TRUE(whatsat.ok()) << whatsat.status();
  ASSERT_EQ(whatsat->rfind("AT Hands ", 0), 0u) << *whatsat;
  ASSERT_TRUE(client->Send("HELLO there\n").ok());
  absl::StatusOr<std::string> invalid = client->ReadLines(1);
  ASSERT_TRUE(invalid.ok());
  EXPECT_EQ(*invalid, "? HELLO there\n");
  // A line over the limit on a second connection: "?" and the connection is closed.
  {
    absl::StatusOr<TextClient> long_line = TextClient::Connect(herd_.text_address("Hands"));
    ASSERT_TRUE(long_line.ok());
    ASSERT_TRUE(long_line->Send(std::string(2 * kMaxLineBytes, 'x') + "\n").ok());
    absl::StatusOr<std::string> rest = long_line->ReadToEof();
    ASSERT_TRUE(rest.ok()) << rest.status();
    EXPECT_EQ(rest->rfind("? ", 0), 0u);
  }
  ASSERT_TRUE(herd_.WaitUntilConverged());

  // Hands took the reports from a client, its peers from peers.
  Samples hands = ScrapeNode("Hands");
  EXPECT_EQ(Value(hands, R"(herd_node_reports_received_total{source="client"})"), kReports);
  EXPECT_EQ(Value(hands, R"(herd_node_merges_total{result="stored"})"), kReports);
  EXPECT_GE(Value(hands, "herd_node_store_digest_changes_total"), 1);
  EXPECT_EQ(Value(hands, "herd_node_stamps"), kReports);
  EXPECT_EQ(Value(hands, R"(herd_rpc_duration_seconds_count{method="SearchNearby"})"), 1);
  EXPECT_EQ(Value(hands, "herd_places_search_duration_seconds_count"), 1);
  EXPECT_EQ(Value(hands, "herd_places_errors_total"), 0);
  EXPECT_EQ(Value(hands, "herd_places_cache_hits_total"), 0);  // GeoNames: no cache
  for (const std::string peer : {"Goloman", "Wilkes"}) {
    // Every stamp is flooded to both of Hands's peers or reaches them by catch-up.
    EXPECT_GE(Value(hands, "herd_peer_stamps_sent_total" + Labels("peer", peer)) +
                  Value(hands, "herd_peer_catch_up_stamps_sent_total" + Labels("peer", peer)),
              kReports)
        << peer;
    EXPECT_GT(Value(hands, "herd_peer_bytes_sent_total" + Labels("peer", peer)), kReports * 40)
        << peer;
    EXPECT_GT(Value(hands, "herd_peer_bytes_received_total" + Labels("peer", peer)), 0) << peer;
    EXPECT_EQ(WaitForNode("Hands", "herd_peer_outbound_queue_bytes" + Labels("peer", peer),
                          [](double v) { return v == 0; }),
              0)
        << peer;
  }
  std::string digest;
  for (const std::string& name : TestHerd::DefaultNames()) {
    Samples node = ScrapeNode(name);
    EXPECT_EQ(Value(node, "herd_node_stamps"), kReports) << name;
    std::string digest_series;
    for (const auto& [series, value] : node) {
      if (series.rfind("herd_node_store_digest_info{", 0) == 0) digest_series = series;
    }
    if (digest.empty()) digest = digest_series;
    EXPECT_EQ(digest_series, digest) << name << ": converged stores show one digest";
    if (name == "Hands") continue;
    EXPECT_EQ(Value(node, R"(herd_node_reports_received_total{source="client"})"), 0) << name;
    EXPECT_GE(Value(node, R"(herd_node_reports_received_total{source="peer"})") +
                  Value(node, R"(herd_node_reports_received_total{source="catch_up"})"),
              kReports)
        << name;
    EXPECT_EQ(Value(node, R"(herd_node_merges_total{result="stored"})"), kReports) << name;
  }
  // Goloman receives from Hands what Hands sent it (the last batch may still be on its way).
  const double sent_to_goloman =
      Value(hands, "herd_peer_stamps_sent_total" + Labels("peer", "Goloman"));
  EXPECT_EQ(WaitForNode("Goloman", "herd_peer_stamps_received_total" + Labels("peer", "Hands"),
                        [&](double v) { return v >= sent_to_goloman; }),
            sent_to_goloman);

  // The gateway counted the lines by command and the "?" replies by reason.
  const std::string at = R"(node="Hands")";
  Samples gateway = ScrapeGateway("Hands");
  EXPECT_EQ(Value(gateway, "herd_gateway_lines_total{command=\"IAMAT\"," + at + "}"), kReports);
  EXPECT_EQ(Value(gateway, "herd_gateway_lines_total{command=\"WHATSAT\"," + at + "}"), 1);
  EXPECT_EQ(Value(gateway, "herd_gateway_lines_total{command=\"malformed\"," + at + "}"), 1);
  EXPECT_EQ(Value(gateway, "herd_gateway_lines_over_limit_total{" + at + "}"), 1);
  EXPECT_EQ(Value(gateway, "herd_gateway_invalid_replies_total{" + at + ",reason=\"malformed\"}"),
            1);
  EXPECT_EQ(Value(gateway, "herd_gateway_invalid_replies_total{" + at + ",reason=\"over_limit\"}"),
            1);
  EXPECT_EQ(Value(gateway, "herd_gateway_invalid_replies_total{" + at + ",reason=\"iamat\"}"), 0);
  EXPECT_EQ(
      Value(gateway, "herd_gateway_request_duration_seconds_count{command=\"IAMAT\"," + at + "}"),
      kReports);
  EXPECT_EQ(
      Value(gateway, "herd_gateway_request_duration_seconds_count{command=\"WHATSAT\"," + at + "}"),
      1);
  EXPECT_EQ(Value(gateway, "herd_gateway_reports_sent_total" + Labels("node", "Hands")), kReports);
  EXPECT_GE(Value(gateway, "herd_gateway_report_batches_sent_total" + Labels("node", "Hands")), 1);
  // The first connection is still open; the over-long line's is closed (after a linger).
  EXPECT_EQ(WaitForGateway("Hands", "herd_gateway_open_connections{" + at + "}",
                           [](double v) { return v == 1; }),
            1);
  EXPECT_EQ(Value(gateway, "herd_gateway_paused_connections{" + at + "}"), 0);
  client->ShutdownWrite();
  ASSERT_TRUE(client->ReadToEof().ok());
  EXPECT_EQ(WaitForGateway("Hands", "herd_gateway_open_connections{" + at + "}",
                           [](double v) { return v == 0; }),
            0);
  // A client that sends many WHATSATs and reads nothing: once 1 MiB of replies is unsent the
  // connection stops reading (backpressure), and resumes when the client reads.
  {
    constexpr int kSearches = 1500;
    absl::StatusOr<TextClient> slow = TextClient::Connect(herd_.text_address("Hands"));
    ASSERT_TRUE(slow.ok());
    // A small receive buffer, so the kernel cannot take the replies in the connection's place:
    // autotuned loopback buffers (up to 6 MiB received plus 4 MiB sent) could hold all 1500 of
    // them, and the connection then paused only while its searches were out.
    const int receive_buffer = 64 << 10;
    ASSERT_EQ(
        setsockopt(slow->fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer)), 0);
    std::string searches;
    for (int i = 0; i < kSearches; ++i) absl::StrAppend(&searches, "WHATSAT client-7 50 20\n");
    ASSERT_TRUE(slow->Send(searches).ok());
    // The pause needs about 5 MiB of replies written (the gateway's socket takes up to 4 MiB of
    // them first): 700 or so of the 7 KiB answers, which a node busy with other tests' load may
    // take most of a minute to give.
    EXPECT_EQ(WaitForGateway(
                  "Hands", "herd_gateway_paused_connections{" + at + "}",
                  [](double v) { return v == 1; }, absl::Seconds(90)),
              1);
    slow->ShutdownWrite();
    absl::StatusOr<std::string> all = slow->ReadToEof(absl::Seconds(120));
    ASSERT_TRUE(all.ok()) << all.status();
    // Every search is answered: with places, or "?" when its deadline passed while the node
    // was busy (a slow machine).
    auto count = [&](const std::string& what) {
      size_t n = 0;
      for (size_t at_line = all->find(what); at_line != std::string::npos;
           at_line = all->find(what, at_line + 1)) {
        ++n;
      }
      return n;
    };
    const size_t answered = count("AT Hands "), refused = count("? WHATSAT client-7 50 20\n");
    EXPECT_EQ(answered + refused, static_cast<size_t>(kSearches));
    Samples after = ScrapeGateway("Hands");
    EXPECT_GE(Value(after, "herd_gateway_backpressure_pauses_total{" + at + "}"), 1);
    EXPECT_EQ(Value(after, "herd_gateway_invalid_replies_total{" + at + ",reason=\"whatsat\"}"),
              refused);
    EXPECT_EQ(WaitForGateway("Hands", "herd_gateway_paused_connections{" + at + "}",
                             [](double v) { return v == 0; }),
              0);
    EXPECT_EQ(Value(after, "herd_gateway_lines_total{command=\"WHATSAT\"," + at + "}"),
              1 + kSearches);
  }

  // The other gateways saw nothing.
  Samples welsh_gateway = ScrapeGateway("Welsh");
  EXPECT_EQ(Value(welsh_gateway, R"(herd_gateway_lines_total{command="IAMAT",node="Welsh"})"), 0);
}

TEST_F(MetricsTest, ALinkGoesDownAndComesBack) {
  // Stamps for Welsh to miss, then fetch by catch-up when it returns (it keeps no store).
  absl::StatusOr<std::string> reply =
      Exchange(herd_.text_address("Goloman"), "IAMAT before +10+10 1520023934.5");
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(herd_.WaitUntilConverged());
  const std::string welsh = "herd_peer_link_up" + Labels("peer", "Welsh");
  const std::string relinks = "herd_peer_relinks_total" + Labels("peer", "Welsh");
  EXPECT_EQ(Value(ScrapeNode("Holiday"), relinks), 0);

  herd_.Kill("Welsh");
  EXPECT_EQ(WaitForNode("Holiday", welsh, [](double v) { return v == 0; }), 0);
  EXPECT_EQ(WaitForGateway("Welsh", "herd_gateway_node_up" + Labels("node", "Welsh"),
                           [](double v) { return v == 0; }),
            0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        Exchange(herd_.text_address("Goloman"), absl::StrCat("IAMAT missed-", i, " +1+1 15.5"))
            .ok());
  }
  herd_.Start("Welsh");
  ASSERT_TRUE(herd_.WaitUntilLinked(absl::Seconds(30)));
  ASSERT_TRUE(herd_.WaitUntilConverged());
  EXPECT_EQ(WaitForNode("Holiday", welsh, [](double v) { return v == 1; }), 1);
  EXPECT_EQ(WaitForNode("Holiday", relinks, [](double v) { return v >= 1; }), 1);
  EXPECT_EQ(WaitForGateway("Welsh", "herd_gateway_node_up" + Labels("node", "Welsh"),
                           [](double v) { return v == 1; }),
            1);
  // The restarted Welsh started empty and got all 21 stamps from Holiday by catch-up.
  Samples restarted = ScrapeNode("Welsh");
  EXPECT_EQ(Value(restarted, "herd_node_stamps"), 21);
  EXPECT_GE(Value(restarted, R"(herd_node_reports_received_total{source="catch_up"})"), 21);
  EXPECT_GE(
      Value(restarted, "herd_peer_catch_up_stamps_received_total" + Labels("peer", "Holiday")), 21);
  EXPECT_EQ(Value(restarted, "herd_peer_relinks_total" + Labels("peer", "Holiday")), 0);
  EXPECT_GE(Value(ScrapeNode("Holiday"),
                  "herd_peer_catch_up_stamps_sent_total" + Labels("peer", "Welsh")),
            21);
  EXPECT_GE(Value(restarted, "herd_sync_rounds_total"), 1);
}

// A socket listening on a free loopback port; its "127.0.0.1:port".
std::string ListeningAddress(int* fd) {
  *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (*fd < 0 || bind(*fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(*fd, 1) != 0 ||
      getsockname(*fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return "";
  }
  return absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
}

TEST(MetricsConfigTest, AMetricsAddressInUseStopsTheNodeWithAClearError) {
  int listener = -1;
  const std::string taken = ListeningAddress(&listener);
  ASSERT_FALSE(taken.empty());
  TestHerd herd({"Solo"}, {}, "", 0, Transport::kPlain,
                [&](HerdSpec& spec) { spec.nodes[0].metrics_address = taken; });
  Process node({BinaryPath("herd-node"), "--config", herd.config_path(), "--name", "Solo"},
               herd.output_path("Solo"));
  int status = node.Wait(absl::Seconds(20));
  ASSERT_TRUE(WIFEXITED(status)) << ReadFile(herd.output_path("Solo"));
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(ReadFile(herd.output_path("Solo")).find("metrics: cannot serve HTTP on"),
            std::string::npos)
      << ReadFile(herd.output_path("Solo"));
  close(listener);
}

// A node holds the stamps its own clients report for `flood.clientHoldUs` before writing them to
// its peers: reports made within the hold reach the peer in one message. With no hold, a report
// made after the previous one arrived goes in a message of its own.
class FloodHoldTest : public ::testing::Test {
 protected:
  static constexpr int kFloodReports = 5;

  void StartHerd(int hold_us) {
    herd_ = std::make_unique<TestHerd>(
        std::vector<std::string>{"Hands", "Goloman"}, TestHerd::Links{{"Hands", "Goloman"}}, "", 0,
        Transport::kPlain, [hold_us](HerdSpec& spec) {
          spec.extra_json = absl::StrCat(R"("flood": {"clientHoldUs": )", hold_us, "}");
          for (NodeAddresses& node : spec.nodes) node.metrics_address = FreeLoopbackAddress();
        });
    herd_->StartAll();
    ASSERT_TRUE(herd_->WaitUntilLinked(absl::Seconds(30)));
  }

  void Report(int i) {
    v1::ReportRequest request;
    request.set_client_id(absl::StrCat("held-", i));
    request.set_location("+34.068930-118.445127");
    request.set_client_time(absl::StrCat(1520023934 + i, ".5"));
    v1::ReportResponse response;
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = herd_->client("Hands").Report(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.stored());
  }

  double Metric(const std::string& node, const std::string& series) {
    absl::StatusOr<std::string> body = ScrapeMetrics(NodeOf(*herd_, node).metrics_address);
    return body.ok() ? Value(ParseSamples(*body), series) : -1;
  }

  // Waits until Goloman has read `count` flooded stamps from Hands.
  bool GolomanReceived(int count) {
    return Eventually(
        [&] {
          return Metric("Goloman", "herd_peer_stamps_received_total" + Labels("peer", "Hands")) >=
                 count;
        },
        absl::Seconds(20));
  }

  std::unique_ptr<TestHerd> herd_;
};

TEST_F(FloodHoldTest, ReportsWithinTheHoldShareOneMessage) {
  StartHerd(/*hold_us=*/1000000);
  const absl::Time start = absl::Now();
  for (int i = 0; i < kFloodReports; ++i) Report(i);
  ASSERT_LT(absl::Now() - start, absl::Milliseconds(500)) << "the reports were too slow to test";
  // Well within the one-second hold nothing has left yet.
  const double sent_early =
      Metric("Hands", "herd_peer_stamps_sent_total" + Labels("peer", "Goloman"));
  if (absl::Now() - start < absl::Milliseconds(900)) {
    EXPECT_EQ(sent_early, 0);
  }
  ASSERT_TRUE(GolomanReceived(kFloodReports));
  // Hands counts a message once its write has completed, which may be after Goloman read it.
  EXPECT_TRUE(Eventually([&] {
    return Metric("Hands", "herd_peer_stamps_sent_total" + Labels("peer", "Goloman")) ==
           kFloodReports;
  }));
  EXPECT_EQ(Metric("Hands", "herd_peer_stamp_messages_sent_total" + Labels("peer", "Goloman")), 1);
}

TEST_F(FloodHoldTest, WithNoHoldEachReportLeavesAtOnce) {
  StartHerd(/*hold_us=*/0);
  for (int i = 0; i < kFloodReports; ++i) {
    Report(i);
    ASSERT_TRUE(GolomanReceived(i + 1)) << "report " << i;
  }
  EXPECT_TRUE(Eventually([&] {
    return Metric("Hands", "herd_peer_stamps_sent_total" + Labels("peer", "Goloman")) ==
           kFloodReports;
  }));
  EXPECT_EQ(Metric("Hands", "herd_peer_stamp_messages_sent_total" + Labels("peer", "Goloman")),
            kFloodReports);
}

}  // namespace
}  // namespace herd::testing
