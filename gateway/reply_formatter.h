#ifndef HERD_GATEWAY_REPLY_FORMATTER_H_
#define HERD_GATEWAY_REPLY_FORMATTER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"

namespace herd::gateway {

// Pure formatting of every reply the gateway writes; each result includes its terminator.

// "AT <origin> <diff> <client> <location> <time>\n".
std::string FormatIamatReply(const v1::LocationStamp& stamp);

// The AT line, "\n", the places JSON with runs of newlines collapsed and no leading or trailing
// newline, then "\n\n" (the empty line ends the reply for clients that read to a blank line).
std::string FormatWhatsatReply(const v1::LocationStamp& stamp, absl::string_view places_json);

// "? <line exactly as received, without its terminator>\n".
std::string FormatInvalidReply(absl::string_view line);

// `json` without empty lines: runs of "\n" become one, leading and trailing "\n" are dropped.
std::string CollapseNewlines(absl::string_view json);
// The same, appended to `out`.
void AppendCollapsedNewlines(absl::string_view json, std::string* out);
// Whether CollapseNewlines(json) would not be empty (without building it).
bool HasTextBesidesNewlines(absl::string_view json);

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_REPLY_FORMATTER_H_
