#include "services/node/report_batches_stream.h"

#include "services/core/grpc_status.h"

namespace herd {
namespace {

grpc::Status Stopping() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping");
}

}  // namespace

grpc::ServerBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse>*
ReportBatchStreams::Open() {
  auto* reactor = new ReportBatchesReactor(this);
  bool stopped;
  {
    herd::MutexLock lock(&mu_);
    stopped = stopped_;
    open_.insert(reactor);
  }
  if (stopped) reactor->Stop();
  return reactor;
}

void ReportBatchStreams::StopAll() {
  herd::MutexLock lock(&mu_);
  stopped_ = true;
  // Under the lock: a reactor leaves `open_` (in OnDone) only through it, so none is freed here.
  for (ReportBatchesReactor* reactor : open_) reactor->Stop();
}

void ReportBatchStreams::Closed(ReportBatchesReactor* reactor) {
  herd::MutexLock lock(&mu_);
  open_.erase(reactor);
}

ReportBatchesReactor::ReportBatchesReactor(ReportBatchStreams* streams) : streams_(streams) {
  StartRead(&request_);
}

void ReportBatchesReactor::Stop() {
  herd::MutexLock lock(&mu_);
  stopping_ = true;
  if (!busy_) FinishLocked(Stopping());
}

void ReportBatchesReactor::OnReadDone(bool ok) {
  {
    herd::MutexLock lock(&mu_);
    if (!ok || stopping_) {
      // The gateway closed its side, or the node is stopping and this batch was not taken.
      FinishLocked(ok ? Stopping() : grpc::Status::OK);
      return;
    }
    busy_ = true;
  }
  response_.Clear();
  const absl::Status status = streams_->answer_(request_, &response_);
  request_.Clear();
  herd::MutexLock lock(&mu_);
  if (!status.ok()) {
    busy_ = false;
    FinishLocked(ToGrpcStatus(status));
    return;
  }
  StartWrite(&response_);  // even when stopping: the batch was taken, its answer goes first
}

void ReportBatchesReactor::OnWriteDone(bool ok) {
  herd::MutexLock lock(&mu_);
  busy_ = false;
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the gateway went away"));
  } else if (stopping_) {
    FinishLocked(Stopping());
  } else {
    StartRead(&request_);
  }
}

void ReportBatchesReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  Finish(status);
}

void ReportBatchesReactor::OnDone() {
  streams_->Closed(this);
  delete this;
}

}  // namespace herd
