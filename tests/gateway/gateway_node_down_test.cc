// herd-gateway (a real process) while its node goes away and comes back: lines are answered at
// once after the grace period instead of waiting out their deadline, replies keep their order
// across the change, the listener can refuse connections while the node is down, and the node is
// served again when it returns. Handing lines to fallback nodes is in gateway_e2e_test.cc, with
// real nodes.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_node.h"
#include "tests/gateway/gateway_fixture.h"
#include "tests/gateway/text_client.h"
#include "tests/support/process.h"

namespace herd::gateway_test {
namespace {

using ::herd::testing::Eventually;
using ::herd::testing::Exchange;
using ::herd::testing::FakeNode;
using ::herd::testing::HerdSpec;
using ::herd::testing::ReadFile;
using ::herd::testing::TextClient;

constexpr int kGraceMs = 300;
// Long, so that a quick "?" can only come from the gateway knowing the node is down.
constexpr int kRequestTimeoutMs = 5000;

class GatewayNodeDownTest : public GatewayFakeNodeTest {
 protected:
  void Start(bool refuse_connections) {
    grpc_address_ = node_->address();
    StartGateway(0, kRequestTimeoutMs, "", [&](HerdSpec& spec) {
      spec.node_down_grace_ms = kGraceMs;
      spec.refuse_connections_when_down = refuse_connections;
    });
    ASSERT_EQ(*Exchange(text_address_, kKiwi), kKiwiAt);
  }

  void KillNode() { node_.reset(); }

  void RestartNode() {
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(grpc_address_.substr(grpc_address_.rfind(':') + 1), &port));
    node_ = std::make_unique<FakeNode>("Goloman", port);
    node_->set_receive_time(Instant{1520023935, 182837383});
  }

  // Waits until the gateway's log says the node went down (or came back).
  bool LogSays(const std::string& what) {
    return Eventually(
        [&] {
          return absl::StrContains(ReadFile(dir_.path() + "/logs/gateway-Goloman.log"), what);
        },
        absl::Seconds(10));
  }

  // Waits (bounded) until a line is answered by the node again; says what came back if not.
  ::testing::AssertionResult ServedAgain() {
    std::string last;
    if (Eventually(
            [&] {
              absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
              last = reply.ok() ? *reply : reply.status().ToString();
              return last == kKiwiAt;
            },
            absl::Seconds(5))) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "last reply: " << last;
  }

  std::string grpc_address_;
};

TEST_F(GatewayNodeDownTest, AnswersAtOnceWhileTheNodeIsDownAndServesItWhenItReturns) {
  Start(/*refuse_connections=*/false);
  KillNode();
  ASSERT_TRUE(LogSays("node Goloman is unreachable"));

  for (const std::string& line :
       {std::string(kKiwi), std::string("WHATSAT kiwi.cs.ucla.edu 10 5")}) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::string> reply = Exchange(text_address_, line);
    absl::Duration took = absl::Now() - start;
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(*reply, absl::StrCat("? ", line, "\n"));
    // Answered at once (well under 100 ms on an idle machine); the bound leaves room for a
    // loaded one, and is a tenth of the request deadline.
    EXPECT_LT(took, absl::Milliseconds(500)) << line;
  }

  RestartNode();
  EXPECT_TRUE(ServedAgain());
  EXPECT_TRUE(LogSays("node Goloman is reachable again"));
}

// The gateway starts while nothing listens at its node's address, so no call ever reached it: the
// node is found as soon as it listens all the same.
TEST_F(GatewayNodeDownTest, ServesANodeThatStartsAfterIt) {
  grpc_address_ = node_->address();
  KillNode();
  const absl::Time start = absl::Now();
  StartGateway(0, kRequestTimeoutMs, grpc_address_,
               [&](HerdSpec& spec) { spec.node_down_grace_ms = kGraceMs; });
  ASSERT_TRUE(LogSays("node Goloman is unreachable"));
  absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, absl::StrCat("? ", kKiwi, "\n"));
  // Found down within the grace and a few connection attempts (a second or two when loaded).
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  const absl::Time restarted = absl::Now();
  RestartNode();
  EXPECT_TRUE(ServedAgain());
  EXPECT_TRUE(LogSays("node Goloman is reachable again"));
  EXPECT_LT(absl::Now() - restarted, absl::Seconds(4));
}

