#include "gateway/node_client.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/core/grpc_status.h"

namespace herd::gateway {

struct NodeClient::BatchCall : Call {
  v1::ReportBatchRequest request;
  // The answer when the batch goes as a ReportBatch call (made by SendAsCall); on the stream,
  // answers are read into the stream's own buffers (ReportStream::Answer).
  google::protobuf::Arena answer_arena;
  v1::ReportBatchResponse* answer = nullptr;
  std::vector<ReportCallback> callbacks;
  absl::Time deadline;  // the earliest of its reports'
};

// The ReportBatches stream: batches written one at a time in the order sent, each answered by the
// next response. Every batch sent on it is finished exactly once: by its answer, or when the
// stream ends.
class NodeClient::ReportStream
    : public grpc::ClientBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse> {
 public:
  explicit ReportStream(NodeClient* client) : client_(client) {}

  // Opens the stream; `self` (this stream) keeps it alive until OnDone.
  void Start(std::shared_ptr<ReportStream> self) {
    self_ = std::move(self);
    // A restarting node is waited for, within the batches' deadlines (ExpireOverdueStream).
    context_.set_wait_for_ready(true);
    client_->stub_->async()->ReportBatches(&context_, this);
    AddHold();  // writes start outside reactions; released when the reads end
    StartRead(reading_->message);
    StartCall();
    // Batches other threads sent before the call was bound to this reactor start now.
    BatchCall* next;
    {
      herd::MutexLock lock(&mu_);
      started_ = true;
      next = TakeNextWriteLocked();
    }
    if (next != nullptr) StartWrite(&next->request);
  }

  // False once the stream has ended: the batch must go another way.
  bool Send(BatchCall* call) {
    BatchCall* next;
    {
      herd::MutexLock lock(&mu_);
      if (ended_) return false;
      awaiting_.push_back(call);
      unsent_.push_back(call);
      next = TakeNextWriteLocked();
    }
    if (next != nullptr) StartWrite(&next->request);
    return true;
  }

  absl::Time OldestDeadline() {
    herd::MutexLock lock(&mu_);
    return awaiting_.empty() ? absl::InfiniteFuture() : awaiting_.front()->deadline;
  }

  // Ends the stream; what awaits an answer fails with DEADLINE_EXCEEDED.
  void Expire() {
    {
      herd::MutexLock lock(&mu_);
      expired_ = true;
      ended_ = true;
    }
    context_.TryCancel();
  }

  void Cancel() {
    {
      herd::MutexLock lock(&mu_);
      ended_ = true;
    }
    context_.TryCancel();
  }

  void OnWriteDone(bool ok) override {
    BatchCall* next = nullptr;
    bool release;
    {
      herd::MutexLock lock(&mu_);
      writing_ = false;
      release = reads_done_;  // the stream is ending and waited for this write
      // A failed write: the read fails too, and OnDone finishes what awaits.
      if (ok) next = TakeNextWriteLocked();
    }
    if (next != nullptr) StartWrite(&next->request);
    if (release) RemoveHold();
  }

  void OnReadDone(bool ok) override {
    BatchCall* call = nullptr;
    if (ok) {
      herd::MutexLock lock(&mu_);
      if (awaiting_.size() > unsent_.size()) {  // the answer of a batch that was written
        call = awaiting_.front();
        awaiting_.pop_front();
      } else {
        protocol_error_ = true;  // an answer to nothing: the node is not following the protocol
      }
    }
    if (call == nullptr) {
      if (ok) context_.TryCancel();
      bool release;
      {
        herd::MutexLock lock(&mu_);
        ended_ = true;
        reads_done_ = true;
        // A write taken by another thread may not have started yet: the hold stays until it is
        // done, so OnDone cannot come before it (OnWriteDone releases it then).
        release = !writing_;
      }
      if (release) RemoveHold();
      return;
    }
    // The next read starts before this answer is handled, into a buffer of its own: its
    // OnReadDone may run on another thread while this one still runs the callbacks.
    std::unique_ptr<Answer> answer = std::exchange(reading_, std::make_unique<Answer>());
    StartRead(reading_->message);
    client_->FinishBatch(call, grpc::Status::OK, answer->message);
  }

  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<ReportStream> self = std::move(self_);  // this stream dies with it, last
    std::deque<BatchCall*> awaiting;
    bool expired, protocol_error;
    {
      herd::MutexLock lock(&mu_);
      ended_ = true;
      awaiting.swap(awaiting_);
      unsent_.clear();
      expired = expired_;
      protocol_error = protocol_error_;
    }
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && !expired) {
      // None of them was taken: they go again, as calls (and so does every later batch).
      client_->StreamUnimplemented();
      client_->StreamEnded(this);
      for (BatchCall* call : awaiting) client_->SendAsCall(call);
      return;
    }
    client_->StreamEnded(this);
    grpc::Status error = status;
    if (expired) {
      error = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                           absl::StrCat("node ", client_->options_.node_name,
                                        " did not answer a batch within its deadline"));
    } else if (protocol_error) {
      error = grpc::Status(grpc::StatusCode::INTERNAL,
                           absl::StrCat("node ", client_->options_.node_name,
                                        " answered more batches than it was sent"));
    } else if (error.ok()) {
      error = grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          absl::StrCat("node ", client_->options_.node_name, " closed the report stream"));
    }
    for (BatchCall* call : awaiting) client_->FinishBatch(call, error, nullptr);
  }

 private:
  // One answer read from the stream, on an arena: parsing it costs a few allocations of arena
  // blocks instead of several per report (each report's stamp and times), and all of them are
  // freed at once, on the thread that made them.
  struct Answer {
    static google::protobuf::ArenaOptions Blocks() {
      google::protobuf::ArenaOptions options;
      options.start_block_size = 8 << 10;  // a batch of 64 answers takes about 20 KiB
      options.max_block_size = 64 << 10;
      return options;
    }
    google::protobuf::Arena arena{Blocks()};
    v1::ReportBatchResponse* message =
        google::protobuf::Arena::CreateMessage<v1::ReportBatchResponse>(&arena);
  };

  // The batch to write now, if the stream is started and no write is in flight; the caller
  // starts the write outside the lock (one write in flight: only that caller may).
  BatchCall* TakeNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!started_ || writing_ || reads_done_ || unsent_.empty()) return nullptr;
    writing_ = true;
    BatchCall* next = unsent_.front();
    unsent_.pop_front();
    return next;
  }

  NodeClient* const client_;
  grpc::ClientContext context_;
  std::unique_ptr<Answer> reading_ = std::make_unique<Answer>();  // owned by the read in flight
  std::shared_ptr<ReportStream> self_;
  herd::Mutex mu_;
  std::deque<BatchCall*> awaiting_ ABSL_GUARDED_BY(mu_);  // sent, in order, not yet answered
  std::deque<BatchCall*> unsent_ ABSL_GUARDED_BY(mu_);    // the tail of awaiting_ not yet written
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;  // the stream is ending
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  bool expired_ ABSL_GUARDED_BY(mu_) = false;
  bool protocol_error_ ABSL_GUARDED_BY(mu_) = false;
};

