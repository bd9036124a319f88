#ifndef HERD_SERVICES_NODE_DURABLE_STORE_H_
#define HERD_SERVICES_NODE_DURABLE_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "herd/v1/stamp.pb.h"
#include "services/node/stamp_store.h"

namespace rocksdb {
class DB;
}

namespace herd {

// A node's stamps on disk (RocksDB): one record per client, its latest stamp. Records are
// written as RocksDB merges resolved by the herd's merge rule, so concurrent writers of one
// client leave the newer stamp whatever order their writes land in.
//
// A write returns once it is in the write-ahead log: handed to the OS (survives the process
// being killed), or also fsynced when `fsync` is set (survives power loss).
class DurableStore {
 public:
  // Opens <dir>, creating it when it does not exist or is empty. The directory remembers the
  // herd and node it belongs to (`identity`); a directory of another herd or node, or one that
  // is not a readable store, is refused with an error saying which and why, never emptied.
  static absl::StatusOr<std::unique_ptr<DurableStore>> Open(const std::string& dir,
                                                            const std::string& identity,
                                                            bool fsync);
  ~DurableStore();

  // The identity a node of `config` stores: the herd's sorted node names and the node's name.
  static std::string Identity(const std::vector<std::string>& node_names, const std::string& node);

  // Merges every stored stamp into `store`; returns how many were read.
  absl::StatusOr<uint64_t> LoadInto(StampStore* store);
  // Writes `stamps` in one batch (one WAL write).
  absl::Status Write(const std::vector<const v1::LocationStamp*>& stamps);

  const std::string& dir() const { return dir_; }

 private:
  DurableStore(std::unique_ptr<rocksdb::DB> db, std::string dir, bool fsync);

  std::unique_ptr<rocksdb::DB> db_;
  const std::string dir_;
  const bool fsync_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_DURABLE_STORE_H_
