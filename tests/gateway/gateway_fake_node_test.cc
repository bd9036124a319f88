// herd-gateway as a real process in front of an in-process fake node: byte-exact replies with a
// fixed receive time, WHATSAT formatting, ordering, half-close, over-long lines, timeouts and
// reconnection, logs, command line and signals, without depending on the node's own behaviour.
// The load-shaped cases are in gateway_load_test.cc.

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_node.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/support/process.h"

namespace herd::gateway_test {
namespace {

using ::herd::testing::Eventually;
using ::herd::testing::Exchange;
using ::herd::testing::FakeNode;
using ::herd::testing::FreeLoopbackAddress;
using ::herd::testing::HerdSpec;
using ::herd::testing::Process;
using ::herd::testing::ReadFile;
using ::herd::testing::TempDir;
using ::herd::testing::TextClient;

TEST_F(GatewayFakeNodeTest, IamatSpecExampleIsByteExact) {
  StartGateway();
  absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, kKiwiAt);
}

TEST_F(GatewayFakeNodeTest, IamatNegativeDiff) {
  node_->set_receive_time(Instant{1520023935, 0});
  StartGateway();
  absl::StatusOr<std::string> reply =
      Exchange(text_address_, "IAMAT kiwi +34.068930-118.445127 1520023938.000000001");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "AT Goloman -3.000000001 kiwi +34.068930-118.445127 1520023938.000000001\n");
}

TEST_F(GatewayFakeNodeTest, WhiteSpaceVariantsAndBlankLines) {
  StartGateway();
  TextClient client = Connect();
  // Blank lines get no reply at all: the first bytes back must be the first IAMAT's reply.
  ASSERT_TRUE(
      client
          .Send("\n   \r\n\t\v\f\n"
                "  IAMAT\tkiwi.cs.ucla.edu \v+34.068930-118.445127\f\f1520023934.918963997 \r\n"
                "IAMAT kiwi.cs.ucla.edu  +34.068930-118.445127\t\t1520023934.918963997\t\n"
                " \n"
                "\tIAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997")
          .ok());
  client.ShutdownWrite();
  absl::StatusOr<std::string> all = client.ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, absl::StrCat(kKiwiAt, kKiwiAt, kKiwiAt));
}

TEST_F(GatewayFakeNodeTest, EveryInvalidFormIsEchoedWithoutAnRpc) {
  StartGateway();
  const std::vector<std::string> invalid = {"HELLO",
                                            "iamat kiwi +1+2 3",
                                            "IAMAT",
                                            "IAMAT kiwi",
                                            "IAMAT kiwi +1+2",
                                            "IAMAT kiwi +1+2 3 4",
                                            "IAMAT kiwi 34.0-118.0 1",
                                            "IAMAT kiwi +91+0 1",
                                            "IAMAT kiwi +0+181 1",
                                            "IAMAT kiwi +1+2 1e9",
                                            "IAMAT kiwi +1+2 inf",
                                            "IAMAT kiwi +1+2 nan",
                                            "IAMAT kiwi +1+2 12x",
                                            "WHATSAT kiwi 0 5",
                                            "WHATSAT kiwi 51 5",
                                            "WHATSAT kiwi 50.5 5",
                                            "WHATSAT kiwi -3 5",
                                            "WHATSAT kiwi 1e1 5",
                                            "WHATSAT kiwi 10 0",
                                            "WHATSAT kiwi 10 21",
                                            "WHATSAT kiwi 10 2.5",
                                            "WHATSAT kiwi 10",
                                            "WHATSAT kiwi 10 5 5",
                                            "  IAMAT  odd\tspacing ",
                                            std::string("\0\xff\xfe garbage \x80", 13),
                                            "\x01\x02\x03",
                                            "AT Goloman +0.1 a b c"};
  TextClient client = Connect();
  std::string input, expected;
  for (const std::string& line : invalid) {
    input += line + "\r\n";
    expected += "? " + line + "\n";
  }
  ASSERT_TRUE(client.Send(input).ok());
  absl::StatusOr<std::string> replies = client.ReadLines(static_cast<int>(invalid.size()));
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(*replies, expected);
  EXPECT_EQ(node_->reports_received(), 0);
  EXPECT_EQ(node_->search_calls(), 0);
}

