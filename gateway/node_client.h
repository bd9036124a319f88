#ifndef HERD_GATEWAY_NODE_CLIENT_H_
#define HERD_GATEWAY_NODE_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/transport_security.h"

namespace herd::gateway {

// The gateway's side of one node: a single gRPC channel, created at start and reconnected by
// gRPC itself, over which every connection's requests travel.
//
// Reports from all connections are coalesced: up to `max_batches_in_flight` ReportBatch calls run
// at once, and reports arriving meanwhile queue up to leave together in the next batch. Under light
// load a report goes out alone at once; under heavy load batches grow (up to `max_batch_reports`
// and `max_batch_bytes`), which is what lets one gateway carry tens of thousands of reports a
// second over one channel.
//
// Every request is answered, exactly once, within `request_timeout` of being submitted (plus
// scheduling): its deadline is fixed when it is queued, a batch's RPC deadline is the earliest of
// its reports', and reports whose deadline passed while queued fail without an RPC. Callbacks run
// on gRPC or caller threads and must not block (the gateway posts them to the connection).
class NodeClient {
 public:
  struct Options {
    std::string node_name;
    std::string grpc_address;
    // Plain, or TLS verifying that the node's certificate names `node_name`.
    TransportSecurity security = TransportSecurity::Insecure();
    absl::Duration request_timeout = absl::Milliseconds(3000);
    size_t max_batch_reports = 4096;
    size_t max_batch_bytes = 2 << 20;  // stays well under gRPC's 4 MiB message limit
    int max_batches_in_flight = 4;
  };
  using ReportCallback = std::function<void(absl::StatusOr<v1::ReportResponse>)>;
  using SearchCallback = std::function<void(absl::StatusOr<v1::SearchNearbyResponse>)>;

  explicit NodeClient(Options options);
  // Cancels outstanding calls and waits for their callbacks (see Shutdown).
  ~NodeClient();
  NodeClient(const NodeClient&) = delete;
  NodeClient& operator=(const NodeClient&) = delete;

  const std::string& node_name() const { return options_.node_name; }
  absl::Duration request_timeout() const { return options_.request_timeout; }

  void Report(v1::ReportRequest request, ReportCallback done);
  // `deadline` is usually now + request_timeout(); a caller that held the request back passes
  // the deadline it started with.
  void SearchNearby(v1::SearchNearbyRequest request, absl::Time deadline, SearchCallback done);

  // Fails queued requests, cancels calls in flight and waits (bounded) until every callback has
  // returned; later requests fail at once. Safe to call more than once.
  void Shutdown();

  // For tests and logs: batches sent and reports carried by them.
  uint64_t batches_sent() const;
  uint64_t reports_sent() const;

 private:
  struct PendingReport {
    v1::ReportRequest request;
    ReportCallback done;
    absl::Time deadline;
  };
  // One RPC in flight. Shared so Shutdown can cancel it outside the lock while its callback may
  // be finishing on another thread.
  struct Call {
    virtual ~Call() = default;
    grpc::ClientContext context;
  };
  struct BatchCall;
  struct SearchCall;

  // Takes the next batch off the queue if a slot is free; expired reports go to `expired`.
  std::shared_ptr<BatchCall> TakeBatchLocked(std::vector<PendingReport>* expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends batches while slots are free; runs callbacks of expired reports outside the lock.
  void Pump();
  void FinishBatch(BatchCall* call, const grpc::Status& status);
  // Forgets a finished call; the last thing a call's callback does with `this`.
  void CallDone(Call* call) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LocationService::Stub> stub_;

  mutable absl::Mutex mu_;
  std::deque<PendingReport> queue_ ABSL_GUARDED_BY(mu_);
  int batches_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Every call in flight, so Shutdown can cancel them (an empty entry: being destroyed).
  std::map<Call*, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t batches_sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reports_sent_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_NODE_CLIENT_H_
