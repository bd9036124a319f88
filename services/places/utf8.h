#ifndef HERD_SERVICES_PLACES_UTF8_H_
#define HERD_SERVICES_PLACES_UTF8_H_

#include "absl/strings/string_view.h"

namespace herd::places {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Protobuf string fields and JSON clients both require it.
bool IsValidUtf8(absl::string_view text);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_UTF8_H_