TEST_F(GatewayFakeNodeTest, WhatsatPrintsStampAndCollapsedJson) {
  node_->set_places_json(
      "{\n   \"html_attributions\" : [],\n\n   \"results\" : [\n      {\n         \"name\" : "
      "\"Westwood\"\n      }\n   ],\n\n\n   \"status\" : \"OK\"\n}\n\n");
  // A slow report: the WHATSAT written right behind it must still find the client.
  node_->set_report_delay(absl::Milliseconds(300));
  StartGateway();
  TextClient client = Connect();
  ASSERT_TRUE(client.Send(absl::StrCat(kKiwi, "\nWHATSAT kiwi.cs.ucla.edu 10 5\n")).ok());
  absl::StatusOr<std::string> at = client.ReadLines(1);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(*at, kKiwiAt);
  absl::StatusOr<std::string> whatsat = client.ReadUntil("\n\n");
  ASSERT_TRUE(whatsat.ok()) << whatsat.status();
  EXPECT_EQ(*whatsat, absl::StrCat(kKiwiAt,
                                   "{\n   \"html_attributions\" : [],\n   \"results\" : [\n      "
                                   "{\n         \"name\" : \"Westwood\"\n      }\n   ],\n   "
                                   "\"status\" : \"OK\"\n}\n\n"));
  EXPECT_EQ(client.ReadAvailable(absl::Milliseconds(100)), "");  // nothing after the blank line
  v1::SearchNearbyRequest search = node_->last_search();
  EXPECT_EQ(search.client_id(), "kiwi.cs.ucla.edu");
  EXPECT_EQ(search.radius_km(), 10.0);
  EXPECT_EQ(search.max_results(), 5u);
}

TEST_F(GatewayFakeNodeTest, WhatsatForUnknownClientIsInvalid) {
  StartGateway();
  absl::StatusOr<std::string> reply = Exchange(text_address_, "WHATSAT nobody 10 5");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, "? WHATSAT nobody 10 5\n");
  EXPECT_EQ(node_->search_calls(), 1);
}

TEST_F(GatewayFakeNodeTest, PipelinedRepliesKeepRequestOrder) {
  node_->set_receive_time(std::nullopt);
  StartGateway();
  TextClient client = Connect();
  constexpr int kLines = 3000;
  std::string input;
  for (int i = 0; i < kLines; ++i) {
    // Every third line is invalid, so fast local answers interleave with node answers.
    input += i % 3 == 2 ? absl::StrCat("BAD ", i, "\n")
                        : absl::StrCat("IAMAT client-", i, " +1.5-2.5 ", i, ".5\n");
  }
  ASSERT_TRUE(client.Send(input).ok());
  absl::StatusOr<std::string> replies = client.ReadLines(kLines, absl::Seconds(20));
  ASSERT_TRUE(replies.ok()) << replies.status();
  std::vector<std::string> lines = absl::StrSplit(*replies, '\n');
  ASSERT_EQ(lines.size(), kLines + 1u);
  for (int i = 0; i < kLines; ++i) {
    if (i % 3 == 2) {
      EXPECT_EQ(lines[i], absl::StrCat("? BAD ", i)) << i;
    } else {
      EXPECT_TRUE(absl::StartsWith(lines[i], "AT Goloman +")) << lines[i];
      EXPECT_TRUE(absl::EndsWith(lines[i], absl::StrCat(" client-", i, " +1.5-2.5 ", i, ".5")))
          << i << ": " << lines[i];
    }
  }
}

TEST_F(GatewayFakeNodeTest, HalfCloseGetsReplyThenEof) {
  StartGateway();
  TextClient client = Connect();
  ASSERT_TRUE(client.Send(kKiwi).ok());  // no "\n": the final line before EOF is still a line
  client.ShutdownWrite();
  absl::StatusOr<std::string> all = client.ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, kKiwiAt);
}

TEST_F(GatewayFakeNodeTest, HalfCloseWaitsForEveryPendingReply) {
  node_->set_search_delay(absl::Milliseconds(300));
  StartGateway();
  TextClient client = Connect();
  ASSERT_TRUE(client.Send(absl::StrCat(kKiwi, "\nWHATSAT kiwi.cs.ucla.edu 1 1\nnope")).ok());
  client.ShutdownWrite();
  absl::StatusOr<std::string> all = client.ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, absl::StrCat(kKiwiAt, kKiwiAt,
                               "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n"
                               "   \"status\" : \"ZERO_RESULTS\"\n}\n\n",
                               "? nope\n"));
}

