#include "gateway/command_parser.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "services/core/exact_time.h"
#include "services/core/iso6709.h"
#include "services/core/stamp.h"

namespace herd::gateway {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

absl::string_view StripLeadingZeros(absl::string_view s) {
  while (!s.empty() && s[0] == '0') s.remove_prefix(1);
  return s;
}

Command Invalid() { return Command{}; }

}  // namespace

bool IsProtocolSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::vector<absl::string_view> SplitFields(absl::string_view line) {
  std::vector<absl::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsProtocolSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsProtocolSpace(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool ParseRadiusKm(absl::string_view text, double* radius_km) {
  absl::string_view rest = text;
  if (!rest.empty() && rest[0] == '+') rest.remove_prefix(1);
  size_t dot = rest.find('.');
  absl::string_view whole = rest.substr(0, dot);
  absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : rest.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return false;
  if (!AllDigits(whole) || !AllDigits(fraction)) return false;
  // Compare with the bounds on the digits themselves, so "50.0000000000000001" is out of range
  // even though it rounds to 50.0 as a double.
  absl::string_view significant = StripLeadingZeros(whole);
  bool fraction_is_zero = fraction.find_first_not_of('0') == absl::string_view::npos;
  if (significant.empty() && fraction_is_zero) return false;  // not positive
  if (significant.size() > 2) return false;
  int whole_value = significant.empty() ? 0 : std::atoi(std::string(significant).c_str());
  if (whole_value > kMaxRadiusKm || (whole_value == kMaxRadiusKm && !fraction_is_zero)) {
    return false;
  }
  *radius_km = std::strtod(std::string(rest).c_str(), nullptr);
  return true;
}

bool ParseResultCount(absl::string_view text, uint32_t* count) {
  absl::string_view rest = text;
  if (!rest.empty() && rest[0] == '+') rest.remove_prefix(1);
  if (rest.empty() || !AllDigits(rest)) return false;
  absl::string_view significant = StripLeadingZeros(rest);
  if (significant.empty() || significant.size() > 2) return false;
  uint32_t value = static_cast<uint32_t>(std::atoi(std::string(significant).c_str()));
  if (value < 1 || value > kMaxResults) return false;
  *count = value;
  return true;
}

Command ParseCommand(absl::string_view line) {
  std::vector<absl::string_view> fields = SplitFields(line);
  if (fields.empty()) {
    Command blank;
    blank.kind = Command::Kind::kBlank;
    return blank;
  }
  if (fields.size() != 4) return Invalid();
  Command command;
  command.client_id = fields[1];
  if (!ValidateClientId(command.client_id).ok()) return Invalid();
  if (fields[0] == "IAMAT") {
    if (!ParseIso6709(fields[2]).ok() || !ParseClientTime(fields[3]).ok()) return Invalid();
    command.kind = Command::Kind::kIamat;
    command.location = fields[2];
    command.client_time = fields[3];
    return command;
  }
  if (fields[0] == "WHATSAT") {
    if (!ParseRadiusKm(fields[2], &command.radius_km) ||
        !ParseResultCount(fields[3], &command.max_results)) {
      return Invalid();
    }
    command.kind = Command::Kind::kWhatsat;
    return command;
  }
  return Invalid();
}

}  // namespace herd::gateway
