#ifndef HERD_SERVICES_NODE_HELD_WRITES_H_
#define HERD_SERVICES_NODE_HELD_WRITES_H_

#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herd {

class LinkEndpoint;

// Ends the holds of link writes (LinkEndpoint::StartQueuedWriteAfter, FloodConfig.client_hold_us)
// when they are due, on a thread of its own. gRPC's alarms could, but they keep whole
// milliseconds: a 1 ms hold ended 1-2 ms later, and propagation's median grew by 1.5 ms.
// Holds are ended in the order they were added; every hold is added with the same length, so that
// is the order they fall due.
class HeldWrites {
 public:
  HeldWrites();
  ~HeldWrites() { Stop(); }
  HeldWrites(const HeldWrites&) = delete;
  HeldWrites& operator=(const HeldWrites&) = delete;

  // Ends `endpoint`'s hold at `due` (LinkEndpoint::EndHold(true)), or at once without a write
  // once stopped. Takes over a reference to `endpoint`, which EndHold drops.
  void Add(LinkEndpoint* endpoint, absl::Time due) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends every pending hold without a write, and the thread. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  absl::CondVar wake_;
  std::deque<std::pair<absl::Time, LinkEndpoint*>> pending_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_HELD_WRITES_H_
