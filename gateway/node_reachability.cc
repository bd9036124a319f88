#include "gateway/node_reachability.h"

namespace herd::gateway {

NodeReachability::NodeReachability(absl::Duration grace, absl::Time start)
    : grace_(grace), unready_since_(start) {}

void NodeReachability::Observe(grpc_connectivity_state state, absl::Time now) {
  switch (state) {
    case GRPC_CHANNEL_READY:
      ready_ = true;
      failed_ = false;
      return;
    case GRPC_CHANNEL_TRANSIENT_FAILURE:
      if (ready_) unready_since_ = now;
      ready_ = false;
      failed_ = true;
      return;
    case GRPC_CHANNEL_IDLE:
    case GRPC_CHANNEL_CONNECTING:
      if (ready_) unready_since_ = now;
      ready_ = false;
      return;
    case GRPC_CHANNEL_SHUTDOWN:
      return;
  }
}

bool NodeReachability::Down(absl::Time now) const {
  return !ready_ && failed_ && now - unready_since_ >= grace_;
}

}  // namespace herd::gateway
