#ifndef HERD_GATEWAY_LOOP_TIMER_H_
#define HERD_GATEWAY_LOOP_TIMER_H_

#include <asio.hpp>
#include <functional>

#include "absl/time/time.h"

namespace herd::gateway {

// NodeClient::Options::run_at on an event loop's timers: `fire` runs on a thread running `io`,
// once, at about `due`, and wakes no other thread (a grpc::Alarm wakes three before a batch
// leaves). `fire` is dropped unrun if `io` stops first. `io` must outlive the clients using it.
std::function<void(absl::Time due, std::function<void()> fire)> RunAtOnLoop(asio::io_context& io);

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_LOOP_TIMER_H_
