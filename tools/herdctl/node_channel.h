#ifndef HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_
#define HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

namespace herd::herdctl {

// The one place where herdctl opens a gRPC channel to a node (credentials go here).
std::shared_ptr<grpc::Channel> MakeNodeChannel(const std::string& grpc_address);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_
