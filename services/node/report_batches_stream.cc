#include "services/node/report_batches_stream.h"

#include <vector>

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
  if (stopped && reactor->MarkStopping()) reactor->Finish(Stopping());
  return reactor;
}

void ReportBatchStreams::StopAll() {
  std::vector<ReportBatchesReactor*> to_finish;
  {
    herd::MutexLock lock(&mu_);
    stopped_ = true;
    for (ReportBatchesReactor* reactor : open_) {
      if (reactor->MarkStopping()) to_finish.push_back(reactor);
    }
  }
  // Outside the lock, as every call into gRPC: a reactor marked finished cannot reach OnDone
  // before its Finish, so each one is still alive here.
  for (ReportBatchesReactor* reactor : to_finish) reactor->Finish(Stopping());
}

void ReportBatchStreams::Closed(ReportBatchesReactor* reactor) {
  herd::MutexLock lock(&mu_);
  open_.erase(reactor);
}

ReportBatchesReactor::ReportBatchesReactor(ReportBatchStreams* streams) : streams_(streams) {
  StartRead(&request_);
}

google::protobuf::ArenaOptions ReportBatchesReactor::ArenaOptions(char* block, size_t size) {
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = size;
  return options;
}

bool ReportBatchesReactor::MarkStopping() {
  herd::MutexLock lock(&mu_);
  stopping_ = true;
  return !busy_ && MarkFinishedLocked();
}

bool ReportBatchesReactor::MarkFinishedLocked() {
  if (finished_) return false;
  finished_ = true;
  return true;
}

void ReportBatchesReactor::OnReadDone(bool ok) {
  bool stopping;
  {
    herd::MutexLock lock(&mu_);
    stopping = stopping_;
    if (!ok || stopping) {
      if (!MarkFinishedLocked()) return;  // StopAll finished it already
    } else {
      busy_ = true;  // until its answer is written: StopAll leaves the finishing to OnWriteDone
    }
  }
  if (!ok) {
    Finish(grpc::Status::OK);  // the gateway closed its side
    return;
  }
  if (stopping) {
    Finish(Stopping());  // this batch was not taken
    return;
  }
  response_ = google::protobuf::Arena::CreateMessage<v1::ReportBatchResponse>(&arena_);
  const absl::Status status = streams_->answer_(request_, response_);
  request_.Clear();
  if (!status.ok()) {
    {
      herd::MutexLock lock(&mu_);
      busy_ = false;
      finished_ = true;  // no one else finishes while busy
    }
    Finish(ToGrpcStatus(status));
    return;
  }
  StartWrite(response_);  // even when stopping meanwhile: the batch was taken, its answer goes
}

void ReportBatchesReactor::OnWriteDone(bool ok) {
  // The answer is written (or never will be): nothing refers to it any more.
  response_ = nullptr;
  arena_.Reset();
  bool finish;
  bool stopping;
  {
    herd::MutexLock lock(&mu_);
    busy_ = false;
    stopping = stopping_;
    finish = (!ok || stopping) && MarkFinishedLocked();
  }
  if (finish) {
    Finish(ok ? Stopping() : grpc::Status(grpc::StatusCode::CANCELLED, "the gateway went away"));
  } else if (ok && !stopping) {
    StartRead(&request_);
  }
}

void ReportBatchesReactor::OnDone() {
  streams_->Closed(this);
  delete this;
}

}  // namespace herd
