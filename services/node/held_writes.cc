#include "services/node/held_writes.h"

#include "absl/time/clock.h"
#include "services/node/link_endpoint.h"

namespace herd {

HeldWrites::HeldWrites() : thread_([this] { Loop(); }) {}

void HeldWrites::Add(LinkEndpoint* endpoint, absl::Time due) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopped_) {
      // A thread waiting for an earlier hold wakes for it, and then sees this one.
      if (pending_.empty()) wake_.Signal();
      pending_.emplace_back(due, endpoint);
      return;
    }
  }
  endpoint->EndHold(/*write=*/false);
}

void HeldWrites::Stop() {
  std::deque<std::pair<absl::Time, LinkEndpoint*>> left;
  {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
    left.swap(pending_);
    wake_.Signal();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& [due, endpoint] : left) endpoint->EndHold(/*write=*/false);
}

void HeldWrites::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopped_) {
    if (pending_.empty()) {
      wake_.Wait(&mu_);
      continue;
    }
    const absl::Time due = pending_.front().first;
    if (absl::Now() < due) {
      wake_.WaitWithDeadline(&mu_, due);
      continue;
    }
    LinkEndpoint* endpoint = pending_.front().second;
    pending_.pop_front();
    // EndHold takes the endpoint's lock and may start a write: not under mu_.
    mu_.Unlock();
    endpoint->EndHold(/*write=*/true);
    mu_.Lock();
  }
}

}  // namespace herd