TEST_F(GatewayFakeNodeTest, FastIamatWaitsBehindSlowWhatsat) {
  node_->set_search_delay(absl::Milliseconds(500));
  StartGateway();
  ASSERT_TRUE(Exchange(text_address_, kKiwi).ok());
  TextClient client = Connect();
  ASSERT_TRUE(client
                  .Send(absl::StrCat("WHATSAT kiwi.cs.ucla.edu 10 3\n",
                                     "IAMAT fast +1+1 1520023935.182837383\n"))
                  .ok());
  absl::StatusOr<std::string> whatsat = client.ReadUntil("\n\n");
  ASSERT_TRUE(whatsat.ok()) << whatsat.status();
  EXPECT_TRUE(absl::StartsWith(*whatsat, kKiwiAt)) << *whatsat;
  absl::StatusOr<std::string> iamat = client.ReadLines(1);
  ASSERT_TRUE(iamat.ok()) << iamat.status();
  EXPECT_EQ(*iamat, "AT Goloman +0.000000000 fast +1+1 1520023935.182837383\n");
}

TEST_F(GatewayFakeNodeTest, OverlongLineIsAnsweredThenClosed) {
  StartGateway(/*max_line_bytes=*/1024);
  TextClient client = Connect();
  std::string huge(200000, 'x');
  // The gateway may close before taking all of it; the reply must still arrive.
  (void)client.Send(absl::StrCat(kKiwi, "\n", huge, "\nIAMAT never answered 1\n"),
                    absl::Seconds(5));
  absl::StatusOr<std::string> all = client.ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, absl::StrCat(kKiwiAt, "? ", std::string(1024, 'x'), "\n"));
  // A line of exactly the limit is fine, and the gateway keeps serving others.
  std::string exact = "IAMAT " + std::string(1024 - 6 - 7, 'k') + " +1+1 1";
  ASSERT_EQ(exact.size(), 1024u);
  absl::StatusOr<std::string> reply = Exchange(text_address_, exact);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "AT Goloman ")) << *reply;
}

TEST_F(GatewayFakeNodeTest, SlowNodeAnswersQuestionMarkWithinTimeout) {
  node_->set_report_delay(absl::Seconds(3));
  node_->set_search_delay(absl::Seconds(3));
  StartGateway(0, /*request_timeout_ms=*/500);
  TextClient client = Connect();
  absl::Time start = absl::Now();
  ASSERT_TRUE(client.Send(absl::StrCat(kKiwi, "\nWHATSAT kiwi.cs.ucla.edu 10 5\n")).ok());
  absl::StatusOr<std::string> replies = client.ReadLines(2, absl::Seconds(5));
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(*replies, absl::StrCat("? ", kKiwi, "\n? WHATSAT kiwi.cs.ucla.edu 10 5\n"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1500));
}

TEST_F(GatewayFakeNodeTest, NodeDownThenUp) {
  std::string grpc_address = FreeLoopbackAddress();
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(grpc_address.substr(grpc_address.rfind(':') + 1), &port));
  node_.reset();
  StartGateway(0, /*request_timeout_ms=*/1000, grpc_address);
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, absl::StrCat("? ", kKiwi, "\n"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  node_ = std::make_unique<FakeNode>("Goloman", port);
  node_->set_receive_time(Instant{1520023935, 182837383});
  // The channel reconnects with at most 500 ms of backoff.
  std::string last;
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::string> r = Exchange(text_address_, kKiwi);
        last = r.ok() ? *r : r.status().ToString();
        return last == kKiwiAt;
      },
      absl::Seconds(5)))
      << last;
}

TEST_F(GatewayFakeNodeTest, LogsEveryLineAndReply) {
  StartGateway();
  ASSERT_TRUE(Exchange(text_address_, kKiwi).ok());
  ASSERT_TRUE(Exchange(text_address_, "junk\x01").ok());
  std::string log_path = dir_.path() + "/logs/gateway-Goloman.log";
  std::string log;
  EXPECT_TRUE(Eventually(
      [&] {
        log = ReadFile(log_path);
        return absl::StrContains(log, "send ? junk\\x01");
      },
      absl::Seconds(5)))
      << log;
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("recv ", kKiwi))) << log;
  EXPECT_TRUE(
      absl::StrContains(log, absl::StrCat("send ", std::string(kKiwiAt, sizeof(kKiwiAt) - 2))))
      << log;
  EXPECT_TRUE(absl::StrContains(log, "recv junk\\x01")) << log;
  // Every entry starts with a timestamp and names its connection.
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "20")) << line;
  }
}

