#ifndef HERD_SERVICES_PROBE_GRPC_CHECKS_H_
#define HERD_SERVICES_PROBE_GRPC_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herd/v1/location_service.pb.h"
#include "services/core/transport_security.h"

namespace herd::probe {

// How the probe reaches a node's gRPC port: plain TCP, or TLS with the herd's CA (and a
// certificate of the herd's) to a callee whose certificate names `node`.
struct NodeTarget {
  std::string address;
  std::string node;  // with TLS, the node the callee must prove to be
  TransportSecurity security = TransportSecurity::Insecure();
};

// OK only when the gRPC server at the target answers the standard health check (whole server)
// with SERVING within `timeout`; otherwise why not.
absl::Status CheckHealth(const NodeTarget& target, absl::Duration timeout);

// The node's GetStatus answer.
absl::StatusOr<v1::NodeStatus> GetNodeStatus(const NodeTarget& target, absl::Duration timeout);

}  // namespace herd::probe

#endif  // HERD_SERVICES_PROBE_GRPC_CHECKS_H_
