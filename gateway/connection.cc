#include "gateway/connection.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/reply_formatter.h"

namespace herd::gateway {

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id, NodeRoute* route, AsyncLog* log,
                       const ConnectionLimits& limits, ConnectionMetrics* metrics)
    : socket_(std::move(socket)),
      linger_timer_(socket_.get_executor()),
      id_(id),
      route_(route),
      log_(log),
      limits_(limits),
      metrics_(metrics),
      decoder_(limits.max_line_bytes) {}

void Connection::Start() {
  if (metrics_ != nullptr) metrics_->open_connections->Increment();
  asio::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  asio::ip::tcp::endpoint peer = socket_.remote_endpoint(ignored);
  log_->Write(
      absl::StrCat("conn ", id_, " open from ", peer.address().to_string(), ":", peer.port()));
  // Runs on the strand like every later step.
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->MaybeRead(); });
}

void Connection::LogLine(AsyncLog::Batch* lines, absl::string_view direction,
                         absl::string_view bytes) {
  // One line per text line: sampled or left out by the config's log.stampLines.
  const absl::AlphaNum id(id_);
  lines->AddStamp({"conn ", id.Piece(), " ", direction, " ", bytes});
}

void Connection::SetPaused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused) {
    metrics_->backpressure_pauses->Increment();
    metrics_->paused_connections->Increment();
  } else {
    metrics_->paused_connections->Decrement();
  }
}

void Connection::MaybeRead() {
  if (reading_ || input_done_ || closed_) return;
  // Back-pressure: stop taking requests while too many replies are pending or unsent.
  if (slots_.size() >= limits_.max_pending_replies ||
      pending_out_.size() + writing_.size() >= limits_.max_unsent_bytes) {
    if (metrics_ != nullptr) SetPaused(true);
    return;
  }
  if (metrics_ != nullptr) SetPaused(false);
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& error, size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void Connection::OnRead(const asio::error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  std::vector<DecodedLine> lines;
  if (!error) {
    decoder_.Feed(absl::string_view(read_buffer_.data(), bytes), &lines);
  } else if (error == asio::error::eof) {
    decoder_.Finish(&lines);
    input_done_ = true;
    log_->Write(absl::StrCat("conn ", id_, " eof"));
  } else {
    Close(error.message());
    return;
  }
  {
    AsyncLog::Batch log_lines(log_);  // the read's lines, logged together
    for (DecodedLine& line : lines) HandleLine(std::move(line), &log_lines);
  }
  Flush();
  MaybeRead();
}

uint64_t Connection::AddSlot() {
  slots_.emplace_back();
  return first_seq_ + slots_.size() - 1;
}

void Connection::HandleLine(DecodedLine line, AsyncLog::Batch* log_lines) {
  LogLine(log_lines, line.too_long ? "recv-too-long" : "recv", line.text);
  if (line.too_long) {
    if (metrics_ != nullptr) {
      metrics_->lines_over_limit->Increment();
      metrics_->invalid_over_limit->Increment();
    }
    SetReady(AddSlot(), FormatInvalidReply(line.text));
    input_done_ = true;
    close_after_reply_ = true;
    return;
  }
  Command command = ParseCommand(line.text);
  switch (command.kind) {
    case Command::Kind::kBlank:
      return;
    case Command::Kind::kInvalid:
      if (metrics_ != nullptr) {
        metrics_->lines_malformed->Increment();
        metrics_->invalid_malformed->Increment();
      }
      SetReady(AddSlot(), FormatInvalidReply(line.text));
      return;
    case Command::Kind::kIamat: {
      absl::Time arrived;
      if (metrics_ != nullptr) {
        metrics_->lines_iamat->Increment();
        arrived = absl::Now();
      }
      v1::ReportRequest request;
      request.set_client_id(command.client_id.data(), command.client_id.size());
      request.set_location(command.location.data(), command.location.size());
      request.set_client_time(command.client_time.data(), command.client_time.size());
      uint64_t seq = AddSlot();
      reports_in_flight_.insert(seq);
      // Runs on a gRPC thread: format there, then hop back onto this connection's strand.
      route_->Report(std::move(request), [self = shared_from_this(), seq, arrived,
                                          line = std::move(line.text)](
                                             absl::StatusOr<const v1::ReportResponse*> response) {
        const bool answered = response.ok() && (*response)->has_stamp();
        if (ConnectionMetrics* metrics = self->metrics_; metrics != nullptr) {
          metrics->iamat_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - arrived));
          if (!answered) metrics->invalid_iamat->Increment();
        }
        std::string reply =
            answered ? FormatIamatReply((*response)->stamp()) : FormatInvalidReply(line);
        asio::post(self->socket_.get_executor(), [self, seq, reply = std::move(reply)]() mutable {
          self->OnReportDone(seq, std::move(reply));
        });
      });
      return;
    }
    case Command::Kind::kWhatsat: {
      PendingSearch search;
      search.seq = AddSlot();
      search.request.set_client_id(command.client_id.data(), command.client_id.size());
      search.request.set_radius_km(command.radius_km);
      search.request.set_json_only(true);  // the reply prints the JSON, never the places
      search.request.set_max_results(command.max_results);
      search.line = std::move(line.text);
      search.arrived = absl::Now();
      search.deadline = search.arrived + route_->request_timeout();
      if (metrics_ != nullptr) metrics_->lines_whatsat->Increment();
      waiting_searches_.push_back(std::move(search));
      StartReadySearches();
      return;
    }
  }
}