struct NodeClient::SearchCall : Call {
  v1::SearchNearbyRequest request;
  v1::SearchNearbyResponse response;
  SearchCallback done;
};

namespace {

std::shared_ptr<grpc::Channel> MakeChannel(const NodeClient::Options& options) {
  grpc::ChannelArguments args;
  // A restarted node is reached again within a quarter of a second: while it is down, lines are
  // answered "?" at once, so the gap a restart leaves should be short.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  // The shortest time one connection attempt is given (gRPC 1.51), not a delay: a refused
  // connection fails at once; a loaded host needs more than 100 ms for the handshakes.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 250);
  // A restarted container comes back on another address under the same name: look the name up
  // again within a second of losing the connection (gRPC's default waits 30 s between lookups).
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  // WHATSAT answers and batch results may be large; the deadline, not a size, bounds them.
  args.SetMaxReceiveMessageSize(-1);
  return options.security.NodeChannel(options.grpc_address, options.node_name, args);
}

absl::Status ShuttingDown() { return absl::UnavailableError("gateway is shutting down"); }

// How long the most reports waiting at once is remembered (see NodeClient::LingerLocked).
constexpr absl::Duration kWaitingPeakWindow = absl::Milliseconds(100);

// How often the watcher re-evaluates reachability when the channel's state does not change.
constexpr absl::Duration kWatchInterval = absl::Milliseconds(50);

}  // namespace

