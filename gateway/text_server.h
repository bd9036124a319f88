#ifndef HERD_GATEWAY_TEXT_SERVER_H_
#define HERD_GATEWAY_TEXT_SERVER_H_

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/connection.h"
#include "gateway/node_client.h"
#include "services/core/async_log.h"

namespace herd::gateway {

// Listens on one node's text address and gives every accepted socket its own Connection (on its
// own strand) that talks to `node`.
class TextServer {
 public:
  // Binds and listens on `text_address` ("host:port"); errors name the address and the cause,
  // e.g. a port already in use.
  static absl::StatusOr<std::unique_ptr<TextServer>> Listen(asio::io_context& io,
                                                            const std::string& text_address,
                                                            NodeClient* node, AsyncLog* log,
                                                            const ConnectionLimits& limits);

  // Starts accepting; connections run on `io`'s threads.
  void Start();
  uint16_t port() const { return port_; }

 private:
  TextServer(asio::io_context& io, asio::ip::tcp::acceptor acceptor, NodeClient* node,
             AsyncLog* log, const ConnectionLimits& limits);
  void Accept();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  NodeClient* const node_;
  AsyncLog* const log_;
  const ConnectionLimits limits_;
  uint16_t port_ = 0;
  uint64_t next_connection_id_ = 1;  // only touched by the accept chain
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_TEXT_SERVER_H_
