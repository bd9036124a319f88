#include "services/probe/grpc_checks.h"

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "health.grpc.pb.h"
#include "herd/v1/location_service.grpc.pb.h"

namespace herd::probe {
namespace {

// One short-lived channel per check; the deadline bounds connecting too.
std::shared_ptr<grpc::Channel> Connect(const NodeTarget& target) {
  return target.security.NodeChannel(target.address, target.node, grpc::ChannelArguments());
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

absl::Status Failed(const std::string& address, const grpc::Status& status) {
  return absl::UnavailableError(absl::StrCat(address, ": ", status.error_message(), " (code ",
                                             static_cast<int>(status.error_code()), ")"));
}

}  // namespace

absl::Status CheckHealth(const NodeTarget& target, absl::Duration timeout) {
  const std::string& address = target.address;
  auto stub = grpc::health::v1::Health::NewStub(Connect(target));
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return Failed(address, status);
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat(address, ": ",
                     grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::NodeStatus> GetNodeStatus(const NodeTarget& target, absl::Duration timeout) {
  const std::string& address = target.address;
  auto stub = v1::LocationService::NewStub(Connect(target));
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  v1::NodeStatus response;
  grpc::Status status = stub->GetStatus(&context, v1::GetStatusRequest(), &response);
  if (!status.ok()) return Failed(address, status);
  return response;
}

}  // namespace herd::probe