NodeClient::NodeClient(Options options)
    : options_(std::move(options)),
      channel_(MakeChannel(options_)),
      stub_(v1::LocationService::NewStub(channel_)),
      linger_target_(options_.run_at ? std::make_shared<LingerTarget>(this) : nullptr),
      reachability_(options_.down_grace, absl::Now()) {
  watcher_ = std::thread([this] { WatchChannel(); });
}

NodeClient::~NodeClient() { Shutdown(); }

uint64_t NodeClient::batches_sent() const {
  herd::MutexLock lock(&mu_);
  return batches_sent_;
}

uint64_t NodeClient::reports_sent() const {
  herd::MutexLock lock(&mu_);
  return reports_sent_;
}

absl::Status NodeClient::RefusalLocked() const {
  if (shut_down_) return ShuttingDown();
  if (down_.load(std::memory_order_relaxed)) {
    return absl::UnavailableError(absl::StrCat("node ", options_.node_name, " is unreachable"));
  }
  return absl::OkStatus();
}

void NodeClient::Report(v1::ReportRequest request, ReportCallback done) {
  absl::Status refusal;
  {
    herd::MutexLock lock(&mu_);
    refusal = RefusalLocked();
    if (refusal.ok()) {
      const absl::Time now = absl::Now();
      queue_.push_back(
          PendingReport{std::move(request), std::move(done), now, now + options_.request_timeout});
      NoteWaitingLocked(now);
    }
  }
  if (!refusal.ok()) {
    done(refusal);
    return;
  }
  Pump();
}

