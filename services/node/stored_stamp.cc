#include "services/node/stored_stamp.h"

#include <cstring>
#include <new>

namespace herd {
namespace {

size_t VarintSize(size_t n) {
  size_t size = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++size;
  }
  return size;
}

unsigned char* PutVarint(size_t n, unsigned char* out) {
  while (n >= 0x80) {
    *out++ = static_cast<unsigned char>(n | 0x80);
    n >>= 7;
  }
  *out++ = static_cast<unsigned char>(n);
  return out;
}

const unsigned char* GetVarint(const unsigned char* in, size_t* n) {
  size_t value = 0;
  int shift = 0;
  while (*in & 0x80) {
    value |= static_cast<size_t>(*in++ & 0x7f) << shift;
    shift += 7;
  }
  *n = value | (static_cast<size_t>(*in++) << shift);
  return in;
}

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareText(absl::string_view a, absl::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

void StoredStamp::Free::operator()(StoredStamp* stamp) const {
  stamp->~StoredStamp();
  ::operator delete(static_cast<void*>(stamp));
}

namespace {

// The bytes of the record of `stamp`: the fixed fields, then each text after its length.
size_t RecordBytes(const v1::LocationStamp& stamp) {
  size_t size = sizeof(StoredStamp);
  for (absl::string_view text :
       {stamp.client_id(), stamp.location_text(), stamp.client_time_text(), stamp.origin()}) {
    size += VarintSize(text.size()) + text.size();
  }
  return size;
}

}  // namespace

StoredStamp::Ptr StoredStamp::Make(const v1::LocationStamp& stamp, uint64_t key_hash,
                                   uint64_t stamp_hash) {
  void* memory = ::operator new(Capacity(RecordBytes(stamp)));
  StoredStamp* record = new (memory) StoredStamp;
  record->key_hash_ = key_hash;
  record->Fill(stamp, stamp_hash);
  return Ptr(record);
}

bool StoredStamp::TryOverwrite(const v1::LocationStamp& stamp, uint64_t stamp_hash) {
  if (RecordBytes(stamp) > Capacity(bytes())) return false;
  Fill(stamp, stamp_hash);
  return true;
}

void StoredStamp::Fill(const v1::LocationStamp& stamp, uint64_t stamp_hash) {
  stamp_hash_ = stamp_hash;
  latitude_ = stamp.latitude();
  longitude_ = stamp.longitude();
  client_seconds_ = stamp.client_time().seconds();
  client_nanos_ = stamp.client_time().nanos();
  received_seconds_ = stamp.received_at().seconds();
  received_nanos_ = stamp.received_at().nanos();
  unsigned char* out = reinterpret_cast<unsigned char*>(this + 1);
  for (absl::string_view text :
       {stamp.client_id(), stamp.location_text(), stamp.client_time_text(), stamp.origin()}) {
    out = PutVarint(text.size(), out);
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    out += text.size();
  }
}

absl::string_view StoredStamp::Text(int i) const {
  const unsigned char* in = texts();
  size_t size;
  for (;;) {
    in = GetVarint(in, &size);
    if (i-- == 0) return absl::string_view(reinterpret_cast<const char*>(in), size);
    in += size;
  }
}

size_t StoredStamp::bytes() const {
  const unsigned char* in = texts();
  for (int i = 0; i < kTexts; ++i) {
    size_t size;
    in = GetVarint(in, &size);
    in += size;
  }
  return static_cast<size_t>(in - reinterpret_cast<const unsigned char*>(this));
}

void StoredStamp::ToProto(v1::LocationStamp* out) const {
  absl::string_view id = client_id(), location = location_text(), time = client_time_text(),
                    from = origin();
  out->set_client_id(id.data(), id.size());
  out->set_location_text(location.data(), location.size());
  out->set_latitude(latitude_);
  out->set_longitude(longitude_);
  out->set_client_time_text(time.data(), time.size());
  herd::ToProto(client_time(), out->mutable_client_time());
  out->set_origin(from.data(), from.size());
  herd::ToProto(received_at(), out->mutable_received_at());
}

v1::LocationStamp StoredStamp::ToProto() const {
  v1::LocationStamp stamp;
  ToProto(&stamp);
  return stamp;
}

int CompareStamps(const v1::LocationStamp& a, const StoredStamp& b) {
  if (int c = Compare(FromProto(a.client_time()), b.client_time())) return c;
  if (int c = CompareText(a.origin(), b.origin())) return c;
  if (int c = Compare(FromProto(a.received_at()), b.received_at())) return c;
  if (int c = CompareText(a.location_text(), b.location_text())) return c;
  if (int c = CompareText(a.client_time_text(), b.client_time_text())) return c;
  return 0;
}

}  // namespace herd
