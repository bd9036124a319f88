#include "services/node/watch_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "services/node/watch_hub.h"

namespace herd {

WatchStream::WatchStream(WatchHub* hub, std::optional<ClientArea> area,
                         std::vector<std::string> client_ids, size_t queue_limit)
    : hub_(hub),
      area_(std::move(area)),
      client_ids_(std::move(client_ids)),
      queue_limit_(queue_limit) {}

bool WatchStream::Push(v1::WatchEvent::Type type, const v1::LocationStamp* stamp) {
  absl::MutexLock lock(&mu_);
  if (finished_ || finish_ || broken_) return false;
  if (queue_.size() >= queue_limit_) {
    // Cut: the client does not read as fast as stamps are stored here.
    queue_.clear();
    queue_.shrink_to_fit();
    finish_ = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                           absl::StrCat("watcher fell behind: more than ", queue_limit_,
                                        " events waiting to be sent"));
    return true;
  }
  v1::WatchEvent& event = queue_.emplace_back();
  event.set_type(type);
  if (stamp != nullptr) *event.mutable_stamp() = *stamp;
  return !writing_;
}

void WatchStream::Deliver() {
  mu_.Lock();
  for (;;) {
    // The thread starting a write rechecks when StartWrite returned: no Finish may overtake it.
    if (starting_write_) break;
    if (finish_ && !finished_) {
      // Finish does not wait for a write in flight: a client that stopped reading must not hold
      // the stream open.
      grpc::Status status = *std::move(finish_);
      finish_.reset();
      finished_ = true;
      mu_.Unlock();
      Finish(std::move(status));
      return;
    }
    if (writing_ || finished_ || broken_ || queue_.empty()) break;
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    starting_write_ = true;
    mu_.Unlock();
    StartWrite(&in_flight_);
    mu_.Lock();
    starting_write_ = false;
  }
  mu_.Unlock();
}

void WatchStream::OnWriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok && !broken_) {
      // The client is gone or the call was cancelled: end the stream so OnDone comes.
      broken_ = true;
      queue_.clear();
      if (!finished_ && !finish_) finish_ = grpc::Status::CANCELLED;
    }
  }
  Deliver();
}

void WatchStream::OnCancel() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || finish_) return;
    queue_.clear();
    finish_ = grpc::Status::CANCELLED;
  }
  Deliver();
}

void WatchStream::OnDone() {
  hub_->Remove(this);
  Unref();
}

}  // namespace herd
