#ifndef HERD_SERVICES_CORE_EXACT_TIME_H_
#define HERD_SERVICES_CORE_EXACT_TIME_H_

#include <cstdint>
#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"

namespace herd {

// An exact instant: seconds since the POSIX epoch, floored, plus nanoseconds in [0, 1e9).
struct Instant {
  int64_t seconds = 0;
  uint32_t nanos = 0;

  friend bool operator==(const Instant& a, const Instant& b) {
    return a.seconds == b.seconds && a.nanos == b.nanos;
  }
  friend bool operator!=(const Instant& a, const Instant& b) { return !(a == b); }
  friend bool operator<(const Instant& a, const Instant& b) {
    return std::tie(a.seconds, a.nanos) < std::tie(b.seconds, b.nanos);
  }
};

// Parses POSIX seconds with an optional sign and fraction: "1520023934.918963997", "-5", "7.".
// No exponents, no inf/nan, no white space. Digits past the ninth decimal are truncated toward
// negative infinity so the value stays exact to the nanosecond.
absl::StatusOr<Instant> ParseClientTime(absl::string_view text);

// The current wall-clock time.
Instant Now();

// `later - earlier`, always signed, exactly nine decimals: "+0.263873386", "-3.000000001".
std::string FormatTimeDiff(const Instant& later, const Instant& earlier);

Instant FromProto(const v1::ExactTime& t);
void ToProto(const Instant& t, v1::ExactTime* out);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_EXACT_TIME_H_
