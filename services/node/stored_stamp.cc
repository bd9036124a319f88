#include "services/node/stored_stamp.h"

#include <cstddef>
#include <cstring>
#include <new>

namespace herd {
namespace {

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareText(absl::string_view a, absl::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

const size_t StoredStamp::kFixedBytes = offsetof(StoredStamp, received_nanos_) + sizeof(uint32_t);

void StoredStamp::Free::operator()(StoredStamp* stamp) const {
  stamp->~StoredStamp();
  ::operator delete(static_cast<void*>(stamp));
}

namespace {

// The fields' forms in a record, in order: client id, location, client time, origin.
constexpr TextForm kForms[] = {TextForm::kRaw, TextForm::kNumeral, TextForm::kNumeral,
                               TextForm::kName};

}  // namespace

struct StoredStamp::Plan {
  absl::string_view texts[kTexts];
  TextPlan plans[kTexts];
  size_t bytes = kFixedBytes;  // of the whole record
};

StoredStamp::Plan StoredStamp::PlanRecord(const v1::LocationStamp& stamp) {
  Plan plan;
  plan.texts[0] = stamp.client_id();
  plan.texts[1] = stamp.location_text();
  plan.texts[2] = stamp.client_time_text();
  plan.texts[3] = stamp.origin();
  for (int i = 0; i < kTexts; ++i) {
    plan.plans[i] = PlanText(plan.texts[i], kForms[i]);
    plan.bytes += EncodedTextSize(plan.texts[i], plan.plans[i]);
  }
  return plan;
}

StoredStamp::Ptr StoredStamp::Make(const v1::LocationStamp& stamp, uint64_t key_hash,
                                   uint64_t stamp_hash) {
  const Plan plan = PlanRecord(stamp);
  void* memory = ::operator new(Capacity(plan.bytes));
  StoredStamp* record = new (memory) StoredStamp;
  record->key_hash_low_ = static_cast<uint32_t>(key_hash);
  record->Fill(stamp, plan, stamp_hash);
  return Ptr(record);
}

bool StoredStamp::TryOverwrite(const v1::LocationStamp& stamp, uint64_t stamp_hash) {
  const Plan plan = PlanRecord(stamp);
  if (plan.bytes > Capacity(bytes())) return false;
  Fill(stamp, plan, stamp_hash);
  return true;
}

void StoredStamp::Fill(const v1::LocationStamp& stamp, const Plan& plan, uint64_t stamp_hash) {
  stamp_hash_ = stamp_hash;
  latitude_ = stamp.latitude();
  longitude_ = stamp.longitude();
  client_seconds_ = stamp.client_time().seconds();
  client_nanos_ = stamp.client_time().nanos();
  received_seconds_ = stamp.received_at().seconds();
  received_nanos_ = stamp.received_at().nanos();
  unsigned char* out = texts();
  for (int i = 0; i < kTexts; ++i) out = EncodeText(plan.texts[i], plan.plans[i], out);
}

absl::string_view StoredStamp::Text(int i, NumeralBuffer& buffer) const {
  const unsigned char* in = texts();
  for (; i > 0; --i) SkipText(&in);
  return DecodeText(&in, buffer);
}

// The id is kept raw and the origin raw or as a name: neither view is of the buffer.
absl::string_view StoredStamp::client_id() const {
  NumeralBuffer unused;
  return Text(0, unused);
}

absl::string_view StoredStamp::origin() const {
  NumeralBuffer unused;
  return Text(3, unused);
}

size_t StoredStamp::bytes() const {
  const unsigned char* in = texts();
  for (int i = 0; i < kTexts; ++i) SkipText(&in);
  return static_cast<size_t>(in - reinterpret_cast<const unsigned char*>(this));
}

void StoredStamp::ToProto(v1::LocationStamp* out) const {
  NumeralBuffer location_buffer, time_buffer, unused;
  const unsigned char* in = texts();
  absl::string_view id = DecodeText(&in, unused);
  absl::string_view location = DecodeText(&in, location_buffer);
  absl::string_view time = DecodeText(&in, time_buffer);
  absl::string_view from = DecodeText(&in, unused);
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
  NumeralBuffer buffer;
  if (int c = CompareText(a.location_text(), b.location_text(buffer))) return c;
  if (int c = CompareText(a.client_time_text(), b.client_time_text(buffer))) return c;
  return 0;
}

}  // namespace herd
