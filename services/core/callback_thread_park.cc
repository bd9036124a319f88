#include "services/core/callback_thread_park.h"

#include <cstdlib>
#include <string>

namespace herd {
namespace {

// Never served: the calls are cancelled before they start, and the channel's address does not
// exist, so they fail without touching the network.
constexpr char kUnusedTarget[] = "unix:/nonexistent/herd-callback-thread-park";
constexpr char kUnusedMethod[] = "/herd.internal.CallbackThreadPark/Hold";

// A message to send: a ByteBuffer that was never given a slice is not one.
grpc::ByteBuffer EmptyMessage() {
  grpc::Slice empty;
  return grpc::ByteBuffer(&empty, 1);
}

void PrepareFailingCall(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  context->TryCancel();
}

}  // namespace

bool CallbackThreadPark::Wanted() {
  const char* setting = std::getenv("HERD_PARK_CALLBACK_THREAD");
  if (setting != nullptr && std::string(setting) == "1") return true;
  if (setting != nullptr && std::string(setting) == "0") return false;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores != 0 && cores <= 2;
}

CallbackThreadPark::CallbackThreadPark()
    : channel_(grpc::CreateChannel(kUnusedTarget, grpc::InsecureChannelCredentials())),
      stub_(channel_),
      park_request_(EmptyMessage()),
      check_request_(EmptyMessage()) {}

std::unique_ptr<CallbackThreadPark> CallbackThreadPark::Start(absl::Duration check_timeout) {
  std::unique_ptr<CallbackThreadPark> park(new CallbackThreadPark());
  park->StartCalls(check_timeout);
  return park;
}

void CallbackThreadPark::StartCalls(absl::Duration check_timeout) {
  const std::thread::id starter = std::this_thread::get_id();
  PrepareFailingCall(&park_context_);
  stub_.UnaryCall(&park_context_, kUnusedMethod, grpc::StubOptions(), &park_request_,
                  &park_response_, [this, starter](const grpc::Status&) {
                    absl::MutexLock lock(&mu_);
                    if (std::this_thread::get_id() != starter) {
                      holding_ = true;
                      held_thread_ = std::this_thread::get_id();
                      mu_.Await(absl::Condition(&released_));
                      holding_ = false;
                    }
                    park_returned_ = true;
                  });
  absl::MutexLock lock(&mu_);
  if (!mu_.AwaitWithTimeout(absl::Condition(this, &CallbackThreadPark::HeldOrReturned),
                            check_timeout) ||
      !holding_) {
    released_ = true;  // not held (yet): if the callback comes later, it does not wait
    return;
  }
  // One thread is held: the pool must still run a callback, or the process would stall.
  check_started_ = true;
  mu_.Unlock();
  PrepareFailingCall(&check_context_);
  stub_.UnaryCall(&check_context_, kUnusedMethod, grpc::StubOptions(), &check_request_,
                  &check_response_, [this](const grpc::Status&) {
                    absl::MutexLock lock(&mu_);
                    check_returned_ = true;
                  });
  mu_.Lock();
  if (!mu_.AwaitWithTimeout(absl::Condition(&check_returned_), check_timeout)) {
    released_ = true;  // the held thread was the pool's only one: let it go
  }
}

bool CallbackThreadPark::HeldOrReturned() const { return holding_ || park_returned_; }

bool CallbackThreadPark::parked() const {
  absl::MutexLock lock(&mu_);
  return holding_ && !released_;
}

std::thread::id CallbackThreadPark::parked_thread() const {
  absl::MutexLock lock(&mu_);
  return held_thread_;
}

void CallbackThreadPark::Release() {
  absl::MutexLock lock(&mu_);
  released_ = true;
}

CallbackThreadPark::~CallbackThreadPark() {
  // The calls hold the contexts and buffers until their callbacks return; both fail at once,
  // so these waits end as soon as a thread of the pool is free.
  absl::MutexLock lock(&mu_);
  released_ = true;
  mu_.Await(absl::Condition(&park_returned_));
  if (check_started_) mu_.Await(absl::Condition(&check_returned_));
}

}  // namespace herd
