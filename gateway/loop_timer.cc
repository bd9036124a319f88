#include "gateway/loop_timer.h"

#include <chrono>
#include <memory>
#include <utility>

#include "absl/time/clock.h"

namespace herd::gateway {

std::function<void(absl::Time, std::function<void()>)> RunAtOnLoop(asio::io_context& io) {
  return [&io](absl::Time due, std::function<void()> fire) {
    auto timer = std::make_shared<asio::steady_timer>(
        io, std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(due - absl::Now()));
    // The wait holds the timer; it fires once whatever the error (a timer is never cancelled).
    timer->async_wait([timer, fire = std::move(fire)](const asio::error_code&) { fire(); });
  };
}

}  // namespace herd::gateway
