#ifndef HERD_SERVICES_NODE_STORED_STAMP_H_
#define HERD_SERVICES_NODE_STORED_STAMP_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"
#include "services/core/exact_time.h"
#include "services/node/record_text.h"

namespace herd {

// One client's latest stamp as a StampStore keeps it: the fixed-size fields and the four texts
// (client id, location, client time, origin) in a single allocation, 52 bytes plus the texts.
// The texts are kept as EncodeText (record_text.h) writes them: the id as it is, the location and
// the client time two characters per byte, the origin as an index into the process's NameTable. A
// v1::LocationStamp per client costs several times that (a message object, two sub-messages and
// a heap string per text), and a store holds millions of them: a typical record
// ("kiwi.cs.ucla.edu", "+34.068930-118.445127", "1520023934.918963997", "Goloman") takes 93
// bytes, 96 with the allocator's rounding (with the texts as they are and the id's hash, 128).
//
// Changed only under its store shard's lock: a newer stamp for the client is written over the
// whole record when it fits (TryOverwrite), else replaces it.
class StoredStamp {
 public:
  struct Free {
    void operator()(StoredStamp* stamp) const;
  };
  using Ptr = std::unique_ptr<StoredStamp, Free>;

  // `key_hash` and `stamp_hash` are StampStore::KeyHash / StampHash of `stamp`. The stamp hash
  // is kept so that a merge and anti-entropy never recompute it; of the key hash only its low 32
  // bits, first in the record, so that a search can skip a leaf's other clients on the record's
  // first cache line (the rest of the key hash is the leaf, or recomputed where needed: all 64
  // bits took a typical record into the next size class).
  static Ptr Make(const v1::LocationStamp& stamp, uint64_t key_hash, uint64_t stamp_hash);
  // Makes this record `stamp`'s, a newer stamp of the same client, in place when
  // it fits the record's allocation; false (and unchanged) when it does not. Saves a free and an
  // allocation per stored stamp: the new allocation otherwise comes off a free list of records
  // that went cold, a cache miss each.
  bool TryOverwrite(const v1::LocationStamp& stamp, uint64_t stamp_hash);

  StoredStamp(const StoredStamp&) = delete;
  StoredStamp& operator=(const StoredStamp&) = delete;

  // The low 32 bits of the client id's StampStore::KeyHash.
  uint32_t key_hash_low() const { return key_hash_low_; }
  uint64_t stamp_hash() const { return stamp_hash_; }
  double latitude() const { return latitude_; }
  double longitude() const { return longitude_; }
  Instant client_time() const { return {client_seconds_, client_nanos_}; }
  Instant received_at() const { return {received_seconds_, received_nanos_}; }
  absl::string_view client_id() const;
  // The location and the client time as the client wrote them; the view may be of `buffer`.
  absl::string_view location_text(NumeralBuffer& buffer) const { return Text(1, buffer); }
  absl::string_view client_time_text(NumeralBuffer& buffer) const { return Text(2, buffer); }
  absl::string_view origin() const;

  // The stamp as the API carries it; `out` is overwritten.
  void ToProto(v1::LocationStamp* out) const;
  v1::LocationStamp ToProto() const;

  // Bytes this record occupies (before the allocator's rounding).
  size_t bytes() const;
  // Bytes of the fixed fields, which the texts follow.
  static const size_t kFixedBytes;

 private:
  static constexpr int kTexts = 4;
  StoredStamp() = default;
  ~StoredStamp() = default;
  // Text i of client id, location, client time, origin. The texts follow the fixed fields, each
  // as EncodeText wrote it.
  absl::string_view Text(int i, NumeralBuffer& buffer) const;
  // The texts start right after the last field, in what would be the class's tail padding (the
  // record is never copied as an object).
  const unsigned char* texts() const {
    return reinterpret_cast<const unsigned char*>(this) + kFixedBytes;
  }
  unsigned char* texts() { return reinterpret_cast<unsigned char*>(this) + kFixedBytes; }
  // Bytes allocated for a record of `bytes`: rounded up to 16, as the allocator's size classes
  // are at these sizes anyway, so a record knows its room without storing it.
  static size_t Capacity(size_t bytes) { return (bytes + 15) & ~size_t{15}; }
  // Each text's plan and the record's size, worked out once per stamp stored.
  struct Plan;
  static Plan PlanRecord(const v1::LocationStamp& stamp);
  void Fill(const v1::LocationStamp& stamp, const Plan& plan, uint64_t stamp_hash);

  // What a search reads of a record it may skip comes first: the key hash, then the position.
  uint32_t key_hash_low_;
  uint32_t client_nanos_;
  double latitude_;
  double longitude_;
  uint64_t stamp_hash_;
  int64_t client_seconds_;
  int64_t received_seconds_;
  uint32_t received_nanos_;
};

// CompareStamps (services/core/stamp.h) between an incoming stamp and a stored one: the same
// total order, so a store of records picks the same winner as one of messages.
int CompareStamps(const v1::LocationStamp& a, const StoredStamp& b);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STORED_STAMP_H_
