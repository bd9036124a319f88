// End to end: real herd-node processes (Hands - Wilkes - Welsh, with the GeoNames fixture as
// places source) behind one real herd-gateway, all over TCP on 127.0.0.1.

#include <signal.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/core/exact_time.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/support/test_herd.h"

namespace herd::gateway_test {
namespace {

using ::herd::testing::Eventually;
using ::herd::testing::Exchange;
using ::herd::testing::Process;
using ::herd::testing::ReadFile;
using ::herd::testing::TestHerd;
using ::herd::testing::TextClient;

constexpr char kKiwi[] = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";

// Every check runs against a plain herd and a mutual-TLS one.
class GatewayE2eTest : public ::testing::TestWithParam<herd::testing::Transport> {
 protected:
  GatewayE2eTest()
      : herd_({"Hands", "Wilkes", "Welsh"}, {{"Hands", "Wilkes"}, {"Wilkes", "Welsh"}},
              absl::StrCat(R"({"geonames": {"dataFile": ")", HERD_PLACES_FIXTURE, R"("}})"),
              /*request_timeout_ms=*/1000, GetParam()) {}

  void SetUp() override {
    herd_.StartAll();
    gateway_ = herd::testing::StartGateway(herd_.config_path(), "",
                                           {Text("Hands"), Text("Wilkes"), Text("Welsh")},
                                           herd_.dir() + "/gateway.out");
    ASSERT_NE(gateway_, nullptr) << ReadFile(herd_.dir() + "/gateway.out");
  }

  const std::string& Text(const std::string& name) const { return herd_.text_address(name); }

  TestHerd herd_;
  std::unique_ptr<Process> gateway_;
};

// "AT <node> <diff> <rest>\n" with the diff checked against the time window of the request.
void ExpectAtLine(const std::string& reply, const std::string& node, const std::string& rest,
                  const Instant& client_time, const Instant& before, const Instant& after) {
  std::smatch match;
  static const std::regex kAt(R"(^AT (\S+) ([+-])(\d+)\.(\d{9}) (.*)\n$)");
  ASSERT_TRUE(std::regex_match(reply, match, kAt)) << reply;
  EXPECT_EQ(match[1], node);
  EXPECT_EQ(match[5], rest);
  // diff = receive time - client time, so receive time = client time + diff exactly.
  int64_t whole = std::stoll(match[3]);
  int64_t nanos = std::stoll(match[4]);
  __int128 diff = (static_cast<__int128>(whole) * 1000000000 + nanos) * (match[2] == "-" ? -1 : 1);
  __int128 received =
      static_cast<__int128>(client_time.seconds) * 1000000000 + client_time.nanos + diff;
  auto ns = [](const Instant& t) {
    return static_cast<__int128>(t.seconds) * 1000000000 + t.nanos;
  };
  EXPECT_GE(received, ns(before)) << reply;
  EXPECT_LE(received, ns(after)) << reply;
}

TEST_P(GatewayE2eTest, IamatSpecExample) {
  Instant before = Now();
  absl::StatusOr<std::string> reply = Exchange(Text("Hands"), kKiwi);
  Instant after = Now();
  ASSERT_TRUE(reply.ok()) << reply.status();
  ExpectAtLine(*reply, "Hands", "kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997",
               Instant{1520023934, 918963997}, before, after);
}

TEST_P(GatewayE2eTest, IamatFromTheFutureHasNegativeDiff) {
  Instant now = Now();
  std::string time = absl::StrCat(now.seconds + 1000, ".000000001");
  Instant before = Now();
  absl::StatusOr<std::string> reply =
      Exchange(Text("Welsh"), absl::StrCat("IAMAT future +5.5-7.25 ", time));
  Instant after = Now();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(absl::StartsWith(*reply, "AT Welsh -99")) << *reply;
  ExpectAtLine(*reply, "Welsh", absl::StrCat("future +5.5-7.25 ", time),
               Instant{now.seconds + 1000, 1}, before, after);
}

// A client time more than a day ahead would pin the client's stamp for good: refused.
TEST_P(GatewayE2eTest, IamatTooFarInTheFutureIsRefused) {
  std::string line =
      absl::StrCat("IAMAT pinned +48.858370+002.294481 ", Now().seconds + 86400 + 60, ".5");
  absl::StatusOr<std::string> reply = Exchange(Text("Hands"), line);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, absl::StrCat("? ", line, "\n"));
  absl::StatusOr<std::string> whatsat = Exchange(Text("Welsh"), "WHATSAT pinned 10 1");
  ASSERT_TRUE(whatsat.ok()) << whatsat.status();
  EXPECT_EQ(*whatsat, "? WHATSAT pinned 10 1\n");
}

TEST_P(GatewayE2eTest, WhiteSpaceVariantsPipelinedWithHalfClose) {
  absl::StatusOr<TextClient> client = TextClient::Connect(Text("Wilkes"));
  ASSERT_TRUE(client.ok());
  Instant before = Now();
  ASSERT_TRUE(client
                  ->Send("\r\n  \t\n"
                         "\tIAMAT  a \v+34.068930-118.445127\f1520023934.5 \r\n"
                         "IAMAT b\t+3404.1358-11826.7076\t\t1520023934\n"
                         "   \n"
                         "IAMAT c +340408.15-1182640.45 7")  // final line without "\n"
                  .ok());
  client->ShutdownWrite();
  absl::StatusOr<std::string> all = client->ReadToEof();
  Instant after = Now();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> lines = absl::StrSplit(*all, absl::ByString("\n"));
  ASSERT_EQ(lines.size(), 4u) << *all;
  EXPECT_EQ(lines[3], "");
  ExpectAtLine(lines[0] + "\n", "Wilkes", "a +34.068930-118.445127 1520023934.5",
               Instant{1520023934, 500000000}, before, after);
  ExpectAtLine(lines[1] + "\n", "Wilkes", "b +3404.1358-11826.7076 1520023934",
               Instant{1520023934, 0}, before, after);
  ExpectAtLine(lines[2] + "\n", "Wilkes", "c +340408.15-1182640.45 7", Instant{7, 0}, before,
               after);
}

TEST_P(GatewayE2eTest, EveryInvalidForm) {
  const std::vector<std::string> invalid = {"",
                                            "HELLO there",
                                            "IAMAT",
                                            "IAMAT kiwi +1+2",
                                            "IAMAT kiwi +1+2 3 4",
                                            "IAMAT kiwi 34.0-118.0 1",
                                            "IAMAT kiwi +91+0 1",
                                            "IAMAT kiwi +0-180.5 1",
                                            "IAMAT kiwi +1+2 1e9",
                                            "IAMAT kiwi +1+2 inf",
                                            "IAMAT kiwi +1+2 nan",
                                            "WHATSAT kiwi.cs.ucla.edu 0 5",
                                            "WHATSAT kiwi.cs.ucla.edu 51 5",
                                            "WHATSAT kiwi.cs.ucla.edu 10 0",
                                            "WHATSAT kiwi.cs.ucla.edu 10 21",
                                            "WHATSAT kiwi.cs.ucla.edu 10",
                                            "WHATSAT never.seen.client 10 5",
                                            std::string("\0\xff\xfe\x80 bytes", 10)};
  absl::StatusOr<TextClient> client = TextClient::Connect(Text("Hands"));
  ASSERT_TRUE(client.ok());
  std::string input, expected;
  for (const std::string& line : invalid) {
    input += line + "\n";
    if (!line.empty()) expected += "? " + line + "\n";
  }
  ASSERT_TRUE(client->Send(input).ok());
  client->ShutdownWrite();
  absl::StatusOr<std::string> all = client->ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, expected);
}

