#ifndef HERD_SERVICES_NODE_WATCH_HUB_H_
#define HERD_SERVICES_NODE_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "herd/v1/location_service.pb.h"
#include "services/node/stamp_observer.h"
#include "services/node/watch_stream.h"

namespace herd {

// The node's live watches (LocationService.Watch). As an observer of the store it matches every
// stored stamp against the watches and queues ENTER / MOVE / EXIT events on the streams that
// match, in store order. A stream that was idle is kicked: the thread that stored the stamp
// starts its write in AfterStored, once the store's lock is released, so the store's lock is
// never held across a call into gRPC and no other thread has to be woken on a watched stamp's
// way out. With no watch open a stored stamp costs one atomic load. Area watches are found
// through their S2 covering cells (a hash lookup per covering level of the stamp's old and new
// positions), client watches by client id, so many watches stay cheap.
//
// Lock order: store shard lock -> mu_ (shared while matching) -> WatchStream::mu_ (a leaf).
class WatchHub : public StampObserver {
 public:
  struct Options {
    size_t max_watchers = 1024;
    size_t queue_events = 1024;
  };
  static constexpr int kMaxWatchedClients = 1000;

  explicit WatchHub(Options options);
  ~WatchHub() override = default;  // after the server stopped

  // The reactor of a Watch call (one that finishes at once with the reason when the request is
  // invalid or the node serves max_watchers watches already).
  grpc::ServerWriteReactor<v1::WatchEvent>* Open(const v1::WatchRequest& request);

  void OnStored(const StoredStamp* previous, const v1::LocationStamp& stored,
                uint64_t key_hash) override;
  // Starts the writes of the streams this thread's OnStored kicked.
  void AfterStored() override;

  size_t watchers() const { return open_.load(std::memory_order_relaxed); }

 private:
  friend class WatchStream;
  // Area watches are indexed by covering cells of these levels only.
  static constexpr int kMinLevel = 4, kMaxLevel = 16, kLevelMod = 2, kCoveringCells = 8;

  void Remove(WatchStream* stream);
  // Leaves `stream` to this thread's AfterStored, with a reference.
  static void Kick(WatchStream* stream);
  void Match(double latitude, double longitude, std::vector<WatchStream*>* out) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const Options options_;
  std::atomic<size_t> open_{0};

  mutable absl::Mutex mu_;
  size_t registered_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::vector<WatchStream*>> by_client_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::vector<WatchStream*>> by_cell_ ABSL_GUARDED_BY(mu_);
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_WATCH_HUB_H_
