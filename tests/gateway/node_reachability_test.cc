// NodeReachability: when a node counts as down, from the channel states alone.

#include "gateway/node_reachability.h"

#include "gtest/gtest.h"

namespace herd::gateway {
namespace {

constexpr absl::Duration kGrace = absl::Milliseconds(500);
const absl::Time kStart = absl::FromUnixSeconds(1000);

absl::Time At(int ms) { return kStart + absl::Milliseconds(ms); }

TEST(NodeReachability, UpWhileReady) {
  NodeReachability r(kGrace, kStart);
  r.Observe(GRPC_CHANNEL_CONNECTING, At(0));
  r.Observe(GRPC_CHANNEL_READY, At(5));
  EXPECT_FALSE(r.Down(At(10000)));
}

TEST(NodeReachability, NeverReachedIsDownAfterTheGraceFromStart) {
  NodeReachability r(kGrace, kStart);
  r.Observe(GRPC_CHANNEL_CONNECTING, At(0));
  r.Observe(GRPC_CHANNEL_TRANSIENT_FAILURE, At(3));
  EXPECT_FALSE(r.Down(At(499)));
  EXPECT_TRUE(r.Down(At(500)));
}

TEST(NodeReachability, LostConnectionCountsFromWhenItWasLost) {
  NodeReachability r(kGrace, kStart);
  r.Observe(GRPC_CHANNEL_READY, At(0));
  r.Observe(GRPC_CHANNEL_IDLE, At(1000));  // the node died: the connection closed
  r.Observe(GRPC_CHANNEL_CONNECTING, At(1001));
  EXPECT_FALSE(r.Down(At(1600))) << "no connection attempt has failed yet";
  r.Observe(GRPC_CHANNEL_TRANSIENT_FAILURE, At(1002));
  EXPECT_FALSE(r.Down(At(1499)));
  EXPECT_TRUE(r.Down(At(1500)));
  // Reconnect attempts keep failing: still down.
  r.Observe(GRPC_CHANNEL_CONNECTING, At(1700));
  r.Observe(GRPC_CHANNEL_TRANSIENT_FAILURE, At(1701));
  EXPECT_TRUE(r.Down(At(1702)));
  // Back: up at once.
  r.Observe(GRPC_CHANNEL_CONNECTING, At(2000));
  EXPECT_TRUE(r.Down(At(2001)));
  r.Observe(GRPC_CHANNEL_READY, At(2002));
  EXPECT_FALSE(r.Down(At(2003)));
}

TEST(NodeReachability, AnIdleChannelThatReconnectsIsNeverDown) {
  NodeReachability r(kGrace, kStart);
  r.Observe(GRPC_CHANNEL_READY, At(0));
  r.Observe(GRPC_CHANNEL_IDLE, At(1000));
  r.Observe(GRPC_CHANNEL_CONNECTING, At(5000));
  EXPECT_FALSE(r.Down(At(5001)));
  r.Observe(GRPC_CHANNEL_READY, At(5002));
  EXPECT_FALSE(r.Down(At(9000)));
}

TEST(NodeReachability, ARestartWithinTheGraceRidesThrough) {
  NodeReachability r(kGrace, kStart);
  r.Observe(GRPC_CHANNEL_READY, At(0));
  r.Observe(GRPC_CHANNEL_IDLE, At(1000));
  r.Observe(GRPC_CHANNEL_TRANSIENT_FAILURE, At(1001));
  EXPECT_FALSE(r.Down(At(1300)));
  r.Observe(GRPC_CHANNEL_READY, At(1400));
  EXPECT_FALSE(r.Down(At(1600)));
  // A later failure counts from its own loss of the connection.
  r.Observe(GRPC_CHANNEL_TRANSIENT_FAILURE, At(3000));
  EXPECT_FALSE(r.Down(At(3499)));
  EXPECT_TRUE(r.Down(At(3500)));
}

}  // namespace
}  // namespace herd::gateway