TEST_F(GatewayFakeNodeTest, SigtermStopsPromptly) {
  node_->set_report_delay(absl::Seconds(4));
  StartGateway();
  TextClient idle = Connect();
  // A call in flight to a slow node must not hold the exit up.
  TextClient busy = Connect();
  ASSERT_TRUE(busy.Send(absl::StrCat(kKiwi, "\n")).ok());
  ASSERT_TRUE(Eventually([&] { return node_->report_batch_calls() == 1; }, absl::Seconds(5)));
  absl::Time start = absl::Now();
  int status = gateway_->Signal(SIGTERM, absl::Seconds(3));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(herd::testing::WaitForTcpPort(text_address_, absl::Milliseconds(100)));
}

// Without --node, one process serves every node's text address, each talking to its own node.
TEST(GatewayProcessTest, ServesEveryNodeWithoutNodeFlag) {
  TempDir dir;
  FakeNode hands("Hands"), welsh("Welsh");
  hands.set_receive_time(Instant{10, 0});
  welsh.set_receive_time(Instant{20, 0});
  HerdSpec spec;
  spec.nodes = {{"Hands", hands.address(), FreeLoopbackAddress()},
                {"Welsh", welsh.address(), FreeLoopbackAddress()}};
  spec.links = {{"Hands", "Welsh"}};
  spec.log_dir = dir.path();
  std::string config = dir.path() + "/herd.json";
  herd::testing::WriteFile(config, herd::testing::HerdConfigJson(spec));
  auto gateway = herd::testing::StartGateway(
      config, "", {spec.nodes[0].text_address, spec.nodes[1].text_address}, dir.path() + "/out");
  ASSERT_NE(gateway, nullptr) << ReadFile(dir.path() + "/out");
  absl::StatusOr<std::string> at_hands = Exchange(spec.nodes[0].text_address, "IAMAT a +1+1 5");
  absl::StatusOr<std::string> at_welsh = Exchange(spec.nodes[1].text_address, "IAMAT a +1+1 5");
  ASSERT_TRUE(at_hands.ok() && at_welsh.ok());
  EXPECT_EQ(*at_hands, "AT Hands +5.000000000 a +1+1 5\n");
  EXPECT_EQ(*at_welsh, "AT Welsh +15.000000000 a +1+1 5\n");
  EXPECT_TRUE(Eventually(
      [&] {
        return !ReadFile(dir.path() + "/gateway-Hands.log").empty() &&
               !ReadFile(dir.path() + "/gateway-Welsh.log").empty();
      },
      absl::Seconds(5)));
}

// Runs herd-gateway with `args` and returns its exit status and output; it must exit by itself.
std::pair<int, std::string> RunToExit(const TempDir& dir, std::vector<std::string> args) {
  args.insert(args.begin(), herd::testing::BinaryPath("herd-gateway"));
  std::string out = dir.path() + "/run.out";
  std::remove(out.c_str());
  Process process(args, out);
  int status = process.Wait(absl::Seconds(10));
  return {status, ReadFile(out)};
}

TEST(GatewayProcessTest, StartupErrorsAreClearAndNonZero) {
  TempDir dir;
  HerdSpec spec;
  std::string busy_address = FreeLoopbackAddress();
  spec.nodes = {{"Hands", FreeLoopbackAddress(), busy_address}};
  spec.log_dir = dir.path();
  std::string config = dir.path() + "/herd.json";
  herd::testing::WriteFile(config, herd::testing::HerdConfigJson(spec));

  auto [status, out] = RunToExit(dir, {"--config", dir.path() + "/missing.json"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_TRUE(absl::StrContains(out, "missing.json")) << out;

  std::tie(status, out) = RunToExit(dir, {"--config", config, "--node", "Nobody"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_TRUE(absl::StrContains(out, "Nobody")) << out;

  herd::testing::WriteFile(dir.path() + "/bad.json", R"({"nodes": [{"name": "X"}]})");
  std::tie(status, out) = RunToExit(dir, {"--config", dir.path() + "/bad.json"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_TRUE(absl::StrContains(out, "grpcAddress")) << out;

  std::tie(status, out) = RunToExit(dir, {});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_TRUE(absl::StrContains(out, "--config")) << out;

  // Port in use: a first gateway holds the address, a second must refuse to start.
  auto first = herd::testing::StartGateway(config, "Hands", {busy_address}, dir.path() + "/1.out");
  ASSERT_NE(first, nullptr);
  std::tie(status, out) = RunToExit(dir, {"--config", config, "--node", "Hands"});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
  EXPECT_TRUE(absl::StrContains(out, busy_address)) << out;
}

}  // namespace
}  // namespace herd::gateway_test
