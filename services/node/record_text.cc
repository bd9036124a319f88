#include "services/node/record_text.h"

#include <cstring>
#include <optional>

#include "services/node/name_table.h"

namespace herd {
namespace {

constexpr int kFormBits = 2;
constexpr size_t kFormMask = (size_t{1} << kFormBits) - 1;

size_t VarintSize(size_t n) {
  size_t size = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++size;
  }
  return size;
}

unsigned char* PutVarint(size_t n, unsigned char* out) {
  while (n >= 0x80) {
    *out++ = static_cast<unsigned char>(n | 0x80);
    n >>= 7;
  }
  *out++ = static_cast<unsigned char>(n);
  return out;
}

size_t GetVarint(const unsigned char** in) {
  const unsigned char* p = *in;
  size_t value = 0;
  int shift = 0;
  while (*p & 0x80) {
    value |= static_cast<size_t>(*p++ & 0x7f) << shift;
    shift += 7;
  }
  value |= static_cast<size_t>(*p++) << shift;
  *in = p;
  return value;
}

// A numeral's characters as 4-bit codes; 0xf pads an odd length.
constexpr char kNumeralChars[] = "0123456789+-.";
constexpr unsigned char kNoCode = 0xff;

unsigned char NumeralCode(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned char>(c - '0');
  switch (c) {
    case '+':
      return 10;
    case '-':
      return 11;
    case '.':
      return 12;
    default:
      return kNoCode;
  }
}

bool IsNumeral(absl::string_view text) {
  if (text.size() > kMaxNumeral) return false;
  for (char c : text) {
    if (NumeralCode(c) == kNoCode) return false;
  }
  return true;
}

size_t Header(size_t value, TextForm form) {
  return value << kFormBits | static_cast<size_t>(form);
}

}  // namespace

TextPlan PlanText(absl::string_view text, TextForm form) {
  if (form == TextForm::kNumeral && IsNumeral(text)) {
    return {TextForm::kNumeral, Header(text.size(), TextForm::kNumeral)};
  }
  if (form == TextForm::kName) {
    if (std::optional<int> index = NameTable::Process().Intern(text)) {
      return {TextForm::kName, Header(static_cast<size_t>(*index), TextForm::kName)};
    }
  }
  return {TextForm::kRaw, Header(text.size(), TextForm::kRaw)};
}

size_t EncodedTextSize(absl::string_view text, const TextPlan& plan) {
  switch (plan.form) {
    case TextForm::kNumeral:
      return VarintSize(plan.header) + (text.size() + 1) / 2;
    case TextForm::kName:
      return VarintSize(plan.header);
    case TextForm::kRaw:
      break;
  }
  return VarintSize(plan.header) + text.size();
}

unsigned char* EncodeText(absl::string_view text, const TextPlan& plan, unsigned char* out) {
  out = PutVarint(plan.header, out);
  switch (plan.form) {
    case TextForm::kNumeral:
      for (size_t i = 0; i < text.size(); i += 2) {
        const unsigned char low = i + 1 < text.size() ? NumeralCode(text[i + 1]) : 0xf;
        *out++ = static_cast<unsigned char>(NumeralCode(text[i]) << 4 | low);
      }
      return out;
    case TextForm::kName:
      return out;
    case TextForm::kRaw:
      break;
  }
  if (!text.empty()) std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

absl::string_view DecodeText(const unsigned char** in, NumeralBuffer& buffer) {
  const size_t header = GetVarint(in);
  const size_t value = header >> kFormBits;
  switch (static_cast<TextForm>(header & kFormMask)) {
    case TextForm::kNumeral: {
      const unsigned char* p = *in;
      for (size_t i = 0; i < value; ++i) {
        const unsigned char byte = p[i / 2];
        buffer[i] = kNumeralChars[i % 2 == 0 ? byte >> 4 : byte & 0xf];
      }
      *in = p + (value + 1) / 2;
      return absl::string_view(buffer, value);
    }
    case TextForm::kName:
      return NameTable::Process().Name(static_cast<int>(value));
    case TextForm::kRaw:
    default:
      break;
  }
  absl::string_view text(reinterpret_cast<const char*>(*in), value);
  *in += value;
  return text;
}

void SkipText(const unsigned char** in) {
  const size_t header = GetVarint(in);
  const size_t value = header >> kFormBits;
  switch (static_cast<TextForm>(header & kFormMask)) {
    case TextForm::kNumeral:
      *in += (value + 1) / 2;
      return;
    case TextForm::kName:
      return;
    case TextForm::kRaw:
    default:
      *in += value;
  }
}

}  // namespace herd