std::shared_ptr<NodeClient::BatchCall> NodeClient::TakeBatchLocked(
    std::vector<PendingReport>* expired) {
  if (shut_down_ || batches_in_flight_ >= options_.max_batches_in_flight) return nullptr;
  const absl::Time now = absl::Now();
  while (!queue_.empty() && queue_.front().deadline <= now) {
    expired->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (queue_.empty() || LingerLocked(now)) return nullptr;
  auto call = std::make_shared<BatchCall>();
  absl::Time deadline = absl::InfiniteFuture();
  size_t bytes = 0;
  while (!queue_.empty() && call->callbacks.size() < options_.max_batch_reports) {
    PendingReport& next = queue_.front();
    size_t size = next.request.ByteSizeLong();
    // The first report always goes, so a single large one cannot block the queue.
    if (!call->callbacks.empty() && bytes + size > options_.max_batch_bytes) break;
    bytes += size;
    deadline = std::min(deadline, next.deadline);
    *call->request.add_reports() = std::move(next.request);
    call->callbacks.push_back(std::move(next.done));
    queue_.pop_front();
  }
  call->deadline = deadline;
  ++batches_in_flight_;
  reports_in_flight_ += call->callbacks.size();
  ++batches_sent_;
  reports_sent_ += call->callbacks.size();
  AdoptLocked(call);
  return call;
}

void NodeClient::NoteWaitingLocked(absl::Time now) {
  if (now - peak_window_start_ >= kWaitingPeakWindow) {
    // A window with no report at all in between leaves no peak behind.
    previous_peak_waiting_ = now - peak_window_start_ < 2 * kWaitingPeakWindow ? peak_waiting_ : 0;
    peak_waiting_ = 0;
    peak_window_start_ = now;
  }
  peak_waiting_ = std::max(peak_waiting_, queue_.size() + reports_in_flight_);
}

bool NodeClient::LingerLocked(absl::Time now) {
  const absl::Duration linger = std::min(options_.batch_linger, options_.request_timeout / 4);
  if (linger <= absl::ZeroDuration()) return false;
  const size_t expected =
      std::min(std::max(peak_waiting_, previous_peak_waiting_), options_.max_batch_reports);
  if (queue_.size() >= expected) return false;
  const absl::Time send_at = queue_.front().queued_at + linger;
  if (now >= send_at) return false;
  if (!linger_armed_ && options_.run_at) {
    linger_armed_ = true;
    options_.run_at(send_at, [target = linger_target_] { target->Fire(); });
  } else if (!linger_armed_) {
    linger_armed_ = true;
    ++linger_callbacks_pending_;
    // A fresh alarm each time: one that fired may still be inside its callback. Dropping it here
    // is safe, gRPC keeps what a running callback needs.
    linger_alarm_ = std::make_unique<grpc::Alarm>();
    linger_alarm_->Set(absl::ToChronoTime(send_at), [this](bool /*fired*/) {
      LingerEnded();
      herd::MutexLock lock(&mu_);
      --linger_callbacks_pending_;  // the last use of `this`
    });
  }
  return true;
}

void NodeClient::LingerTarget::Fire() {
  herd::MutexLock lock(&mu_);
  if (client_ != nullptr) client_->LingerEnded();
}

void NodeClient::LingerTarget::Detach() {
  herd::MutexLock lock(&mu_);
  client_ = nullptr;
}

void NodeClient::LingerEnded() {
  {
    herd::MutexLock lock(&mu_);
    linger_armed_ = false;
  }
  Pump();  // sends the batch, unless shut down
}

void NodeClient::Pump() {
  for (;;) {
    std::vector<PendingReport> expired;
    std::shared_ptr<BatchCall> call;
    {
      herd::MutexLock lock(&mu_);
      call = TakeBatchLocked(&expired);
    }
    for (PendingReport& report : expired) {
      report.done(absl::DeadlineExceededError("report waited too long for the node"));
    }
    if (call == nullptr) return;
    BatchCall* raw = call.get();  // owned by calls_ until CallDone
    call.reset();
    Send(raw);
  }
}

void NodeClient::Send(BatchCall* call) {
  for (;;) {
    std::shared_ptr<ReportStream> stream;
    bool as_call = false, opened = false;
    {
      herd::MutexLock lock(&mu_);
      if (shut_down_) {
        // Shutdown has cancelled the stream it saw: no new one may outlive it.
      } else if (batches_as_calls_) {
        as_call = true;
      } else {
        if (stream_ == nullptr) {
          // Counted down once the stream, and the ClientContext in it, is gone: Shutdown must not
          // return while a context still holds the channel (see CallDone).
          stream_ = std::shared_ptr<ReportStream>(new ReportStream(this), [this](ReportStream* s) {
            delete s;
            herd::MutexLock lock(&mu_);
            --streams_alive_;
          });
          ++streams_alive_;
          opened = true;
        }
        stream = stream_;
      }
    }
    if (stream == nullptr && !as_call) {
      FinishBatch(call, ToGrpcStatus(ShuttingDown()), nullptr);
      return;
    }
    if (as_call) {
      SendAsCall(call);
      return;
    }
    if (opened) stream->Start(stream);
    if (stream->Send(call)) return;
    StreamEnded(stream.get());  // it ended meanwhile: open another
  }
}

void NodeClient::SendAsCall(BatchCall* call) {
  call->context.set_deadline(absl::ToChronoTime(call->deadline));
  // Wait (within the deadline) for a node that is restarting instead of failing at once: legacy
  // scripts restart a server and query it half a second later.
  call->context.set_wait_for_ready(true);
  call->answer =
      google::protobuf::Arena::CreateMessage<v1::ReportBatchResponse>(&call->answer_arena);
  HandOff(call);
  stub_->async()->ReportBatch(&call->context, &call->request, call->answer,
                              [this, call](grpc::Status status) {
                                TakeOver(call);
                                FinishBatch(call, status, status.ok() ? call->answer : nullptr);
                              });
}

void NodeClient::StreamUnimplemented() {
  herd::MutexLock lock(&mu_);
  batches_as_calls_ = true;
}

void NodeClient::StreamEnded(const ReportStream* stream) {
  std::shared_ptr<ReportStream> ended;  // released outside the lock
  herd::MutexLock lock(&mu_);
  if (stream_.get() == stream) ended = std::move(stream_);
}

absl::Time NodeClient::ExpireOverdueStream(absl::Time now) {
  std::shared_ptr<ReportStream> stream;
  {
    herd::MutexLock lock(&mu_);
    stream = stream_;
  }
  if (stream == nullptr) return absl::InfiniteFuture();
  const absl::Time oldest = stream->OldestDeadline();
  if (oldest > now) return oldest;
  stream->Expire();
  return absl::InfiniteFuture();
}

void NodeClient::FinishBatch(BatchCall* call, const grpc::Status& status,
                             const v1::ReportBatchResponse* answer) {
  const size_t count = call->callbacks.size();
  {
    // Before the answers go out: a client answered may report again at once, and must not be
    // counted as still waiting (see NoteWaitingLocked).
    herd::MutexLock lock(&mu_);
    reports_in_flight_ -= count;
  }
  if (!status.ok()) {
    absl::Status error = FromGrpcStatus(status);
    for (ReportCallback& done : call->callbacks) done(error);
  } else if (static_cast<size_t>(answer->results_size()) != count) {
    absl::Status error = absl::InternalError(
        absl::StrCat("node answered ", answer->results_size(), " results for ", count, " reports"));
    for (ReportCallback& done : call->callbacks) done(error);
  } else {
    for (size_t i = 0; i < count; ++i) {
      const v1::ReportResult& result = answer->results(static_cast<int>(i));
      if (result.code() != 0) {
        call->callbacks[i](
            absl::Status(static_cast<absl::StatusCode>(result.code()), result.message()));
      } else {
        call->callbacks[i](&result.response());
      }
    }
  }
  {
    herd::MutexLock lock(&mu_);
    --batches_in_flight_;
  }
  Pump();  // the freed slot carries whatever queued up meanwhile
  CallDone(call->id);
}

void NodeClient::SearchNearby(v1::SearchNearbyRequest request, absl::Time deadline,
                              SearchCallback done) {
  auto call = std::make_shared<SearchCall>();
  call->request = std::move(request);
  call->done = std::move(done);
  call->context.set_deadline(absl::ToChronoTime(deadline));
  call->context.set_wait_for_ready(true);
  absl::Status refusal;
  {
    herd::MutexLock lock(&mu_);
    refusal = RefusalLocked();
    if (refusal.ok()) AdoptLocked(call);
  }
  if (!refusal.ok()) {
    call->done(refusal);
    return;
  }
  SearchCall* raw = call.get();  // owned by calls_ until CallDone
  call.reset();
  HandOff(raw);
  stub_->async()->SearchNearby(&raw->context, &raw->request, &raw->response,
                               [this, raw](grpc::Status status) {
                                 TakeOver(raw);
                                 if (status.ok()) {
                                   raw->done(std::move(raw->response));
                                 } else {
                                   raw->done(FromGrpcStatus(status));
                                 }
                                 CallDone(raw->id);
                               });
}

void NodeClient::AdoptLocked(std::shared_ptr<Call> call) {
  call->id = next_call_id_++;
  ++calls_alive_;
  calls_.emplace(call->id, std::move(call));
}

void NodeClient::CallDone(uint64_t id) {
  std::shared_ptr<Call> last;
  {
    herd::MutexLock lock(&mu_);
    auto it = calls_.find(id);
    last = std::move(it->second);
    calls_.erase(it);
  }
  // Destroy the call (its ClientContext holds a channel reference) before Shutdown may return:
  // if the channel's last reference were dropped here, on a gRPC callback thread, gRPC 1.51 would
  // tear down its callback queue from one of that queue's own threads and abort.
  last.reset();
  herd::MutexLock lock(&mu_);
  --calls_alive_;
}

void NodeClient::AddDownListener(DownListener listener) {
  herd::MutexLock lock(&mu_);
  down_listeners_.push_back(std::move(listener));
}

void NodeClient::FailAll(std::deque<PendingReport> queued, const absl::Status& error) {
  std::vector<std::shared_ptr<Call>> in_flight;
  {
    herd::MutexLock lock(&mu_);
    for (auto& [id, call] : calls_) in_flight.push_back(call);
  }
  for (PendingReport& report : queued) report.done(error);
  // Outside the lock: cancelling may run a call's callback on this thread.
  for (const std::shared_ptr<Call>& call : in_flight) call->context.TryCancel();
  std::shared_ptr<ReportStream> stream;
  {
    herd::MutexLock lock(&mu_);
    stream = stream_;
  }
  if (stream != nullptr) stream->Cancel();
}

void NodeClient::WatchChannel() {
  // Asking for the state with try_to_connect keeps a connection attempt going while the node is
  // away, so it is found again as soon as it listens (within the reconnect backoff).
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  for (;;) {
    const absl::Time now = absl::Now();
    bool changed = false;
    bool down = false;
    std::deque<PendingReport> queued;
    std::vector<DownListener> listeners;
    {
      herd::MutexLock lock(&mu_);
      if (shut_down_) return;
      reachability_.Observe(state, now);
      down = reachability_.Down(now);
      if (down != down_.load(std::memory_order_relaxed)) {
        changed = true;
        down_.store(down, std::memory_order_relaxed);
        if (down) queued.swap(queue_);
        listeners = down_listeners_;
      }
    }
    if (changed) {
      if (down) {
        FailAll(std::move(queued), absl::UnavailableError(absl::StrCat("node ", options_.node_name,
                                                                       " is unreachable")));
      }
      for (const DownListener& listener : listeners) listener(down);
    }
    const absl::Time next_check = std::min(now + kWatchInterval, ExpireOverdueStream(now));
    if (state == GRPC_CHANNEL_READY) {
      // While the node is reachable the state is sampled, not waited for: a thread inside
      // WaitForStateChange polls gRPC's sockets along with the callback threads, and each batch
      // answer it picked up had to be handed to one of them (a wake-up more per batch).
      herd::MutexLock lock(&mu_);
      while (!shut_down_ && !mu_.WaitWithDeadline(&watch_wake_, next_check)) {
      }
      if (shut_down_) return;
    } else {
      // Otherwise waiting there is what drives the connection (name lookups, connects) while no
      // call is made: gRPC's callback threads exist only once a call was.
      channel_->WaitForStateChange(state, absl::ToChronoTime(next_check));
    }
    state = channel_->GetState(/*try_to_connect=*/true);
  }
}

void NodeClient::Shutdown() {
  std::deque<PendingReport> queued;
  {
    herd::MutexLock lock(&mu_);
    shut_down_ = true;
    queued.swap(queue_);
    watch_wake_.Signal();
  }
  if (watcher_.joinable() && watcher_.get_id() != std::this_thread::get_id()) watcher_.join();
  FailAll(std::move(queued), ShuttingDown());
  grpc::Alarm* linger = nullptr;
  {
    herd::MutexLock lock(&mu_);
    if (linger_armed_) linger = linger_alarm_.get();  // no other is armed once shut down
  }
  // Outside the lock: the cancelled alarm's callback (which finds the client shut down) may run
  // before Cancel returns.
  if (linger != nullptr) linger->Cancel();
  if (linger_target_ != nullptr) linger_target_->Detach();
  herd::MutexLock lock(&mu_);
  // Cancelled calls complete promptly; the bound only guards against a stuck library.
  mu_.AwaitWithTimeout(absl::Condition(this, &NodeClient::QuietLocked), absl::Seconds(5));
}

}  // namespace herd::gateway
