#include "services/node/record_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/node/name_table.h"

namespace herd {
namespace {

// Encodes `text` in `form` into a buffer sized exactly, with a guard byte after it, and decodes
// it back; checks the size, that decoding and skipping stop at the text's end, and the text.
void ExpectRoundTrip(const std::string& text, TextForm form, size_t expected_size) {
  SCOPED_TRACE(absl::StrCat("\"", text, "\" form ", static_cast<int>(form)));
  const TextPlan plan = PlanText(text, form);
  const size_t size = EncodedTextSize(text, plan);
  EXPECT_EQ(size, expected_size);
  std::vector<unsigned char> bytes(size + 1, 0xa5);
  EXPECT_EQ(EncodeText(text, plan, bytes.data()), bytes.data() + size);
  EXPECT_EQ(bytes[size], 0xa5) << "wrote past its size";

  const unsigned char* in = bytes.data();
  NumeralBuffer buffer;
  EXPECT_EQ(DecodeText(&in, buffer), text);
  EXPECT_EQ(in, bytes.data() + size);
  in = bytes.data();
  SkipText(&in);
  EXPECT_EQ(in, bytes.data() + size);
}

TEST(RecordText, KeepsNumeralsTwoCharactersPerByte) {
  ExpectRoundTrip("+34.068930-118.445127", TextForm::kNumeral, 1 + 11);
  ExpectRoundTrip("1520023934.918963997", TextForm::kNumeral, 1 + 10);
  ExpectRoundTrip("-0123456789+.", TextForm::kNumeral, 1 + 7);  // every character it holds
  ExpectRoundTrip("7", TextForm::kNumeral, 1 + 1);
  ExpectRoundTrip("", TextForm::kNumeral, 1);
  ExpectRoundTrip(std::string(kMaxNumeral, '9'), TextForm::kNumeral, 2 + kMaxNumeral / 2);
}

TEST(RecordText, KeepsOtherTextsAsTheyAre) {
  ExpectRoundTrip("1e9", TextForm::kNumeral, 1 + 3);
  ExpectRoundTrip("+34.068930-118.445127 ", TextForm::kNumeral, 1 + 22);
  ExpectRoundTrip(std::string("1\0"
                              "2",
                              3),
                  TextForm::kNumeral, 1 + 3);
  ExpectRoundTrip(std::string(kMaxNumeral + 1, '9'), TextForm::kNumeral, 2 + kMaxNumeral + 1);
  ExpectRoundTrip("kiwi.cs.ucla.edu", TextForm::kRaw, 1 + 16);
  ExpectRoundTrip("1520023934", TextForm::kRaw, 1 + 10);  // raw when asked raw
  // The header holds the form in its two low bits: 31 bytes fit one byte, 32 take two.
  ExpectRoundTrip(std::string(31, 'k'), TextForm::kRaw, 1 + 31);
  ExpectRoundTrip(std::string(32, 'k'), TextForm::kRaw, 2 + 32);
  ExpectRoundTrip(std::string(70000, 'k'), TextForm::kRaw, 3 + 70000);
}

TEST(RecordText, KeepsNamesAsAnIndexInTheProcesssTable) {
  ExpectRoundTrip("Goloman", TextForm::kName, 1);
  const int size = NameTable::Process().size();
  ExpectRoundTrip("Goloman", TextForm::kName, 1);
  EXPECT_EQ(NameTable::Process().size(), size) << "a name is kept once";
  ExpectRoundTrip("", TextForm::kName, 1);
  ExpectRoundTrip(std::string(NameTable::kMaxNameBytes + 1, 'n'), TextForm::kName,
                  2 + NameTable::kMaxNameBytes + 1);
}

TEST(NameTable, StopsAtItsBoundAndKeepsWhatItHas) {
  NameTable table;
  for (int i = 0; i < NameTable::kMaxNames; ++i) {
    ASSERT_EQ(table.Intern(absl::StrCat("node-", i)), i);
  }
  EXPECT_EQ(table.Intern("one too many"), std::nullopt);
  EXPECT_EQ(table.Intern("node-7"), 7);
  EXPECT_EQ(table.Name(255), "node-255");
  EXPECT_EQ(table.size(), NameTable::kMaxNames);
}

}  // namespace
}  // namespace herd
