#ifndef HERD_GATEWAY_NODE_CLIENT_H_
#define HERD_GATEWAY_NODE_CLIENT_H_

#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/node_reachability.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/mutex.h"
#include "services/core/transport_security.h"

namespace herd::gateway {

// The gateway's side of one node: a single gRPC channel, created at start and reconnected by
// gRPC itself, over which every connection's requests travel.
//
// Reports from all connections are coalesced into batches: up to `max_batches_in_flight` batches
// are out at once, and reports arriving meanwhile queue up to leave together in the next batch.
// Under light load a report goes out alone at once; under heavy load batches grow (up to
// `max_batch_reports` and `max_batch_bytes`), which is what lets one gateway carry tens of
// thousands of reports a second over one channel. One batch in flight by default: a node floods a
// batch in one message per peer, so fewer, larger batches cost every node fewer wake-ups; with
// four in flight, 64 connections with one IAMAT each in flight gave about 15% fewer IAMATs per
// second.
//
// Batches travel on one long-lived ReportBatches stream, opened when the first batch leaves and
// again after it ends: a message each way per batch instead of a call, which cost the node a
// tenth of its CPU per report when legacy clients come a few at a time. A node without that
// method (UNIMPLEMENTED) gets each batch as a ReportBatch call from then on, the batches that
// found out sent again that way.
//
// A report that finds a slot free may still wait a little for company (`batch_linger`): while
// fewer reports are queued than were lately waiting at once (queued or in a batch), the batch
// waits for the others, at most until its oldest report has waited the linger. Every batch costs
// each node of the herd a message and its wake-ups, so with legacy clients (a connection per
// line, a few at a time) batches held two or three reports, and the cost per batch was most of
// the herd's work per report. A lone client's report, never in company, leaves at once.
//
// Every request is answered, exactly once, within `request_timeout` of being submitted (plus
// scheduling): its deadline is fixed when it is queued, a batch's deadline is the earliest of its
// reports', and reports whose deadline passed while queued fail without being sent. A batch on the
// stream whose deadline passes unanswered ends the stream (the watcher thread checks, so it fails
// up to kWatchInterval late), failing it and the batches behind it. Callbacks run on gRPC or
// caller threads and must not block (the gateway posts them to the connection).
//
// A thread watches the channel (while it is ready, by sampling its state every kWatchInterval).
// Once the node has been unreachable for `down_grace` (see NodeReachability), the client is down:
// queued requests fail, calls and the stream waiting for the node are cancelled, and new requests
// fail at once with UNAVAILABLE instead of waiting out their deadline. It is up again as soon as
// the channel reconnects, which the watcher keeps trying.
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
    int max_batches_in_flight = 1;
    // How long a report may wait for others to join its batch (see the class comment); zero
    // sends at once. At most a quarter of `request_timeout` is used.
    absl::Duration batch_linger = absl::Microseconds(700);
    // Runs `fire` once, at about `due`, on a thread that may send (the batch linger's timer).
    // Unset: a grpc::Alarm, which wakes gRPC's timer thread, then an executor thread, then a
    // callback thread before the batch leaves; the gateway passes its event loop's timers, which
    // wake only the loop. `fire` may be dropped unrun once the client is shut down. Called with
    // the client's lock held: it only schedules, and never runs `fire` itself.
    std::function<void(absl::Time due, std::function<void()> fire)> run_at;
    absl::Duration down_grace = absl::Milliseconds(500);
  };
  // The node's answer to one report. It lives in the batch's answer, which the client frees when
  // the callback returns: copy what is needed beyond it.
  using ReportCallback = std::function<void(absl::StatusOr<const v1::ReportResponse*>)>;
  using SearchCallback = std::function<void(absl::StatusOr<v1::SearchNearbyResponse>)>;
  // Told whether the node is now down, from the watcher thread; must not block.
  using DownListener = std::function<void(bool down)>;

  explicit NodeClient(Options options);
  // Cancels outstanding calls and waits for their callbacks (see Shutdown).
  ~NodeClient();
  NodeClient(const NodeClient&) = delete;
  NodeClient& operator=(const NodeClient&) = delete;

  const std::string& node_name() const { return options_.node_name; }
  absl::Duration request_timeout() const { return options_.request_timeout; }
  bool tls() const { return options_.security.tls(); }

  void Report(v1::ReportRequest request, ReportCallback done);
  // `deadline` is usually now + request_timeout(); a caller that held the request back passes
  // the deadline it started with.
  void SearchNearby(v1::SearchNearbyRequest request, absl::Time deadline, SearchCallback done);

  // Whether the node counts as down now (see the class comment).
  bool down() const { return down_.load(std::memory_order_relaxed); }
  // Adds a listener for down/up changes. Call before requests flow; listeners live as long as
  // the client.
  void AddDownListener(DownListener listener);

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
    absl::Time queued_at;
    absl::Time deadline;
  };
  // One RPC in flight. Owned by `calls_` from the moment it is sent until its callback is done;
  // shared only so Shutdown can cancel it outside the lock while that callback may be running.
  struct Call {
    virtual ~Call() = default;
    uint64_t id = 0;  // its key in `calls_`; never reused, unlike the call's address
    grpc::ClientContext context;
  };
  struct BatchCall;
  struct SearchCall;
  class ReportStream;
  // What a linger timer from Options::run_at calls: the client until it is shut down.
  class LingerTarget {
   public:
    explicit LingerTarget(NodeClient* client) : client_(client) {}
    // Ends the linger and pumps the queue, unless the client is shut down.
    void Fire() ABSL_LOCKS_EXCLUDED(mu_);
    // Later Fire calls do nothing; waits for one running now.
    void Detach() ABSL_LOCKS_EXCLUDED(mu_);

   private:
    herd::Mutex mu_;
    NodeClient* client_ ABSL_GUARDED_BY(mu_);
  };

  // Takes the next batch off the queue if a slot is free; expired reports go to `expired`.
  std::shared_ptr<BatchCall> TakeBatchLocked(std::vector<PendingReport>* expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the batch about to leave should wait for more reports (see `batch_linger`); if so,
  // makes sure an alarm will pump the queue when it must leave.
  bool LingerLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts the reports waiting now (queued or in flight) into the recent peak.
  void NoteWaitingLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // No call and no linger callback is left to run.
  bool QuietLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return calls_alive_ == 0 && linger_callbacks_pending_ == 0 && streams_alive_ == 0;
  }
  // The linger is over: sends what is queued.
  void LingerEnded() ABSL_LOCKS_EXCLUDED(mu_);
  // Sends batches while slots are free; runs callbacks of expired reports outside the lock.
  void Pump();
  // Sends a batch taken off the queue on the stream (opening one if none is open), or as a
  // ReportBatch call to a node without the stream.
  void Send(BatchCall* call);
  void SendAsCall(BatchCall* call);
  // From a stream that ended: the node has no ReportBatches, so batches go as calls from now on.
  void StreamUnimplemented() ABSL_LOCKS_EXCLUDED(mu_);
  // From a stream that ended: the next batch opens a new one.
  void StreamEnded(const ReportStream* stream) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the stream if its oldest batch is overdue; returns when to check again.
  absl::Time ExpireOverdueStream(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // `answer` is the node's answer when `status` is OK (else null); it need outlive only this call.
  void FinishBatch(BatchCall* call, const grpc::Status& status,
                   const v1::ReportBatchResponse* answer);
  // Registers a call about to be sent: it is owned by `calls_` until CallDone.
  void AdoptLocked(std::shared_ptr<Call> call) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops a finished call and destroys it; the last thing a call's callback does with `this`.
  void CallDone(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Fails every queued request with `error` and cancels every call in flight.
  void FailAll(std::deque<PendingReport> queued, const absl::Status& error)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The watcher thread: feeds channel states to `reachability_` and acts on down/up changes.
  void WatchChannel();
  absl::Status RefusalLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LocationService::Stub> stub_;

  mutable herd::Mutex mu_;
  std::deque<PendingReport> queue_ ABSL_GUARDED_BY(mu_);
  int batches_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Every call in flight, by id, so Shutdown can cancel them.
  std::map<uint64_t, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t next_call_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Calls adopted and not yet destroyed: a call leaves `calls_` before it is destroyed (outside
  // the lock), and Shutdown must not return before the last one is gone.
  int calls_alive_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t batches_sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reports_sent_ ABSL_GUARDED_BY(mu_) = 0;
  // Reports in the batches in flight.
  size_t reports_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // The most reports waiting at once (queued or in flight) in the current and the previous
  // stretch of kWaitingPeakWindow: how many a lingering batch may expect.
  absl::Time peak_window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  size_t peak_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  size_t previous_peak_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  // The alarm of the current linger, if one is armed; replaced by the next one.
  std::unique_ptr<grpc::Alarm> linger_alarm_ ABSL_GUARDED_BY(mu_);
  bool linger_armed_ ABSL_GUARDED_BY(mu_) = false;
  // Linger alarm callbacks not yet returned; Shutdown waits for them.
  int linger_callbacks_pending_ ABSL_GUARDED_BY(mu_) = 0;
  // With Options::run_at: what its timers call.
  const std::shared_ptr<LingerTarget> linger_target_;
  NodeReachability reachability_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> down_{false};  // written under mu_, read anywhere
  std::vector<DownListener> down_listeners_ ABSL_GUARDED_BY(mu_);
  // The stream batches travel on, if one is open. Never released under mu_: the last reference
  // destroys the stream, which takes mu_.
  std::shared_ptr<ReportStream> stream_ ABSL_GUARDED_BY(mu_);
  // Streams not yet destroyed (each holds a ClientContext); Shutdown waits for them too.
  int streams_alive_ ABSL_GUARDED_BY(mu_) = 0;
  // The node answered ReportBatches with UNIMPLEMENTED.
  bool batches_as_calls_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar watch_wake_;  // signalled when shut down
  std::thread watcher_;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_NODE_CLIENT_H_
