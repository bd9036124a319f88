#include "gateway/text_server.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace herd::gateway {
namespace {

absl::Status ListenError(const std::string& address, absl::string_view what,
                         const asio::error_code& error) {
  return absl::UnavailableError(
      absl::StrCat("cannot listen on ", address, ": ", what, ": ", error.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TextServer>> TextServer::Listen(asio::io_context& io,
                                                               const std::string& text_address,
                                                               NodeRoute* route, AsyncLog* log,
                                                               const ConnectionLimits& limits,
                                                               ConnectionMetrics* metrics) {
  size_t colon = text_address.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(text_address.substr(colon + 1), &port) ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("\"", text_address, "\" is not host:port"));
  }
  std::string host = text_address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  asio::error_code error;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints =
      resolver.resolve(host, std::to_string(port), asio::ip::tcp::resolver::passive, error);
  if (error || endpoints.empty()) return ListenError(text_address, "resolve", error);
  auto server = std::unique_ptr<TextServer>(
      new TextServer(io, text_address, endpoints.begin()->endpoint(), route, log, limits, metrics));
  if (absl::Status s = server->Open(); !s.ok()) return s;
  return server;
}

TextServer::TextServer(asio::io_context& io, std::string address, asio::ip::tcp::endpoint endpoint,
                       NodeRoute* route, AsyncLog* log, const ConnectionLimits& limits,
                       ConnectionMetrics* metrics)
    : io_(io),
      strand_(asio::make_strand(io)),
      address_(std::move(address)),
      endpoint_(std::move(endpoint)),
      acceptor_(strand_),
      retry_timer_(strand_),
      route_(route),
      log_(log),
      limits_(limits),
      metrics_(metrics) {}

absl::Status TextServer::Open() {
  asio::error_code error;
  acceptor_.open(endpoint_.protocol(), error);
  if (error) return ListenError(address_, "open", error);
  // Lets a restarted gateway bind while old connections sit in TIME_WAIT; two live listeners on
  // one port are still refused.
  acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  acceptor_.bind(endpoint_, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return ListenError(address_, "bind", error);
  }
  port_ = acceptor_.local_endpoint(error).port();
  endpoint_.port(port_);  // reopened on the same port, even if the config said 0
  return absl::OkStatus();
}

void TextServer::Start() {
  asio::post(strand_, [this] { Accept(); });
}

void TextServer::Pause() {
  asio::post(strand_, [this] {
    if (paused_) return;
    paused_ = true;
    ++generation_;  // the accept chain in progress ends
    retry_timer_.cancel();
    asio::error_code ignored;
    acceptor_.close(ignored);
    log_->Write(absl::StrCat("no node can take lines on ", address_, "; refusing connections"));
  });
}

void TextServer::Resume() {
  asio::post(strand_, [this] {
    if (!paused_) return;
    paused_ = false;
    ++generation_;
    Reopen();
  });
}

void TextServer::Reopen() {
  if (paused_) return;
  if (absl::Status s = Open(); !s.ok()) {
    log_->Write(absl::StrCat(s.message(), "; retrying"));
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this, generation = generation_](const asio::error_code& error) {
      if (!error && generation == generation_) Reopen();
    });
    return;
  }
  log_->Write(absl::StrCat("accepting connections on ", address_, " again"));
  Accept();
}

void TextServer::Accept() {
  acceptor_.async_accept(
      asio::make_strand(io_),
      asio::bind_executor(strand_, [this, generation = generation_](const asio::error_code& error,
                                                                    asio::ip::tcp::socket socket) {
        if (generation != generation_ || error == asio::error::operation_aborted) return;
        if (error) {
          // Typically out of file descriptors: back off instead of spinning; the connections
          // already open keep being served.
          log_->Write(absl::StrCat("accept failed: ", error.message()));
          retry_timer_.expires_after(std::chrono::milliseconds(100));
          retry_timer_.async_wait([this, generation](const asio::error_code& error) {
            if (!error && generation == generation_) Accept();
          });
          return;
        }
        std::make_shared<Connection>(std::move(socket), next_connection_id_++, route_, log_,
                                     limits_, metrics_)
            ->Start();
        Accept();
      }));
}

}  // namespace herd::gateway