// Reads one WHATSAT reply (up to its blank line) and checks its JSON framing.
void ExpectWhatsatReply(const std::string& reply, const std::string& at_line, int max_results) {
  ASSERT_TRUE(absl::StartsWith(reply, at_line)) << reply;
  ASSERT_TRUE(absl::EndsWith(reply, "}\n\n")) << reply;
  std::string json = reply.substr(at_line.size(), reply.size() - at_line.size() - 2);
  EXPECT_EQ(json.find("\n\n"), std::string::npos) << json;
  EXPECT_TRUE(absl::StartsWith(json, "{\n")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"status\" : \"OK\"")) << json;
  EXPECT_TRUE(absl::StrContains(json, "\"html_attributions\" : ")) << json;
  int results = 0;
  for (size_t at = json.find("\"place_id\""); at != std::string::npos;
       at = json.find("\"place_id\"", at + 1)) {
    ++results;
  }
  EXPECT_GE(results, 1) << json;
  EXPECT_LE(results, max_results) << json;
}

TEST_P(GatewayE2eTest, WhatsatAtWelshReturnsTheAtLineMadeAtHands) {
  absl::StatusOr<std::string> at = Exchange(Text("Hands"), kKiwi);
  ASSERT_TRUE(at.ok()) << at.status();
  ASSERT_TRUE(absl::StartsWith(*at, "AT Hands +")) << *at;
  // Wait, bounded, until the stamp has flooded Hands -> Wilkes -> Welsh.
  std::string last;
  ASSERT_TRUE(Eventually(
      [&] {
        absl::StatusOr<TextClient> client = TextClient::Connect(Text("Welsh"));
        if (!client.ok() || !client->Send("WHATSAT kiwi.cs.ucla.edu 10 5\n").ok()) return false;
        absl::StatusOr<std::string> first = client->ReadLines(1);
        if (!first.ok()) return false;
        if (*first != *at) {
          last = *first;
          return false;
        }
        absl::StatusOr<std::string> rest = client->ReadUntil("\n\n");
        last = rest.ok() ? *first + *rest : rest.status().ToString();
        return rest.ok();
      },
      absl::Seconds(10)))
      << last;
  ExpectWhatsatReply(last, *at, 5);
  EXPECT_TRUE(absl::StrContains(last, "Los Angeles") || absl::StrContains(last, "Beverly Hills") ||
              absl::StrContains(last, "Santa Monica") || absl::StrContains(last, "Culver City"))
      << last;
  // The count bounds the results.
  absl::StatusOr<TextClient> one = TextClient::Connect(Text("Welsh"));
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->Send("WHATSAT kiwi.cs.ucla.edu 50 1\n").ok());
  absl::StatusOr<std::string> reply = one->ReadUntil("\n\n");
  ASSERT_TRUE(reply.ok()) << reply.status();
  ExpectWhatsatReply(*reply, *at, 1);
}