// Sends `count` IAMATs for distinct clients on `client` in one write, reads their replies and
// checks that reply i answers line i: "AT Goloman ... c<i> ..." or "? IAMAT c<i> ...".
// Returns how many were answered "AT".
int ExchangeInOrder(TextClient& client, int batch, int count, absl::Duration* took) {
  std::string lines;
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    ids.push_back(absl::StrCat("order-", batch, "-", i));
    absl::StrAppend(&lines, "IAMAT ", ids.back(), " +34.068930-118.445127 1520023934.", i, "\n");
  }
  absl::Time start = absl::Now();
  EXPECT_TRUE(client.Send(lines).ok());
  absl::StatusOr<std::string> replies = client.ReadLines(count, absl::Seconds(15));
  *took = absl::Now() - start;
  EXPECT_TRUE(replies.ok()) << replies.status();
  if (!replies.ok()) return -1;
  int at = 0;
  std::vector<std::string> got = absl::StrSplit(*replies, '\n', absl::SkipEmpty());
  EXPECT_EQ(got.size(), static_cast<size_t>(count));
  for (size_t i = 0; i < got.size() && i < ids.size(); ++i) {
    if (absl::StartsWith(got[i], "AT Goloman ")) {
      ++at;
      EXPECT_TRUE(absl::StrContains(got[i], absl::StrCat(" ", ids[i], " "))) << i << ": " << got[i];
    } else {
      EXPECT_TRUE(absl::StartsWith(got[i], absl::StrCat("? IAMAT ", ids[i], " ")))
          << i << ": " << got[i];
    }
  }
  return at;
}

TEST_F(GatewayNodeDownTest, RepliesKeepTheirOrderAcrossDownAndUp) {
  Start(/*refuse_connections=*/false);
  node_->set_report_delay(absl::Milliseconds(20));  // calls are in flight when the node dies
  absl::StatusOr<TextClient> client = TextClient::Connect(text_address_);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::Duration took;
  int batch = 0;
  EXPECT_EQ(ExchangeInOrder(*client, batch++, 50, &took), 50);

  // The node dies with this batch in flight: each line is answered, in order, "AT" or "?".
  std::string lines;
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&lines, "IAMAT dying-", i, " +34.068930-118.445127 1520023934.", i, "\n");
  }
  ASSERT_TRUE(client->Send(lines).ok());
  absl::SleepFor(absl::Milliseconds(5));
  KillNode();
  absl::StatusOr<std::string> replies = client->ReadLines(50, absl::Seconds(15));
  ASSERT_TRUE(replies.ok()) << replies.status();
  std::vector<std::string> got = absl::StrSplit(*replies, '\n', absl::SkipEmpty());
  ASSERT_EQ(got.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(absl::StrContains(got[i], absl::StrCat(" dying-", i, " "))) << i << ": " << got[i];
  }

  ASSERT_TRUE(LogSays("node Goloman is unreachable"));
  EXPECT_EQ(ExchangeInOrder(*client, batch++, 50, &took), 0);
  EXPECT_LT(took, absl::Milliseconds(500));

  RestartNode();
  int served = 0;
  for (int tries = 0; tries < 100 && served < 50; ++tries) {
    served = ExchangeInOrder(*client, batch++, 50, &took);
    if (served < 50) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(served, 50) << "the returning node was not served again";
}

TEST_F(GatewayNodeDownTest, RefusesConnectionsWhileTheNodeIsDown) {
  Start(/*refuse_connections=*/true);
  absl::StatusOr<TextClient> open = TextClient::Connect(text_address_);
  ASSERT_TRUE(open.ok()) << open.status();

  KillNode();
  ASSERT_TRUE(LogSays("refusing connections"));
  absl::StatusOr<TextClient> refused = TextClient::Connect(text_address_, absl::Milliseconds(1));
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "refused")) << refused.status();
  // A connection opened before is kept, and answered at once.
  absl::Time start = absl::Now();
  ASSERT_TRUE(open->Send(absl::StrCat(kKiwi, "\n")).ok());
  absl::StatusOr<std::string> reply = open->ReadLines(1, absl::Seconds(10));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, absl::StrCat("? ", kKiwi, "\n"));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));

  RestartNode();
  EXPECT_TRUE(ServedAgain());
  EXPECT_TRUE(LogSays("accepting connections on"));
}

}  // namespace
}  // namespace herd::gateway_test
