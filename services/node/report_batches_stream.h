#ifndef HERD_SERVICES_NODE_REPORT_BATCHES_STREAM_H_
#define HERD_SERVICES_NODE_REPORT_BATCHES_STREAM_H_

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/mutex.h"

namespace herd {

class ReportBatchesReactor;

// The open ReportBatches streams of a node, so that stopping the node ends them at once instead
// of at the server's shutdown deadline.
class ReportBatchStreams {
 public:
  // Answers one batch as ReportBatch would; an error ends the stream with it.
  using Answer =
      std::function<absl::Status(const v1::ReportBatchRequest&, v1::ReportBatchResponse*)>;

  explicit ReportBatchStreams(Answer answer) : answer_(std::move(answer)) {}
  ReportBatchStreams(const ReportBatchStreams&) = delete;
  ReportBatchStreams& operator=(const ReportBatchStreams&) = delete;

  // A reactor for a new stream; once stopped, one that ends at once with UNAVAILABLE.
  grpc::ServerBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse>* Open();
  // Ends every open stream: a batch being answered is still answered first.
  void StopAll();

 private:
  friend class ReportBatchesReactor;
  void Closed(ReportBatchesReactor* reactor);

  const Answer answer_;
  herd::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<ReportBatchesReactor*> open_ ABSL_GUARDED_BY(mu_);
};

// One gateway's stream: reads a batch, answers it, writes the answer, then reads the next, so
// answers leave in request order and a node works on one batch of a stream at a time. As
// everywhere in the node, nothing calls into gRPC while holding a lock: who finishes is decided
// under `mu_`, and the call is made after.
class ReportBatchesReactor
    : public grpc::ServerBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse> {
 public:
  explicit ReportBatchesReactor(ReportBatchStreams* streams);

  // The node is stopping: true if the caller must now Finish the stream (with UNAVAILABLE);
  // false if it is finished already or a batch is in hand (whose answer goes first, then
  // OnWriteDone finishes it).
  bool MarkStopping();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  // True for the one caller that is to call Finish.
  bool MarkFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static google::protobuf::ArenaOptions ArenaOptions(char* block, size_t size);

  ReportBatchStreams* const streams_;
  v1::ReportBatchRequest request_;  // kept between batches, as are its reports' strings
  // Each answer is built on an arena, reset once it is written: an answer is several messages
  // per report (its stamp and the stamp's times), which a cleared message would not keep. The
  // first block is the reactor's own, so a batch of usual size allocates no arena memory.
  alignas(8) char arena_block_[64 << 10];
  google::protobuf::Arena arena_{ArenaOptions(arena_block_, sizeof(arena_block_))};
  v1::ReportBatchResponse* response_ = nullptr;  // on arena_, owned by the write in flight
  herd::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // a batch read and not yet written
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_REPORT_BATCHES_STREAM_H_
