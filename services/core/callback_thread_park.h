#ifndef HERD_SERVICES_CORE_CALLBACK_THREAD_PARK_H_
#define HERD_SERVICES_CORE_CALLBACK_THREAD_PARK_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herd {

// Keeps one of gRPC's callback threads waiting until released, so that on a small host one
// thread polls and runs every callback of the process.
//
// Why: gRPC 1.51's callback API (the epoll1 engine has no background poller) runs callbacks on a
// pool of threads, two on hosts of up to seven cores, that take turns polling. When the polling
// thread wakes with work, it first hands polling to an idle thread of the pool (a futex wake and
// a context switch) and only then runs the work, so nearly every completion costs a switch. With
// one thread left in the pool there is no one to hand over to.
//
// How: a call that fails at once (it is cancelled before it starts, on a channel that never
// connects) and whose callback waits until Release. A second such call then checks that the pool still runs
// callbacks; if it does not (a pool of one thread), the park is released at once and the
// process runs as without it. A callback run inline on the starting thread is not held.
class CallbackThreadPark {
 public:
  // Parks one thread of the pool. `check_timeout` bounds each of the two waits.
  static std::unique_ptr<CallbackThreadPark> Start(absl::Duration check_timeout = absl::Seconds(5));
  // Whether a process should park one: HERD_PARK_CALLBACK_THREAD=1 always, =0 never; otherwise
  // on hosts of at most two cores, where it was measured (see the README's performance section).
  static bool Wanted();

  // Releases the thread and waits until both calls have returned.
  ~CallbackThreadPark();
  CallbackThreadPark(const CallbackThreadPark&) = delete;
  CallbackThreadPark& operator=(const CallbackThreadPark&) = delete;

  // True while a thread of the pool is held.
  bool parked() const;
  // The held thread (meaningful while parked()).
  std::thread::id parked_thread() const;
  // Lets the held thread go back to the pool.
  void Release();

 private:
  CallbackThreadPark();
  void StartCalls(absl::Duration check_timeout);
  bool HeldOrReturned() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  grpc::ClientContext park_context_, check_context_;
  grpc::ByteBuffer park_request_, park_response_, check_request_, check_response_;

  mutable absl::Mutex mu_;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;  // the park callback is waiting
  std::thread::id held_thread_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool park_returned_ ABSL_GUARDED_BY(mu_) = false;
  bool check_started_ ABSL_GUARDED_BY(mu_) = false;
  bool check_returned_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace herd

#endif  // HERD_SERVICES_CORE_CALLBACK_THREAD_PARK_H_
