#ifndef HERD_TESTS_GATEWAY_GATEWAY_FIXTURE_H_
#define HERD_TESTS_GATEWAY_GATEWAY_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "services/core/exact_time.h"
#include "tests/gateway/fake_node.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/support/process.h"

namespace herd::gateway_test {

// The spec's example line and the reply a node named Goloman gives when it receives the line at
// 1520023935.182837383 (the fake node's fixed receive time).
inline constexpr char kKiwi[] = "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997";
inline constexpr char kKiwiAt[] =
    "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n";

// herd-gateway (a real process) serving node Goloman, which is an in-process FakeNode.
class GatewayFakeNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = std::make_unique<herd::testing::FakeNode>("Goloman");
    node_->set_receive_time(Instant{1520023935, 182837383});
  }

  // Writes the config and starts `herd-gateway --node Goloman`; `edit` may change the config.
  void StartGateway(int max_line_bytes = 0, int request_timeout_ms = 0,
                    const std::string& grpc_address = "",
                    const std::function<void(herd::testing::HerdSpec&)>& edit = nullptr) {
    herd::testing::HerdSpec spec;
    spec.nodes.push_back(
        {"Goloman", grpc_address.empty() ? node_->address() : grpc_address, text_address_});
    spec.log_dir = dir_.path() + "/logs";
    spec.max_line_bytes = max_line_bytes;
    spec.request_timeout_ms = request_timeout_ms;
    if (edit) edit(spec);
    config_path_ = dir_.path() + "/herd.json";
    herd::testing::WriteFile(config_path_, herd::testing::HerdConfigJson(spec));
    gateway_ = herd::testing::StartGateway(config_path_, "Goloman", {text_address_},
                                           dir_.path() + "/gateway.out");
    ASSERT_NE(gateway_, nullptr) << herd::testing::ReadFile(dir_.path() + "/gateway.out");
  }

  herd::testing::TextClient Connect() {
    absl::StatusOr<herd::testing::TextClient> client =
        herd::testing::TextClient::Connect(text_address_);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  herd::testing::TempDir dir_;
  std::unique_ptr<herd::testing::FakeNode> node_;
  std::string text_address_ = herd::testing::FreeLoopbackAddress();
  std::string config_path_;
  std::unique_ptr<herd::testing::Process> gateway_;
};

}  // namespace herd::gateway_test

#endif  // HERD_TESTS_GATEWAY_GATEWAY_FIXTURE_H_
