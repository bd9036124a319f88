#ifndef HERD_GATEWAY_CONNECTION_H_
#define HERD_GATEWAY_CONNECTION_H_

#include <array>
#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/btree_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/command_parser.h"
#include "gateway/gateway_metrics.h"
#include "gateway/line_decoder.h"
#include "gateway/node_route.h"
#include "services/core/async_log.h"

namespace herd::gateway {

// Per-connection bounds: whatever a client sends or fails to read, a connection holds at most
// about max_line_bytes + max_pending_replies replies + max_unsent_bytes of memory.
struct ConnectionLimits {
  size_t max_line_bytes = 65536;
  // Requests awaiting their reply; at the cap the connection stops reading until replies drain.
  size_t max_pending_replies = 1024;
  // Replies formatted but not yet taken by the kernel; at the cap reading stops too, so a client
  // that never reads only ever stalls itself.
  size_t max_unsent_bytes = 1 << 20;
  // After answering an over-long line, how long to keep discarding the client's input before
  // closing, so the "?" reply is not destroyed by a TCP reset.
  absl::Duration close_linger = absl::Seconds(1);
};

// One text client. All state lives on the socket's strand; node replies are posted back to it.
//
// Replies leave in request order: each request takes a slot in `slots_` when its line is read;
// slots complete in any order (a fast IAMAT may finish before a slow WHATSAT), and bytes are
// written only from the head of the queue. After the client's EOF every pending reply is still
// written, then the sending side is shut down.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `metrics` may be null (none kept).
  Connection(asio::ip::tcp::socket socket, uint64_t id, NodeRoute* route, AsyncLog* log,
             const ConnectionLimits& limits, ConnectionMetrics* metrics = nullptr);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();

 private:
  struct Slot {
    bool ready = false;
    std::string reply;
  };
  // A WHATSAT waiting for the IAMATs sent before it on this connection.
  struct PendingSearch {
    uint64_t seq = 0;
    v1::SearchNearbyRequest request;
    std::string line;
    absl::Time deadline;
    absl::Time arrived;  // with metrics only
  };

  void MaybeRead();
  // Counts the change into / out of backpressure (call only with metrics_).
  void SetPaused(bool paused);
  void OnRead(const asio::error_code& error, size_t bytes);
  void HandleLine(DecodedLine line, AsyncLog::Batch* log_lines);
  // Reserves the next reply slot and returns its sequence number.
  uint64_t AddSlot();
  // Fills a slot; Complete also writes whatever became ready at the head.
  void SetReady(uint64_t seq, std::string reply);
  void Complete(uint64_t seq, std::string reply);
  void OnReportDone(uint64_t seq, std::string reply);
  // Sends the waiting WHATSATs that no earlier IAMAT of this connection still holds back.
  void StartReadySearches();
  // Moves completed head slots to the output and starts a write if none is running.
  void Flush();
  void OnWrite(const asio::error_code& error);
  // Once input has ended and every reply is out: half-close, then close (or linger and close).
  void MaybeFinish();
  void Linger();
  void Close(absl::string_view why);
  void LogLine(AsyncLog::Batch* lines, absl::string_view direction, absl::string_view bytes);

  asio::ip::tcp::socket socket_;
  asio::steady_timer linger_timer_;
  const uint64_t id_;
  NodeRoute* const route_;
  AsyncLog* const log_;
  const ConnectionLimits limits_;
  ConnectionMetrics* const metrics_;
  LineDecoder decoder_;

  std::deque<Slot> slots_;
  uint64_t first_seq_ = 0;  // sequence number of slots_.front()
  // Slots of IAMATs not yet answered. A btree: sequence numbers arrive in order, so a node of it
  // holds many and an insert seldom allocates (a std::set allocated a node per IAMAT).
  absl::btree_set<uint64_t> reports_in_flight_;
  std::deque<PendingSearch> waiting_searches_;
  std::string pending_out_;  // completed replies not yet handed to a write
  std::string writing_;      // the buffer of the write in progress
  std::array<char, 16384> read_buffer_;

  bool reading_ = false;
  bool writing_in_progress_ = false;
  bool input_done_ = false;         // EOF or an over-long line: no more requests
  bool close_after_reply_ = false;  // an over-long line: close once its reply is out
  bool finishing_ = false;          // the sending side is shut down
  bool closed_ = false;
  bool paused_ = false;  // not reading for backpressure (tracked with metrics only)
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_CONNECTION_H_
