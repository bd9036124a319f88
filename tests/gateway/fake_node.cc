#include "tests/gateway/fake_node.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/core/grpc_status.h"
#include "services/core/stamp.h"

namespace herd::testing {

FakeNode::FakeNode(std::string name, int port)
    : name_(std::move(name)),
      places_json_(
          "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n"
          "   \"status\" : \"ZERO_RESULTS\"\n}\n") {
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                           &selected);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || selected == 0) {
    std::fprintf(stderr, "fake node %s cannot listen on port %d\n", name_.c_str(), port);
    std::abort();
  }
  address_ = absl::StrCat("127.0.0.1:", selected);
}

FakeNode::~FakeNode() {
  server_->Shutdown(std::chrono::system_clock::now());
  // Handlers have returned; taking the lock once orders their last writes before the members'
  // destruction where ThreadSanitizer can see it (gRPC's own shutdown sync is invisible to it).
  herd::MutexLock lock(&mu_);
}

void FakeNode::Store(const v1::ReportRequest& request, v1::ReportResult* result) {
  herd::MutexLock lock(&mu_);
  Instant received = receive_time_.value_or(Now());
  absl::StatusOr<v1::LocationStamp> stamp =
      MakeStamp(request.client_id(), request.location(), request.client_time(), name_, received);
  if (!stamp.ok()) {
    result->set_code(static_cast<int>(stamp.status().code()));
    result->set_message(std::string(stamp.status().message()));
    return;
  }
  stamps_[request.client_id()] = *stamp;
  *result->mutable_response()->mutable_stamp() = *stamp;
  result->mutable_response()->set_stored(true);
}

grpc::Status FakeNode::Report(grpc::ServerContext*, const v1::ReportRequest* request,
                              v1::ReportResponse* response) {
  v1::ReportResult result;
  Store(*request, &result);
  if (result.code() != 0) {
    return grpc::Status(static_cast<grpc::StatusCode>(result.code()), result.message());
  }
  *response = result.response();
  return grpc::Status::OK;
}

void FakeNode::AnswerBatch(const v1::ReportBatchRequest& request,
                           v1::ReportBatchResponse* response) {
  ++report_batch_calls_;
  reports_received_ += request.reports_size();
  int largest = largest_batch_.load();
  while (request.reports_size() > largest &&
         !largest_batch_.compare_exchange_weak(largest, request.reports_size())) {
  }
  absl::Duration delay;
  {
    herd::MutexLock lock(&mu_);
    delay = report_delay_;
  }
  absl::SleepFor(delay);
  for (const v1::ReportRequest& report : request.reports()) Store(report, response->add_results());
}

grpc::Status FakeNode::ReportBatch(grpc::ServerContext*, const v1::ReportBatchRequest* request,
                                   v1::ReportBatchResponse* response) {
  ++unary_batch_calls_;
  AnswerBatch(*request, response);
  return grpc::Status::OK;
}

grpc::Status FakeNode::ReportBatches(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<v1::ReportBatchResponse, v1::ReportBatchRequest>* stream) {
  {
    herd::MutexLock lock(&mu_);
    if (!report_stream_) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
  }
  ++report_streams_;
  v1::ReportBatchRequest request;
  while (stream->Read(&request)) {
    v1::ReportBatchResponse response;
    AnswerBatch(request, &response);
    if (!stream->Write(response)) break;
  }
  return grpc::Status::OK;
}

grpc::Status FakeNode::GetLocation(grpc::ServerContext*, const v1::GetLocationRequest* request,
                                   v1::LocationStamp* response) {
  herd::MutexLock lock(&mu_);
  auto it = stamps_.find(request->client_id());
  if (it == stamps_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown client");
  *response = it->second;
  return grpc::Status::OK;
}

grpc::Status FakeNode::SearchNearby(grpc::ServerContext*, const v1::SearchNearbyRequest* request,
                                    v1::SearchNearbyResponse* response) {
  ++search_calls_;
  absl::Duration delay;
  {
    herd::MutexLock lock(&mu_);
    last_search_ = *request;
    delay = search_delay_;
  }
  absl::SleepFor(delay);
  herd::MutexLock lock(&mu_);
  auto it = stamps_.find(request->client_id());
  if (it == stamps_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown client");
  *response->mutable_stamp() = it->second;
  response->set_legacy_json(places_json_);
  return grpc::Status::OK;
}

}  // namespace herd::testing
