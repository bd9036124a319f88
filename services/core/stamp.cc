#include "services/core/stamp.h"

#include "absl/strings/str_cat.h"
#include "services/core/iso6709.h"

namespace herd {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

template <typename T>
int Compare(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

absl::Status ValidateClientId(absl::string_view client_id) {
  if (client_id.empty()) return absl::InvalidArgumentError("client_id is empty");
  if (client_id.size() > kMaxClientIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_id is longer than ", kMaxClientIdBytes, " bytes"));
  }
  for (char c : client_id) {
    if (IsSpace(c)) return absl::InvalidArgumentError("client_id contains white space");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::LocationStamp> MakeStamp(absl::string_view client_id, absl::string_view location,
                                            absl::string_view client_time, absl::string_view origin,
                                            const Instant& received_at) {
  v1::LocationStamp stamp;
  if (absl::Status s = MakeStampInto(client_id, location, client_time, origin, received_at, &stamp);
      !s.ok()) {
    return s;
  }
  return stamp;
}

absl::Status MakeStampInto(absl::string_view client_id, absl::string_view location,
                           absl::string_view client_time, absl::string_view origin,
                           const Instant& received_at, v1::LocationStamp* out) {
  if (absl::Status s = ValidateClientId(client_id); !s.ok()) return s;
  absl::StatusOr<GeoPoint> point = ParseIso6709(location);
  if (!point.ok()) return point.status();
  absl::StatusOr<Instant> time = ParseClientTime(client_time);
  if (!time.ok()) return time.status();

  out->set_client_id(client_id.data(), client_id.size());
  out->set_location_text(location.data(), location.size());
  out->set_latitude(point->latitude);
  out->set_longitude(point->longitude);
  out->set_client_time_text(client_time.data(), client_time.size());
  ToProto(*time, out->mutable_client_time());
  out->set_origin(origin.data(), origin.size());
  ToProto(received_at, out->mutable_received_at());
  return absl::OkStatus();
}

std::string FormatAtLine(const v1::LocationStamp& stamp) {
  std::string line;
  AppendAtLine(stamp, &line);
  return line;
}

void AppendAtLine(const v1::LocationStamp& stamp, std::string* out, absl::string_view end) {
  absl::StrAppend(out, "AT ", stamp.origin(), " ",
                  FormatTimeDiff(FromProto(stamp.received_at()), FromProto(stamp.client_time())),
                  " ", stamp.client_id(), " ", stamp.location_text(), " ", stamp.client_time_text(),
                  end);
}

int CompareStamps(const v1::LocationStamp& a, const v1::LocationStamp& b) {
  if (int c = Compare(FromProto(a.client_time()), FromProto(b.client_time()))) return c;
  if (int c = a.origin().compare(b.origin())) return c < 0 ? -1 : 1;
  if (int c = Compare(FromProto(a.received_at()), FromProto(b.received_at()))) return c;
  if (int c = a.location_text().compare(b.location_text())) return c < 0 ? -1 : 1;
  if (int c = a.client_time_text().compare(b.client_time_text())) return c < 0 ? -1 : 1;
  return 0;
}

}  // namespace herd
