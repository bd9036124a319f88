#ifndef HERD_SERVICES_CORE_GRPC_STATUS_H_
#define HERD_SERVICES_CORE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace herd {

// The one place where absl::Status becomes grpc::Status (and back) at an RPC boundary.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_GRPC_STATUS_H_
