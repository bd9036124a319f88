#include "services/core/iso6709.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace herd {
namespace {

absl::Status BadLocation(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("location \"", absl::CEscape(text), "\": ", why));
}

// One signed coordinate: sign, integer digits, optional '.' with at least one digit.
struct Component {
  bool negative = false;
  absl::string_view integer;
  absl::string_view fraction;  // without the dot
};

// Reads a component from the front of `rest`; false when it is malformed.
bool ReadComponent(absl::string_view& rest, Component* out) {
  if (rest.empty() || (rest[0] != '+' && rest[0] != '-')) return false;
  out->negative = rest[0] == '-';
  rest.remove_prefix(1);
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
  if (digits == 0) return false;
  out->integer = rest.substr(0, digits);
  rest.remove_prefix(digits);
  out->fraction = absl::string_view();
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    size_t fraction_digits = 0;
    while (fraction_digits < rest.size() && absl::ascii_isdigit(rest[fraction_digits])) {
      ++fraction_digits;
    }
    if (fraction_digits == 0) return false;
    out->fraction = rest.substr(0, fraction_digits);
    rest.remove_prefix(fraction_digits);
  }
  return true;
}

double Digits(absl::string_view digits) {
  double value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// The fraction applies to the last unit written (degrees, minutes or seconds): the double
// nearest to 0.<fraction>. Every node parses every stamp it receives (StampValidator), so the
// common case is a division instead of a string built for SimpleAtod. Both operands are exact
// doubles (up to 15 digits as an integer, below 2^53, and 10^n), so IEEE division rounds the
// quotient correctly: the same double SimpleAtod gives, which the longer fractions still use.
double FractionValue(absl::string_view fraction) {
  if (fraction.empty()) return 0;
  static constexpr double kPowersOfTen[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                            1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  constexpr size_t kExactDigits = 15;  // 10^15 - 1 < 2^53
  if (fraction.size() <= kExactDigits) {
    uint64_t digits = 0;
    for (char c : fraction) digits = digits * 10 + static_cast<uint64_t>(c - '0');
    return static_cast<double>(digits) / kPowersOfTen[fraction.size()];
  }
  double value = 0;
  absl::SimpleAtod(absl::StrCat("0.", fraction), &value);
  return value;
}

// Converts a component to degrees. `degree_digits` is 2 for latitude, 3 for longitude: the
// number of integer digits of the degrees field in the ±DDMM and ±DDMMSS forms.
absl::StatusOr<double> ToDegrees(const Component& c, int degree_digits, absl::string_view text,
                                 absl::string_view what) {
  const size_t n = c.integer.size();
  double degrees;
  if (n <= static_cast<size_t>(degree_digits) + 1) {
    // Decimal degrees (one extra leading zero allowed, e.g. "+034.5" or "-0118.4").
    degrees = Digits(c.integer) + FractionValue(c.fraction);
  } else if (n == static_cast<size_t>(degree_digits) + 2) {
    double minutes = Digits(c.integer.substr(degree_digits)) + FractionValue(c.fraction);
    if (minutes >= 60) return BadLocation(text, absl::StrCat(what, " minutes must be below 60"));
    degrees = Digits(c.integer.substr(0, degree_digits)) + minutes / 60;
  } else if (n == static_cast<size_t>(degree_digits) + 4) {
    double minutes = Digits(c.integer.substr(degree_digits, 2));
    double seconds = Digits(c.integer.substr(degree_digits + 2)) + FractionValue(c.fraction);
    if (minutes >= 60) return BadLocation(text, absl::StrCat(what, " minutes must be below 60"));
    if (seconds >= 60) return BadLocation(text, absl::StrCat(what, " seconds must be below 60"));
    degrees = Digits(c.integer.substr(0, degree_digits)) + minutes / 60 + seconds / 3600;
  } else {
    return BadLocation(text, absl::StrCat(what, " has ", n, " integer digits"));
  }
  return c.negative ? -degrees : degrees;
}

}  // namespace

absl::StatusOr<GeoPoint> ParseIso6709(absl::string_view text) {
  absl::string_view rest = text;
  Component lat, lng;
  if (!ReadComponent(rest, &lat)) {
    return BadLocation(text, "expected a signed latitude such as +34.068930");
  }
  if (!ReadComponent(rest, &lng)) {
    return BadLocation(text, "expected a signed longitude after the latitude, such as -118.445127");
  }
  if (rest == "/") rest.remove_prefix(1);
  if (!rest.empty()) return BadLocation(text, "unexpected characters after the longitude");

  absl::StatusOr<double> latitude = ToDegrees(lat, 2, text, "latitude");
  if (!latitude.ok()) return latitude.status();
  absl::StatusOr<double> longitude = ToDegrees(lng, 3, text, "longitude");
  if (!longitude.ok()) return longitude.status();
  if (std::fabs(*latitude) > 90) return BadLocation(text, "latitude out of range [-90, 90]");
  if (std::fabs(*longitude) > 180) return BadLocation(text, "longitude out of range [-180, 180]");
  return GeoPoint{*latitude, *longitude};
}

}  // namespace herd
