#ifndef HERD_SERVICES_NODE_STAMP_OBSERVER_H_
#define HERD_SERVICES_NODE_STAMP_OBSERVER_H_

#include <cstdint>

#include "herd/v1/stamp.pb.h"
#include "services/node/stored_stamp.h"

namespace herd {

// Told of every stamp the StampStore stores, whatever its source (client report, flood,
// catch-up, durable store load). Called under the store's shard lock of that client, so the
// calls for one client come in store order and never overlap; an observer takes only leaf
// locks of its own and never calls back into the store or into gRPC.
class StampObserver {
 public:
  virtual ~StampObserver() = default;
  // `previous` is the client's stamp before this one, or null when the store had none.
  virtual void OnStored(const StoredStamp* previous, const v1::LocationStamp& stored,
                        uint64_t key_hash) = 0;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_OBSERVER_H_
