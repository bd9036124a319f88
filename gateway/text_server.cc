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
                                                               NodeClient* node, AsyncLog* log,
                                                               const ConnectionLimits& limits) {
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
  asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();

  asio::ip::tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), error);
  if (error) return ListenError(text_address, "open", error);
  // Lets a restarted gateway bind while old connections sit in TIME_WAIT; two live listeners on
  // one port are still refused.
  acceptor.set_option(asio::socket_base::reuse_address(true), error);
  acceptor.bind(endpoint, error);
  if (error) return ListenError(text_address, "bind", error);
  acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return ListenError(text_address, "listen", error);
  auto server =
      std::unique_ptr<TextServer>(new TextServer(io, std::move(acceptor), node, log, limits));
  return server;
}

TextServer::TextServer(asio::io_context& io, asio::ip::tcp::acceptor acceptor, NodeClient* node,
                       AsyncLog* log, const ConnectionLimits& limits)
    : io_(io),
      acceptor_(std::move(acceptor)),
      retry_timer_(io),
      node_(node),
      log_(log),
      limits_(limits) {
  asio::error_code ignored;
  port_ = acceptor_.local_endpoint(ignored).port();
}

void TextServer::Start() { Accept(); }

void TextServer::Accept() {
  acceptor_.async_accept(
      asio::make_strand(io_), [this](const asio::error_code& error, asio::ip::tcp::socket socket) {
        if (error == asio::error::operation_aborted) return;
        if (error) {
          // Typically out of file descriptors: back off instead of spinning; the connections
          // already open keep being served.
          log_->Write(absl::StrCat("accept failed: ", error.message()));
          retry_timer_.expires_after(std::chrono::milliseconds(100));
          retry_timer_.async_wait([this](const asio::error_code& error) {
            if (!error) Accept();
          });
          return;
        }
        std::make_shared<Connection>(std::move(socket), next_connection_id_++, node_, log_, limits_)
            ->Start();
        Accept();
      });
}

}  // namespace herd::gateway
