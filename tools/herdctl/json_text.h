#ifndef HERD_TOOLS_HERDCTL_JSON_TEXT_H_
#define HERD_TOOLS_HERDCTL_JSON_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"

namespace herd::herdctl {

// `bytes` as a string JSON can carry: unchanged when it is valid UTF-8, otherwise each byte
// read as a Latin-1 code point (client ids and locations are bytes on the wire).
std::string JsonSafeText(absl::string_view bytes);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_JSON_TEXT_H_
