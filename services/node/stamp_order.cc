#include "services/node/stamp_order.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdint>

#include "herd/v1/stamp.pb.h"

namespace herd {
namespace {

using google::protobuf::io::CodedInputStream;
using WireType = google::protobuf::internal::WireFormatLite::WireType;
using google::protobuf::internal::WireFormatLite;

// The field numbers, as protoc generated them from proto/herd/v1/stamp.proto.
constexpr uint32_t kClientId = v1::LocationStamp::kClientIdFieldNumber;
constexpr uint32_t kLocationText = v1::LocationStamp::kLocationTextFieldNumber;
constexpr uint32_t kLatitude = v1::LocationStamp::kLatitudeFieldNumber;
constexpr uint32_t kLongitude = v1::LocationStamp::kLongitudeFieldNumber;
constexpr uint32_t kClientTimeText = v1::LocationStamp::kClientTimeTextFieldNumber;
constexpr uint32_t kClientTime = v1::LocationStamp::kClientTimeFieldNumber;
constexpr uint32_t kOrigin = v1::LocationStamp::kOriginFieldNumber;
constexpr uint32_t kReceivedAt = v1::LocationStamp::kReceivedAtFieldNumber;
constexpr uint32_t kSeconds = v1::ExactTime::kSecondsFieldNumber;
constexpr uint32_t kNanos = v1::ExactTime::kNanosFieldNumber;
// ReadStampOrder keeps a bit per field number in a 32-bit mask.
static_assert(kClientId >= 1 && kReceivedAt < 32);

bool ReadView(CodedInputStream* in, absl::string_view* out) {
  uint32_t size = 0;
  if (!in->ReadVarint32(&size)) return false;
  const void* data = nullptr;
  int available = 0;
  // Array-backed: everything left is one direct buffer.
  if (!in->GetDirectBufferPointer(&data, &available) && size != 0) return false;
  if (static_cast<uint32_t>(available) < size) return false;
  *out = absl::string_view(static_cast<const char*>(data), size);
  return in->Skip(static_cast<int>(size));
}

bool ReadExactTime(CodedInputStream* in, Instant* out) {
  uint32_t size = 0;
  if (!in->ReadVarint32(&size) || size > static_cast<uint32_t>(in->BytesUntilLimit())) {
    return false;
  }
  const CodedInputStream::Limit limit = in->PushLimit(static_cast<int>(size));
  bool seen_seconds = false, seen_nanos = false;
  while (in->BytesUntilLimit() > 0) {
    const uint32_t tag = in->ReadTag();
    const uint32_t field = WireFormatLite::GetTagFieldNumber(tag);
    if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_VARINT) return false;
    if (field == kSeconds && !seen_seconds) {
      uint64_t seconds = 0;
      if (!in->ReadVarint64(&seconds)) return false;
      out->seconds = static_cast<int64_t>(seconds);
      seen_seconds = true;
    } else if (field == kNanos && !seen_nanos) {
      if (!in->ReadVarint32(&out->nanos)) return false;
      seen_nanos = true;
    } else {
      return false;
    }
  }
  in->PopLimit(limit);
  return true;
}

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

}  // namespace

std::optional<StampOrder> ReadStampOrder(absl::string_view serialized) {
  if (serialized.size() > static_cast<size_t>(INT32_MAX)) return std::nullopt;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(serialized.data()),
                      static_cast<int>(serialized.size()));
  StampOrder order;
  uint32_t seen = 0;
  while (in.CurrentPosition() < static_cast<int>(serialized.size())) {
    // A malformed or zero tag reads as field 0, which is refused below.
    const uint32_t tag = in.ReadTag();
    const uint32_t field = WireFormatLite::GetTagFieldNumber(tag);
    const WireType type = WireFormatLite::GetTagWireType(tag);
    if (field < kClientId || field > kReceivedAt || (seen & (1u << field)) != 0)
      return std::nullopt;
    seen |= 1u << field;
    const bool fixed64 = field == kLatitude || field == kLongitude;
    if (type !=
        (fixed64 ? WireFormatLite::WIRETYPE_FIXED64 : WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      return std::nullopt;
    }
    bool ok = true;
    absl::string_view ignored;
    uint64_t ignored_bits = 0;
    switch (field) {
      case kClientId:
        ok = ReadView(&in, &ignored);
        break;
      case kLatitude:
      case kLongitude:
        ok = in.ReadLittleEndian64(&ignored_bits);
        break;
      case kLocationText:
        ok = ReadView(&in, &order.location_text);
        break;
      case kClientTimeText:
        ok = ReadView(&in, &order.client_time_text);
        break;
      case kClientTime:
        ok = ReadExactTime(&in, &order.client_time);
        break;
      case kOrigin:
        ok = ReadView(&in, &order.origin);
        // A string field: the parser refuses invalid UTF-8. ASCII is valid; others go to it.
        for (char c : order.origin) ok = ok && static_cast<unsigned char>(c) < 0x80;
        break;
      case kReceivedAt:
        ok = ReadExactTime(&in, &order.received_at);
        break;
    }
    if (!ok) return std::nullopt;
  }
  return order;
}

int CompareStampOrder(const StampOrder& a, const StampOrder& b) {
  if (int c = Compare(a.client_time, b.client_time)) return c;
  if (int c = Sign(a.origin.compare(b.origin))) return c;
  if (int c = Compare(a.received_at, b.received_at)) return c;
  if (int c = Sign(a.location_text.compare(b.location_text))) return c;
  return Sign(a.client_time_text.compare(b.client_time_text));
}

}  // namespace herd
