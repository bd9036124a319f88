#include "tools/herdctl/node_channel.h"

namespace herd::herdctl {

std::shared_ptr<grpc::Channel> MakeNodeChannel(const Target& target) {
  grpc::ChannelArguments args;
  // No reconnect tuning: herdctl makes a few calls and exits, each bounded by its deadline. (The
  // minimum reconnect backoff is also gRPC's connect timeout: lowering it fails handshakes on a
  // busy machine.)
  args.SetMaxReceiveMessageSize(16 << 20);
  return target.security.NodeChannel(target.address, target.name, args);
}

}  // namespace herd::herdctl
