#ifndef HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_
#define HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "tools/herdctl/targets.h"

namespace herd::herdctl {

// The one place where herdctl opens a gRPC channel to a node: plain, or TLS per the target.
std::shared_ptr<grpc::Channel> MakeNodeChannel(const Target& target);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_NODE_CHANNEL_H_