void Connection::OnReportDone(uint64_t seq, std::string reply) {
  reports_in_flight_.erase(seq);
  SetReady(seq, std::move(reply));
  StartReadySearches();
  Flush();
}

void Connection::StartReadySearches() {
  // A WHATSAT must see every IAMAT this client sent before it ("IAMAT x ...\nWHATSAT x ..." in
  // one write must find x), so it waits for the earlier reports of this connection. Its deadline
  // still counts from when the line arrived.
  while (
      !closed_ && !waiting_searches_.empty() &&
      (reports_in_flight_.empty() || *reports_in_flight_.begin() > waiting_searches_.front().seq)) {
    PendingSearch search = std::move(waiting_searches_.front());
    waiting_searches_.pop_front();
    uint64_t seq = search.seq;
    route_->SearchNearby(
        std::move(search.request), search.deadline,
        [self = shared_from_this(), seq, arrived = search.arrived,
         line = std::move(search.line)](absl::StatusOr<v1::SearchNearbyResponse> response) {
          std::string reply;
          if (response.ok() && response->has_stamp() &&
              HasTextBesidesNewlines(response->legacy_json())) {
            reply = FormatWhatsatReply(response->stamp(), response->legacy_json());
          } else {
            reply = FormatInvalidReply(line);  // unknown client, node down, no places...
            if (self->metrics_ != nullptr) self->metrics_->invalid_whatsat->Increment();
          }
          if (self->metrics_ != nullptr) {
            self->metrics_->whatsat_seconds->Observe(absl::ToDoubleSeconds(absl::Now() - arrived));
          }
          asio::post(self->socket_.get_executor(), [self, seq, reply = std::move(reply)]() mutable {
            self->Complete(seq, std::move(reply));
          });
        });
  }
}

void Connection::SetReady(uint64_t seq, std::string reply) {
  if (closed_ || seq < first_seq_) return;
  Slot& slot = slots_[seq - first_seq_];
  slot.ready = true;
  slot.reply = std::move(reply);
}

void Connection::Complete(uint64_t seq, std::string reply) {
  SetReady(seq, std::move(reply));
  Flush();
}

void Connection::Flush() {
  if (closed_) return;
  bool moved = false;
  AsyncLog::Batch log_lines(log_);
  while (!slots_.empty() && slots_.front().ready) {
    std::string& reply = slots_.front().reply;
    LogLine(&log_lines, "send", absl::string_view(reply).substr(0, reply.size() - 1));  // no "\n"
    pending_out_.append(reply);
    slots_.pop_front();
    ++first_seq_;
    moved = true;
  }
  if (!writing_in_progress_ && !pending_out_.empty()) {
    writing_in_progress_ = true;
    writing_.swap(pending_out_);
    asio::async_write(socket_, asio::buffer(writing_),
                      [self = shared_from_this()](const asio::error_code& error, size_t) {
                        self->OnWrite(error);
                      });
  }
  if (moved) MaybeRead();  // slots freed: a paused reader may resume
  MaybeFinish();
}

void Connection::OnWrite(const asio::error_code& error) {
  writing_in_progress_ = false;
  writing_.clear();
  if (closed_) return;
  if (error) {
    Close(error.message());
    return;
  }
  Flush();
  MaybeRead();
}

void Connection::MaybeFinish() {
  if (!input_done_ || finishing_ || closed_ || !slots_.empty() || writing_in_progress_ ||
      !pending_out_.empty()) {
    return;
  }
  finishing_ = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (close_after_reply_) {
    Linger();
  } else {
    Close("done");
  }
}

void Connection::Linger() {
  // The client may still be sending the rest of its over-long line. Closing with unread input
  // would reset the connection and could destroy the "?" reply, so discard input for a while.
  linger_timer_.expires_after(absl::ToChronoNanoseconds(limits_.close_linger));
  linger_timer_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (!error) self->Close("line too long");
  });
  struct Drain {
    std::shared_ptr<Connection> self;
    void operator()(const asio::error_code& error, size_t) {
      if (self->closed_) return;
      if (error) {
        self->Close("line too long");
        return;
      }
      self->socket_.async_read_some(asio::buffer(self->read_buffer_), std::move(*this));
    }
  };
  Drain{shared_from_this()}(asio::error_code(), 0);
}

void Connection::Close(absl::string_view why) {
  if (closed_) return;
  closed_ = true;
  if (metrics_ != nullptr) {
    SetPaused(false);
    metrics_->open_connections->Decrement();
  }
  asio::error_code ignored;
  linger_timer_.cancel();
  socket_.close(ignored);
  slots_.clear();
  reports_in_flight_.clear();
  waiting_searches_.clear();
  pending_out_.clear();
  pending_out_.shrink_to_fit();
  log_->Write(absl::StrCat("conn ", id_, " closed: ", why));
}

}  // namespace herd::gateway
