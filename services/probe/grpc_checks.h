#ifndef HERD_SERVICES_PROBE_GRPC_CHECKS_H_
#define HERD_SERVICES_PROBE_GRPC_CHECKS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herd/v1/location_service.pb.h"

namespace herd::probe {

// OK only when the gRPC server at `address` answers the standard health check (whole server)
// with SERVING within `timeout`; otherwise why not.
absl::Status CheckHealth(const std::string& address, absl::Duration timeout);

// The node's GetStatus answer.
absl::StatusOr<v1::NodeStatus> GetNodeStatus(const std::string& address, absl::Duration timeout);

}  // namespace herd::probe

#endif  // HERD_SERVICES_PROBE_GRPC_CHECKS_H_
