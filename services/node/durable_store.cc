#include "services/node/durable_store.h"

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/core/stamp.h"
#include "services/node/flush_priority.h"
#include "services/node/stamp_order.h"

namespace herd {
namespace {

constexpr absl::string_view kStampPrefix = "s/";
constexpr absl::string_view kIdentityKey = "m/identity";

// Resolves concurrent writes of one client by the herd's merge rule: the newer stamp stays.
class NewerStampWins : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* logger) const override {
    if (existing_value == nullptr) {
      new_value->assign(value.data(), value.size());
      return true;
    }
    std::optional<StampOrder> existing_order =
        ReadStampOrder(absl::string_view(existing_value->data(), existing_value->size()));
    std::optional<StampOrder> incoming_order =
        existing_order ? ReadStampOrder(absl::string_view(value.data(), value.size()))
                       : std::nullopt;
    if (existing_order && incoming_order) {
      const rocksdb::Slice& winner =
          CompareStampOrder(*incoming_order, *existing_order) > 0 ? value : *existing_value;
      new_value->assign(winner.data(), winner.size());
      return true;
    }
    v1::LocationStamp existing, incoming;
    bool existing_ok = existing.ParseFromArray(existing_value->data(), existing_value->size());
    bool incoming_ok = incoming.ParseFromArray(value.data(), value.size());
    if (!existing_ok && !incoming_ok) return false;
    bool take_incoming = !existing_ok || (incoming_ok && CompareStamps(incoming, existing) > 0);
    const rocksdb::Slice& winner = take_incoming ? value : *existing_value;
    new_value->assign(winner.data(), winner.size());
    return true;
  }
  const char* Name() const override { return "herd.NewerStampWins"; }
};

absl::Status Refuse(const std::string& dir, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("data directory ", dir, " ", why,
                   "; refusing to use it (move it away or set storage.dataDir elsewhere)"));
}

}  // namespace

std::string DurableStore::Identity(const std::vector<std::string>& node_names,
                                   const std::string& node) {
  std::vector<std::string> sorted = node_names;
  std::sort(sorted.begin(), sorted.end());
  return absl::StrCat("herd [", absl::StrJoin(sorted, ","), "] node ", node);
}

DurableStore::DurableStore(std::unique_ptr<rocksdb::DB> db, std::string dir, bool fsync)
    : db_(std::move(db)), dir_(std::move(dir)), fsync_(fsync) {}

DurableStore::~DurableStore() {
  if (db_) db_->Close();
}

