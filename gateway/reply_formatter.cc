#include "gateway/reply_formatter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/core/stamp.h"

namespace herd::gateway {

std::string FormatIamatReply(const v1::LocationStamp& stamp) {
  std::string reply;
  AppendAtLine(stamp, &reply, "\n");  // one allocation, where a line and then a reply took two
  return reply;
}

void AppendCollapsedNewlines(absl::string_view json, std::string* out) {
  // A newline is kept only between two pieces of text: never first, never doubled. The pieces
  // are copied whole (a places answer is about 7 KB in some 300 lines).
  bool first = true;
  for (absl::string_view piece : absl::StrSplit(json, '\n', absl::SkipEmpty())) {
    if (!first) out->push_back('\n');
    out->append(piece.data(), piece.size());
    first = false;
  }
}

std::string CollapseNewlines(absl::string_view json) {
  std::string out;
  AppendCollapsedNewlines(json, &out);
  return out;
}

bool HasTextBesidesNewlines(absl::string_view json) {
  return json.find_first_not_of('\n') != absl::string_view::npos;
}

std::string FormatWhatsatReply(const v1::LocationStamp& stamp, absl::string_view places_json) {
  std::string reply;
  reply.reserve(128 + places_json.size());
  AppendAtLine(stamp, &reply, "\n");
  AppendCollapsedNewlines(places_json, &reply);
  reply.append("\n\n");
  return reply;
}

std::string FormatInvalidReply(absl::string_view line) { return absl::StrCat("? ", line, "\n"); }

}  // namespace herd::gateway
