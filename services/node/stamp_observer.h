#ifndef HERD_SERVICES_NODE_STAMP_OBSERVER_H_
#define HERD_SERVICES_NODE_STAMP_OBSERVER_H_

#include <cstdint>

#include "herd/v1/stamp.pb.h"
#include "services/node/stored_stamp.h"

namespace herd {

// Told of every stamp the StampStore stores, whatever its source (client report, flood,
// catch-up, durable store load). OnStored is called under the store's shard lock of that
// client, so the calls for one client come in store order and never overlap; there an observer
// takes only leaf locks of its own and never calls back into the store or into gRPC.
class StampObserver {
 public:
  virtual ~StampObserver() = default;
  // `previous` is the client's stamp before this one, or null when the store had none.
  virtual void OnStored(const StoredStamp* previous, const v1::LocationStamp& stored,
                        uint64_t key_hash) = 0;
  // Called after each OnStored on the same thread, once the store has released its lock (the
  // caller of StampStore::Merge holds no lock either): what OnStored left to do outside the
  // lock, such as starting gRPC writes, is done here.
  virtual void AfterStored() {}
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_OBSERVER_H_
