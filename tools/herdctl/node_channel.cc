#include "tools/herdctl/node_channel.h"

namespace herd::herdctl {

std::shared_ptr<grpc::Channel> MakeNodeChannel(const std::string& grpc_address) {
  grpc::ChannelArguments args;
  // A node that is down fails the call at once (UNAVAILABLE) instead of being retried slowly.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel(grpc_address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace herd::herdctl
