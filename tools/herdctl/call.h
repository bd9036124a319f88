#ifndef HERD_TOOLS_HERDCTL_CALL_H_
#define HERD_TOOLS_HERDCTL_CALL_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/time/time.h"

namespace herd::herdctl {

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout);

// "NOT_FOUND: client_id \"x\" is not known".
std::string DescribeError(const grpc::Status& status);

// The name of a status code, e.g. "UNAVAILABLE".
std::string CodeName(grpc::StatusCode code);

// True when the node could not be reached at all, so asking another node is safe.
bool Unreachable(const grpc::Status& status);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_CALL_H_
