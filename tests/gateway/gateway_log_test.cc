// herd-gateway's log file: SIGHUP reopens it, and text lines follow log.stampLines.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::Eventually;
using testing::ReadFile;
using testing::TestHerd;
using testing::TextClient;

std::string Iamat(int i) {
  return absl::StrCat("IAMAT kiwi-", i, " +34.068930-118.445127 1520023934.918963997\n");
}

TEST(GatewayLog, SighupReopensTheLogAfterItWasMovedAway) {
  TestHerd herd({"Hands"}, {});
  herd.StartAll();
  auto gateway = testing::StartGateway(herd.config_path(), "Hands", {herd.text_address("Hands")},
                                       herd.dir() + "/gateway.out");
  ASSERT_NE(gateway, nullptr) << ReadFile(herd.dir() + "/gateway.out");
  const std::string log = herd.dir() + "/logs/gateway-Hands.log";
  ASSERT_TRUE(Eventually([&] { return ReadFile(log).find("listening on") != std::string::npos; }));
  std::filesystem::rename(log, log + ".moved");
  ASSERT_EQ(kill(gateway->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(log); }));

  auto client = TextClient::Connect(herd.text_address("Hands"));
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(client->Send(Iamat(1)).ok());
  auto reply = client->ReadLines(1);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->rfind("AT Hands ", 0), 0u) << *reply;
  ASSERT_TRUE(Eventually([&] { return ReadFile(log).find("kiwi-1 ") != std::string::npos; }));
  EXPECT_NE(ReadFile(log).find("log: reopened " + log), std::string::npos);
  EXPECT_EQ(ReadFile(log + ".moved").find("kiwi-1"), std::string::npos);
  // A second SIGHUP works too (the handler re-arms), and SIGTERM still stops the gateway.
  ASSERT_EQ(kill(gateway->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] {
    std::string text = ReadFile(log);
    return text.find("log: reopened") != text.rfind("log: reopened");
  }));
  int status = gateway->Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(GatewayLog, StampLinesNoneLeavesTextLinesOut) {
  TestHerd herd({"Hands"}, {}, "", 0, testing::Transport::kPlain,
                testing::WithLog(R"({"stampLines": "NONE"})"));
  herd.StartAll();
  auto gateway = testing::StartGateway(herd.config_path(), "Hands", {herd.text_address("Hands")},
                                       herd.dir() + "/gateway.out");
  ASSERT_NE(gateway, nullptr) << ReadFile(herd.dir() + "/gateway.out");
  auto client = TextClient::Connect(herd.text_address("Hands"));
  ASSERT_TRUE(client.ok()) << client.status();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->Send(Iamat(i)).ok());
  ASSERT_TRUE(client->ReadLines(20).ok());
  gateway->Signal(SIGTERM);
  std::string text = ReadFile(herd.dir() + "/logs/gateway-Hands.log");
  EXPECT_EQ(text.find("kiwi-"), std::string::npos) << text;
  EXPECT_NE(text.find("stamp lines NONE"), std::string::npos) << text;
  EXPECT_NE(text.find(" open from "), std::string::npos) << text;
}

}  // namespace
}  // namespace herd
