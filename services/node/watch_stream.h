#ifndef HERD_SERVICES_NODE_WATCH_STREAM_H_
#define HERD_SERVICES_NODE_WATCH_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "herd/v1/location_service.pb.h"
#include "services/node/client_area.h"

namespace herd {

class WatchHub;

// One Watch call: what it watches and its outbound queue, written with one write in flight.
// The hub pushes events (from the store path) and kicks the stream once the store's lock is
// released, which starts writes; OnWriteDone starts the next. A queue that would pass its limit is
// dropped and the stream finished with RESOURCE_EXHAUSTED.
//
// Reference counted: gRPC holds one reference until OnDone, the hub one per pending kick.
class WatchStream : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  // Exactly one of `area` and `client_ids` is set.
  WatchStream(WatchHub* hub, std::optional<ClientArea> area, std::vector<std::string> client_ids,
              size_t queue_limit);

  const std::optional<ClientArea>& area() const { return area_; }
  const std::vector<std::string>& client_ids() const { return client_ids_; }

  // Queues an event; true when the stream needs Deliver() (it was idle, or it must be cut).
  bool Push(v1::WatchEvent::Type type, const v1::LocationStamp* stamp);
  // Starts the next write or the finish, if due. Never called with a lock held.
  void Deliver();

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  ~WatchStream() override = default;

  WatchHub* const hub_;
  const std::optional<ClientArea> area_;
  const std::vector<std::string> client_ids_;
  const size_t queue_limit_;
  std::atomic<int> refs_{1};

  absl::Mutex mu_;
  std::deque<v1::WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  v1::WatchEvent in_flight_;  // written by gRPC while writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool starting_write_ ABSL_GUARDED_BY(mu_) = false;  // between writing_ = true and StartWrite
  bool broken_ ABSL_GUARDED_BY(mu_) = false;          // a write failed: the client is gone
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);  // due, not yet called
  bool finished_ ABSL_GUARDED_BY(mu_) = false;               // Finish called
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_WATCH_STREAM_H_