TEST_P(GatewayE2eTest, RepliesStayInOrderBehindWhatsat) {
  absl::StatusOr<std::string> at = Exchange(Text("Hands"), kKiwi);
  ASSERT_TRUE(at.ok()) << at.status();
  absl::StatusOr<TextClient> client = TextClient::Connect(Text("Hands"));
  ASSERT_TRUE(client.ok());
  std::string input;
  for (int i = 0; i < 20; ++i) {
    absl::StrAppend(&input, "WHATSAT kiwi.cs.ucla.edu 50 20\nIAMAT fast", i, " +1+1 ", i, "\nbad ",
                    i, "\n");
  }
  ASSERT_TRUE(client->Send(input).ok());
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> whatsat = client->ReadUntil("\n\n");
    ASSERT_TRUE(whatsat.ok()) << whatsat.status();
    ExpectWhatsatReply(*whatsat, *at, 20);
    absl::StatusOr<std::string> lines = client->ReadLines(2);
    ASSERT_TRUE(lines.ok()) << lines.status();
    EXPECT_TRUE(absl::StartsWith(*lines, "AT Hands +")) << *lines;
    EXPECT_TRUE(absl::EndsWith(*lines, absl::StrCat(" fast", i, " +1+1 ", i, "\n? bad ", i, "\n")))
        << *lines;
  }
}

TEST_P(GatewayE2eTest, OverlongLineIsAnsweredThenClosed) {
  absl::StatusOr<TextClient> client = TextClient::Connect(Text("Hands"));
  ASSERT_TRUE(client.ok());
  (void)client->Send(std::string(100000, 'z') + "\n", absl::Seconds(5));
  absl::StatusOr<std::string> all = client->ReadToEof();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "? " + std::string(65536, 'z') + "\n");
}

TEST_P(GatewayE2eTest, NodeKilledBehindItsGatewayThenRestarted) {
  ASSERT_TRUE(absl::StartsWith(*Exchange(Text("Hands"), kKiwi), "AT Hands "));
  // Frozen node: the request is pending in the gateway; it must still be answered in time.
  ASSERT_EQ(kill(herd_.process("Hands")->pid(), SIGSTOP), 0);
  // The stop is asynchronous: wait until the kernel reports the process stopped ("T").
  std::string stat_path = absl::StrCat("/proc/", herd_.process("Hands")->pid(), "/stat");
  ASSERT_TRUE(Eventually(
      [&] {
        std::string stat = ReadFile(stat_path);
        size_t paren = stat.rfind(')');
        return paren != std::string::npos && stat.substr(paren + 2, 1) == "T";
      },
      absl::Seconds(5)))
      << ReadFile(stat_path);
  absl::StatusOr<TextClient> pending = TextClient::Connect(Text("Hands"));
  ASSERT_TRUE(pending.ok());
  absl::Time start = absl::Now();
  ASSERT_TRUE(pending->Send(std::string(kKiwi) + "\nWHATSAT kiwi.cs.ucla.edu 10 5\n").ok());
  absl::StatusOr<std::string> replies = pending->ReadLines(2, absl::Seconds(5));
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ(*replies, absl::StrCat("? ", kKiwi, "\n? WHATSAT kiwi.cs.ucla.edu 10 5\n"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2500));  // timeout is 1000 ms

  // Killed node: new requests get "?" within the timeout too; other nodes are unaffected.
  herd_.Kill("Hands");
  start = absl::Now();
  absl::StatusOr<std::string> down = Exchange(Text("Hands"), kKiwi);
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_EQ(*down, absl::StrCat("? ", kKiwi, "\n"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(2500));
  absl::StatusOr<std::string> wilkes = Exchange(Text("Wilkes"), kKiwi);
  ASSERT_TRUE(wilkes.ok());
  EXPECT_TRUE(absl::StartsWith(*wilkes, "AT Wilkes +")) << *wilkes;

  // Restarted: the gateway reconnects by itself (backoff at most 250 ms); until it has, lines are
  // answered at once, so a client retrying is served within the reconnect time.
  herd_.Start("Hands");
  std::string back;
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::string> reply = Exchange(Text("Hands"), kKiwi);
        back = reply.ok() ? *reply : reply.status().ToString();
        return absl::StartsWith(back, "AT Hands +");
      },
      absl::Seconds(2)))
      << back;
}

