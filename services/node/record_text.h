#ifndef HERD_SERVICES_NODE_RECORD_TEXT_H_
#define HERD_SERVICES_NODE_RECORD_TEXT_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace herd {

// How a StoredStamp keeps one of its texts, in as few bytes as gives the text back exactly.
// Each text is a header, a base-128 varint of (value << 2 | form), then its bytes:
//   kRaw      value = length, then the bytes as they are;
//   kNumeral  value = length, then two characters per byte: a text made only of digits, '+',
//             '-' and '.' (a location such as "+34.068930-118.445127", a time such as
//             "1520023934.918963997") of at most kMaxNumeral characters;
//   kName     value = index in the process's NameTable, no bytes: a node name (a stamp's origin).
// A text that cannot take the form asked for is kept raw. Decoding never reads past the text.
enum class TextForm { kRaw = 0, kNumeral = 1, kName = 2 };

// The longest numeral kept two characters per byte: the buffer DecodeText needs.
constexpr size_t kMaxNumeral = 64;
using NumeralBuffer = char[kMaxNumeral];

// How one text is to be kept: the form it can take of the one asked for, and its header.
// Planned once per text; the size and the encoding follow the plan.
struct TextPlan {
  TextForm form = TextForm::kRaw;
  size_t header = 0;  // (length, or index for a name) << 2 | form
};
// Plans `text` in `form` if it can take it, else raw. A name is added to the NameTable here.
TextPlan PlanText(absl::string_view text, TextForm form);
// Bytes EncodeText writes for `text` planned as `plan`.
size_t EncodedTextSize(absl::string_view text, const TextPlan& plan);
// Writes `text` at `out` as planned; returns the byte after it.
unsigned char* EncodeText(absl::string_view text, const TextPlan& plan, unsigned char* out);
// Reads the text at `*in` and moves `*in` past it. The view is of the record (raw), of the
// NameTable (names, which live as long as the process) or of `buffer` (numerals).
absl::string_view DecodeText(const unsigned char** in, NumeralBuffer& buffer);
// Moves `*in` past the text at it without decoding it.
void SkipText(const unsigned char** in);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_RECORD_TEXT_H_