absl::StatusOr<std::unique_ptr<DurableStore>> DurableStore::Open(const std::string& dir,
                                                                 const std::string& identity,
                                                                 bool fsync) {
  namespace fs = std::filesystem;
  std::error_code error;
  bool fresh = !fs::exists(dir, error) || fs::is_empty(dir, error);
  if (fresh) {
    fs::create_directories(dir, error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot create data directory ", dir, ": ", error.message()));
    }
  } else if (!fs::exists(fs::path(dir) / "CURRENT", error)) {
    return Refuse(dir, "is not empty and holds no store (no RocksDB CURRENT file)");
  }

  rocksdb::Options options;
  options.create_if_missing = fresh;
  options.paranoid_checks = true;
  options.merge_operator = std::make_shared<NewerStampWins>();
  options.IncreaseParallelism(2);
  // Flushes at idle priority while they keep up (see FlushPriority for why).
  std::shared_ptr<FlushPriority> flush_priority;
  if (FlushPriority::CanRestoreNormalPriority()) {
    flush_priority = std::make_shared<FlushPriority>();
    options.listeners.push_back(flush_priority);
  }
  // The store is written, not read, while the node runs (stamps are served from memory and read
  // back only at start): an append-only memtable, sorted once when flushed, takes catch-up and
  // report batches several times faster than the default skip list, whose inserts dominated an
  // empty node's catch-up.
  options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  options.allow_concurrent_memtable_write = false;  // not supported by that memtable
  // A refill of a million stamps fills memtables faster than one background thread flushes them:
  // with RocksDB's default of two, writes stalled behind the flush. Up to four memtables absorb
  // such a burst. They are 16 MiB rather than RocksDB's 64: the stamps live in the node's own
  // store, a memtable's worth of them is resident twice until it is flushed, and the allocator
  // keeps a flushed memtable's pages for the next. With 32 MiB memtables, a node's RSS at a
  // million more clients varied by up to 80 bytes per stamp with how many had piled up under
  // load (16 MiB: 125-149 bytes per stamp in five runs, against 149-242). So that L0 to L1
  // compactions still take as many bytes at a time (each rewrites L1, which random client ids
  // all overlap), they wait for eight L0 files instead of four.
  options.write_buffer_size = 16 << 20;
  options.max_write_buffer_number = 4;
  options.level0_file_num_compaction_trigger = 8;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, dir, &raw);
  if (!status.ok()) {
    return Refuse(dir, absl::StrCat("cannot be opened as a store: ", status.ToString()));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  if (flush_priority != nullptr) flush_priority->set_db(db.get());

  std::string stored_identity;
  rocksdb::Slice identity_key(kIdentityKey.data(), kIdentityKey.size());
  if (fresh) {
    rocksdb::WriteOptions sync;
    sync.sync = true;
    status = db->Put(sync, identity_key, identity);
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot write to data directory ", dir, ": ", status.ToString()));
    }
  } else {
    status = db->Get(rocksdb::ReadOptions(), identity_key, &stored_identity);
    if (status.IsNotFound()) return Refuse(dir, "is a RocksDB store but not a herd node's");
    if (!status.ok()) return Refuse(dir, absl::StrCat("is unreadable: ", status.ToString()));
    if (stored_identity != identity) {
      return Refuse(dir, absl::StrCat("belongs to ", stored_identity, ", not to ", identity));
    }
  }
  return std::unique_ptr<DurableStore>(new DurableStore(std::move(db), dir, fsync));
}

absl::StatusOr<uint64_t> DurableStore::LoadInto(StampStore* store) {
  uint64_t loaded = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  v1::LocationStamp stamp;
  for (it->Seek(rocksdb::Slice(kStampPrefix.data(), kStampPrefix.size()));
       it->Valid() &&
       it->key().starts_with(rocksdb::Slice(kStampPrefix.data(), kStampPrefix.size()));
       it->Next()) {
    if (!stamp.ParseFromArray(it->value().data(), it->value().size()) ||
        absl::StrCat(kStampPrefix, stamp.client_id()) != it->key().ToString()) {
      return Refuse(dir_,
                    absl::StrCat("holds a corrupt record (key of ", it->key().size(), " bytes)"));
    }
    store->Merge(stamp);
    ++loaded;
  }
  if (!it->status().ok()) {
    return Refuse(dir_, absl::StrCat("is unreadable: ", it->status().ToString()));
  }
  return loaded;
}

absl::Status DurableStore::Write(const std::vector<const v1::LocationStamp*>& stamps) {
  if (stamps.empty()) return absl::OkStatus();
  // Room for the batch's records up front (a stamp's record is about 100 bytes): growing it
  // copied the batch again and again.
  rocksdb::WriteBatch batch(/*reserved_bytes=*/stamps.size() * 160);
  std::string key(kStampPrefix), value;
  for (const v1::LocationStamp* stamp : stamps) {
    key.resize(kStampPrefix.size());  // reused: no allocation per stamp
    key.append(stamp->client_id());
    stamp->SerializeToString(&value);
    batch.Merge(key, value);
  }
  rocksdb::WriteOptions options;
  options.sync = fsync_;
  rocksdb::Status status = db_->Write(options, &batch);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot write to data directory ", dir_, ": ", status.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace herd