// A gateway whose node is down hands the node's lines to the first of its fallbacks that is up;
// the AT line names the node that took the report, and the stamp reaches the whole herd.
TEST(GatewayFallbackTest, LinesForADownNodeAreTakenByItsFirstReachableFallback) {
  TestHerd herd({"Hands", "Wilkes", "Welsh"}, {{"Hands", "Wilkes"}, {"Wilkes", "Welsh"}}, "",
                /*request_timeout_ms=*/5000);
  herd.Configure([](herd::testing::HerdSpec& spec) {
    spec.nodes[0].gateway_fallbacks = {"Welsh", "Wilkes"};  // Hands: Welsh first, then Wilkes
    spec.node_down_grace_ms = 300;
  });
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  const std::string hands = herd.text_address("Hands");
  std::unique_ptr<Process> gateway = herd::testing::StartGateway(
      herd.config_path(), "", {hands, herd.text_address("Wilkes"), herd.text_address("Welsh")},
      herd.dir() + "/gateway.out");
  ASSERT_NE(gateway, nullptr) << ReadFile(herd.dir() + "/gateway.out");
  auto iamat = [](const std::string& client) {
    return absl::StrCat("IAMAT ", client, " +34.068930-118.445127 1520023934.918963997");
  };
  ASSERT_TRUE(absl::StartsWith(*Exchange(hands, iamat("alice")), "AT Hands ")) << "up: its own";

  // Hands and its first fallback down: the second fallback takes Hands' lines.
  herd.Kill("Welsh");
  herd.Kill("Hands");
  const std::string log = herd.dir() + "/logs/gateway-Hands.log";
  ASSERT_TRUE(Eventually(
      [&] {
        std::string text = ReadFile(log);
        return absl::StrContains(text, "node Hands is unreachable") &&
               absl::StrContains(text, "node Welsh is unreachable");
      },
      absl::Seconds(10)))
      << ReadFile(log);
  absl::Time start = absl::Now();
  absl::StatusOr<std::string> handed = Exchange(hands, iamat("bob"));
  ASSERT_TRUE(handed.ok()) << handed.status();
  EXPECT_TRUE(absl::StartsWith(*handed, "AT Wilkes +")) << *handed;
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  absl::StatusOr<std::string> whatsat = Exchange(hands, "WHATSAT bob 10 5");
  ASSERT_TRUE(whatsat.ok()) << whatsat.status();
  EXPECT_EQ(*whatsat, "? WHATSAT bob 10 5\n") << "no places source: answered by Wilkes, as ?";

  // Stored by Wilkes and visible herd-wide once the others return.
  herd.Start("Hands");
  herd.Start("Welsh");
  ASSERT_TRUE(herd.WaitUntilConverged());
  for (const char* node : {"Hands", "Welsh"}) {
    v1::GetLocationRequest request;
    request.set_client_id("bob");
    v1::LocationStamp stamp;
    grpc::ClientContext context;
    herd::testing::SetDeadline(&context);
    ASSERT_TRUE(herd.client(node).GetLocation(&context, request, &stamp).ok()) << node;
    EXPECT_EQ(stamp.origin(), "Wilkes") << node;
  }

  // Hands is back: its gateway gives it its lines again, without a restart.
  std::string last;
  EXPECT_TRUE(Eventually(
      [&] {
        absl::StatusOr<std::string> reply = Exchange(hands, iamat("carol"));
        last = reply.ok() ? *reply : reply.status().ToString();
        return absl::StartsWith(last, "AT Hands +");
      },
      absl::Seconds(5)))
      << last;
}

INSTANTIATE_TEST_SUITE_P(Transports, GatewayE2eTest,
                         ::testing::Values(herd::testing::Transport::kPlain,
                                           herd::testing::Transport::kTls),
                         herd::testing::TransportName);

}  // namespace
}  // namespace herd::gateway_test
