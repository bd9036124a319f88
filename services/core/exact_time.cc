#include "services/core/exact_time.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace herd {
namespace {

constexpr int64_t kNanosPerSecond = 1000000000;
// Larger magnitudes are not POSIX times any client can mean, and keep all arithmetic in range.
constexpr int kMaxIntegerDigits = 15;

absl::Status BadTime(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("client_time \"", absl::CEscape(text), "\": ", why));
}

}  // namespace

absl::StatusOr<Instant> ParseClientTime(absl::string_view text) {
  absl::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  int64_t whole = 0;
  int integer_digits = 0;
  while (!rest.empty() && absl::ascii_isdigit(rest[0])) {
    if (++integer_digits > kMaxIntegerDigits) return BadTime(text, "too many digits");
    whole = whole * 10 + (rest[0] - '0');
    rest.remove_prefix(1);
  }
  int64_t nanos = 0;
  int fraction_digits = 0;
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && absl::ascii_isdigit(rest[0])) {
      if (fraction_digits < 9) nanos = nanos * 10 + (rest[0] - '0');
      ++fraction_digits;
      rest.remove_prefix(1);
    }
  }
  if (integer_digits == 0 && fraction_digits == 0) {
    return BadTime(text, "expected POSIX seconds such as 1520023934.918963997");
  }
  if (!rest.empty()) return BadTime(text, "unexpected character");
  for (int i = fraction_digits; i < 9; ++i) nanos *= 10;

  // Any non-zero digit beyond the ninth decimal of a negative number pushes it one ns lower.
  bool negative_remainder = false;
  if (negative && fraction_digits > 9) {
    absl::string_view digits = text.substr(text.find('.') + 1 + 9);
    negative_remainder = digits.find_first_not_of('0') != absl::string_view::npos;
  }
  int64_t total_seconds = whole;
  if (!negative) return Instant{total_seconds, static_cast<uint32_t>(nanos)};
  // -(whole + nanos/1e9) = -(whole + 1) + (1e9 - nanos)/1e9, normalised.
  if (negative_remainder) ++nanos;
  if (nanos == 0) return Instant{-total_seconds, 0};
  if (nanos == kNanosPerSecond) return Instant{-total_seconds - 1, 0};
  return Instant{-total_seconds - 1, static_cast<uint32_t>(kNanosPerSecond - nanos)};
}

Instant Now() {
  absl::Time now = absl::Now();
  int64_t nanos_total = absl::ToUnixNanos(now);
  int64_t seconds = nanos_total / kNanosPerSecond;
  int64_t nanos = nanos_total % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  return Instant{seconds, static_cast<uint32_t>(nanos)};
}

std::string FormatTimeDiff(const Instant& later, const Instant& earlier) {
  __int128 diff = static_cast<__int128>(later.seconds - earlier.seconds) * kNanosPerSecond +
                  (static_cast<int64_t>(later.nanos) - static_cast<int64_t>(earlier.nanos));
  char sign = diff < 0 ? '-' : '+';
  if (diff < 0) diff = -diff;
  auto whole = static_cast<uint64_t>(diff / kNanosPerSecond);
  auto fraction = static_cast<uint32_t>(diff % kNanosPerSecond);
  // On every reply and log line: plain digit formatting rather than a format string.
  char digits[10];
  for (int i = 8; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  digits[9] = '\0';
  return absl::StrCat(absl::string_view(&sign, 1), whole, ".", digits);
}

Instant FromProto(const v1::ExactTime& t) { return Instant{t.seconds(), t.nanos()}; }

void ToProto(const Instant& t, v1::ExactTime* out) {
  out->set_seconds(t.seconds);
  out->set_nanos(t.nanos);
}

}  // namespace herd
