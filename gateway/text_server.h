#ifndef HERD_GATEWAY_TEXT_SERVER_H_
#define HERD_GATEWAY_TEXT_SERVER_H_

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/connection.h"
#include "gateway/node_route.h"
#include "services/core/async_log.h"

namespace herd::gateway {

// Listens on one node's text address and gives every accepted socket its own Connection (on its
// own strand) that talks to the address's NodeRoute. The listener can be closed and reopened
// (Pause/Resume) so that clients are refused while no node can take their lines.
class TextServer {
 public:
  // Binds and listens on `text_address` ("host:port"); errors name the address and the cause,
  // e.g. a port already in use. `metrics` (may be null) is shared by its connections.
  static absl::StatusOr<std::unique_ptr<TextServer>> Listen(asio::io_context& io,
                                                            const std::string& text_address,
                                                            NodeRoute* route, AsyncLog* log,
                                                            const ConnectionLimits& limits,
                                                            ConnectionMetrics* metrics = nullptr);

  // Starts accepting; connections run on `io`'s threads.
  void Start();
  // Closes the listener (new connections are refused; open ones are kept) / opens it again,
  // retrying while the port cannot be bound. Thread-safe; take effect on the server's strand.
  void Pause();
  void Resume();
  uint16_t port() const { return port_; }

 private:
  TextServer(asio::io_context& io, std::string address, asio::ip::tcp::endpoint endpoint,
             NodeRoute* route, AsyncLog* log, const ConnectionLimits& limits,
             ConnectionMetrics* metrics);
  absl::Status Open();
  void Reopen();
  void Accept();

  asio::io_context& io_;
  // Serialises the accept chain with Pause and Resume.
  asio::strand<asio::io_context::executor_type> strand_;
  const std::string address_;
  asio::ip::tcp::endpoint endpoint_;  // its port fixed by the first Open
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  NodeRoute* const route_;
  AsyncLog* const log_;
  const ConnectionLimits limits_;
  ConnectionMetrics* const metrics_;
  uint16_t port_ = 0;
  // Strand-only state: whether the listener is closed on purpose, and the current accept chain
  // (a completion from an older chain is dropped).
  bool paused_ = false;
  uint64_t generation_ = 0;
  uint64_t next_connection_id_ = 1;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_TEXT_SERVER_H_
