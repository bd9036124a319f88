#ifndef HERD_SERVICES_NODE_STORED_STAMP_H_
#define HERD_SERVICES_NODE_STORED_STAMP_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"
#include "services/core/exact_time.h"

namespace herd {

// One client's latest stamp as a StampStore keeps it: the fixed-size fields and the four texts
// (client id, location, client time, origin) in a single allocation, about 60 bytes plus the
// texts. A v1::LocationStamp per client costs several times that (a message object, two
// sub-messages and a heap string per text), and a store holds millions of them.
//
// Changed only under its store shard's lock: a newer stamp for the client is written over the
// whole record when it fits (TryOverwrite), else replaces it.
class StoredStamp {
 public:
  struct Free {
    void operator()(StoredStamp* stamp) const;
  };
  using Ptr = std::unique_ptr<StoredStamp, Free>;

  // `key_hash` and `stamp_hash` are StampStore::KeyHash / StampHash of `stamp`, kept so that
  // rehashing and anti-entropy never recompute them.
  static Ptr Make(const v1::LocationStamp& stamp, uint64_t key_hash, uint64_t stamp_hash);
  // Makes this record `stamp`'s, a newer stamp of the same client (same key hash), in place when
  // it fits the record's allocation; false (and unchanged) when it does not. Saves a free and an
  // allocation per stored stamp: the new allocation otherwise comes off a free list of records
  // that went cold, a cache miss each.
  bool TryOverwrite(const v1::LocationStamp& stamp, uint64_t stamp_hash);

  StoredStamp(const StoredStamp&) = delete;
  StoredStamp& operator=(const StoredStamp&) = delete;

  uint64_t key_hash() const { return key_hash_; }
  uint64_t stamp_hash() const { return stamp_hash_; }
  double latitude() const { return latitude_; }
  double longitude() const { return longitude_; }
  Instant client_time() const { return {client_seconds_, client_nanos_}; }
  Instant received_at() const { return {received_seconds_, received_nanos_}; }
  absl::string_view client_id() const { return Text(0); }
  absl::string_view location_text() const { return Text(1); }
  absl::string_view client_time_text() const { return Text(2); }
  absl::string_view origin() const { return Text(3); }

  // The stamp as the API carries it; `out` is overwritten.
  void ToProto(v1::LocationStamp* out) const;
  v1::LocationStamp ToProto() const;

  // Bytes this record occupies (before the allocator's rounding).
  size_t bytes() const;

 private:
  static constexpr int kTexts = 4;
  StoredStamp() = default;
  ~StoredStamp() = default;
  // Text i of client id, location, client time, origin. The texts follow the header, each
  // preceded by its length as a base-128 varint (one byte below 128 bytes).
  absl::string_view Text(int i) const;
  const unsigned char* texts() const { return reinterpret_cast<const unsigned char*>(this + 1); }
  // Bytes allocated for a record of `bytes`: rounded up to 16, as the allocator's size classes
  // are at these sizes anyway, so a record knows its room without storing it.
  static size_t Capacity(size_t bytes) { return (bytes + 15) & ~size_t{15}; }
  // Writes every field but the key hash.
  void Fill(const v1::LocationStamp& stamp, uint64_t stamp_hash);

  uint64_t key_hash_;
  uint64_t stamp_hash_;
  double latitude_;
  double longitude_;
  int64_t client_seconds_;
  int64_t received_seconds_;
  uint32_t client_nanos_;
  uint32_t received_nanos_;
};

// CompareStamps (services/core/stamp.h) between an incoming stamp and a stored one: the same
// total order, so a store of records picks the same winner as one of messages.
int CompareStamps(const v1::LocationStamp& a, const StoredStamp& b);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STORED_STAMP_H_
