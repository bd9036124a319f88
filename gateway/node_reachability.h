#ifndef HERD_GATEWAY_NODE_REACHABILITY_H_
#define HERD_GATEWAY_NODE_REACHABILITY_H_

#include <grpc/grpc.h>

#include <optional>

#include "absl/time/time.h"

namespace herd::gateway {

// Decides from a channel's connectivity states whether its node counts as down. Knows nothing of
// channels or threads: it is fed states with the time they were seen.
//
// A node is down once its channel has failed to connect (TRANSIENT_FAILURE) and has not been
// READY for longer than `grace` since it was last READY (or since watching began). A connection
// that drops and comes straight back (a restart blip, an idle channel reconnecting) never counts
// as down; a node killed for good counts as down `grace` after its connection was lost.
class NodeReachability {
 public:
  NodeReachability(absl::Duration grace, absl::Time start);

  void Observe(grpc_connectivity_state state, absl::Time now);
  bool Down(absl::Time now) const;
  absl::Duration grace() const { return grace_; }

 private:
  const absl::Duration grace_;
  bool ready_ = false;
  // When the channel was last seen leaving READY (or watching began).
  absl::Time unready_since_;
  // Set once a connection attempt failed after unready_since_.
  bool failed_ = false;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_NODE_REACHABILITY_H_
