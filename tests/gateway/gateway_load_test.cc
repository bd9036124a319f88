// Load-shaped tests of herd-gateway in front of a fake node: a client that never reads, many
// connections whose reports are batched, thousands of idle connections. They run serially
// (RUN_SERIAL in CMakeLists.txt) because they use thousands of sockets and much CPU.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_fixture.h"

namespace herd::gateway_test {
namespace {

using ::herd::testing::Eventually;
using ::herd::testing::Exchange;
using ::herd::testing::ReadFile;
using ::herd::testing::TextClient;

using GatewayLoadTest = GatewayFakeNodeTest;

TEST_F(GatewayLoadTest, ClientThatNeverReadsDoesNotStallOthers) {
  node_->set_receive_time(std::nullopt);
  StartGateway();
  TextClient hog = Connect();
  std::string burst;
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&burst, "IAMAT hog", i, " +1+1 1\n");
  // The hog writes ~40 MB and never reads; its sends block once the gateway stops reading it.
  std::thread writer([&] {
    for (int round = 0; round < 50; ++round) {
      if (!hog.Send(burst, absl::Seconds(2)).ok()) return;
    }
  });
  // Give the hog time to fill every buffer in the way.
  ASSERT_TRUE(Eventually([&] { return node_->reports_received() > 20000; }, absl::Seconds(20)));
  absl::Time start = absl::Now();
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_TRUE(absl::StartsWith(*reply, "AT Goloman ")) << *reply;
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  writer.join();
  // The gateway's memory stays bounded although the hog sent far more than it read.
  std::string status = ReadFile(absl::StrCat("/proc/", gateway_->pid(), "/status"));
  size_t at = status.find("VmRSS:");
  ASSERT_NE(at, std::string::npos);
  int64_t rss_kb = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      absl::StripAsciiWhitespace(status.substr(at + 6, status.find("kB", at) - at - 6)), &rss_kb));
  // AddressSanitizer keeps freed memory in a quarantine of 256 MiB: the bound is then its own.
#if defined(__SANITIZE_ADDRESS__)
  constexpr int64_t kBoundKb = (200 + 256) * 1024;
#else
  constexpr int64_t kBoundKb = 200 * 1024;
#endif
  EXPECT_LT(rss_kb, kBoundKb) << status;
}

TEST_F(GatewayLoadTest, ReportsFromManyConnectionsAreBatched) {
  node_->set_receive_time(std::nullopt);
  node_->set_report_delay(absl::Milliseconds(20));  // lets reports pile up behind each batch
  StartGateway();
  constexpr int kConnections = 8;
  constexpr int kPerConnection = 500;
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      absl::StatusOr<TextClient> client = TextClient::Connect(text_address_);
      if (!client.ok()) return;
      std::string input;
      for (int i = 0; i < kPerConnection; ++i) {
        absl::StrAppend(&input, "IAMAT c", c, "-", i, " +1+1 ", i, "\n");
      }
      if (!client->Send(input).ok()) return;
      absl::StatusOr<std::string> replies = client->ReadLines(kPerConnection, absl::Seconds(20));
      if (!replies.ok()) return;
      std::vector<std::string> lines = absl::StrSplit(*replies, '\n');
      for (int i = 0; i < kPerConnection; ++i) {
        if (absl::EndsWith(lines[i], absl::StrCat(" c", c, "-", i, " +1+1 ", i))) ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), kConnections * kPerConnection);
  EXPECT_EQ(node_->reports_received(), kConnections * kPerConnection);
  EXPECT_GT(node_->largest_batch(), 50);
  EXPECT_LT(node_->report_batch_calls(), kConnections * kPerConnection / 10);
}

TEST_F(GatewayLoadTest, ManyIdleConnectionsDoNotBlockService) {
  StartGateway();
  // Thousands where the descriptor limit allows (the gateway raises its own limit likewise).
  rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  const int count = static_cast<int>(std::min<rlim_t>(3000, limit.rlim_cur - 200));
  std::vector<TextClient> idle;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<TextClient> client = TextClient::Connect(text_address_);
    ASSERT_TRUE(client.ok()) << i << ": " << client.status();
    idle.push_back(std::move(*client));
  }
  // Half of them sent half a line and stopped.
  for (size_t i = 0; i < idle.size(); i += 2) ASSERT_TRUE(idle[i].Send("IAMAT half").ok());
  absl::StatusOr<std::string> reply = Exchange(text_address_, kKiwi);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, kKiwiAt);
}

}  // namespace
}  // namespace herd::gateway_test
