#include "gateway/reply_formatter.h"

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd::gateway {

std::string FormatIamatReply(const v1::LocationStamp& stamp) {
  std::string reply;
  AppendAtLine(stamp, &reply, "\n");  // one allocation, where a line and then a reply took two
  return reply;
}

std::string CollapseNewlines(absl::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    // A newline is kept only between two pieces of text: never first, never doubled.
    if (c == '\n' && (out.empty() || out.back() == '\n')) continue;
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string FormatWhatsatReply(const v1::LocationStamp& stamp, absl::string_view places_json) {
  return absl::StrCat(FormatAtLine(stamp), "\n", CollapseNewlines(places_json), "\n\n");
}

std::string FormatInvalidReply(absl::string_view line) { return absl::StrCat("? ", line, "\n"); }

}  // namespace herd::gateway
