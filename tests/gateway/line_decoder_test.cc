#include "gateway/line_decoder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace herd::gateway {
namespace {

using Lines = std::vector<DecodedLine>;

DecodedLine Line(std::string text) { return DecodedLine{std::move(text), false}; }
DecodedLine TooLong(std::string text) { return DecodedLine{std::move(text), true}; }

// Feeds `input` in pieces of `chunk` bytes (0: all at once), then ends the stream.
Lines Decode(const std::string& input, size_t chunk, size_t max_line_bytes = 64) {
  LineDecoder decoder(max_line_bytes);
  Lines lines;
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t i = 0; i < input.size(); i += chunk) {
    decoder.Feed(absl::string_view(input).substr(i, chunk), &lines);
  }
  decoder.Finish(&lines);
  return lines;
}

// Every case must decode the same whether fed one byte at a time, in odd pieces or at once.
void ExpectLines(const std::string& input, const Lines& expected, size_t max_line_bytes = 64) {
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{0}}) {
    EXPECT_EQ(Decode(input, chunk, max_line_bytes), expected)
        << "chunk " << chunk << " input \"" << input << "\"";
  }
}

TEST(LineDecoderTest, SplitsOnNewline) {
  ExpectLines("IAMAT a b c\nWHATSAT a 1 2\n", {Line("IAMAT a b c"), Line("WHATSAT a 1 2")});
}

TEST(LineDecoderTest, CrLfTerminatorIsDropped) {
  ExpectLines("one\r\ntwo\r\n", {Line("one"), Line("two")});
}

TEST(LineDecoderTest, LoneCrStaysInTheLine) {
  ExpectLines("a\rb\n", {Line("a\rb")});
  ExpectLines("a\r\r\n", {Line("a\r")});
}

TEST(LineDecoderTest, FinalLineWithoutNewlineIsALine) {
  ExpectLines("first\nlast", {Line("first"), Line("last")});
  // Without a "\n", a trailing "\r" was not a terminator.
  ExpectLines("last\r", {Line("last\r")});
}

TEST(LineDecoderTest, EmptyLinesAreLines) {
  ExpectLines("\n\r\n\n", {Line(""), Line(""), Line("")});
  ExpectLines("", {});
}

TEST(LineDecoderTest, BytesAreBytes) {
  std::string input("a\0b\xff\xfe\n\0\n", 8);
  ExpectLines(input, {Line(std::string("a\0b\xff\xfe", 5)), Line(std::string("\0", 1))});
}

TEST(LineDecoderTest, LineOfExactlyTheLimitIsAccepted) {
  std::string line(16, 'x');
  ExpectLines(line + "\n", {Line(line)}, 16);
  ExpectLines(line + "\r\n", {Line(line)}, 16);
  ExpectLines(line, {Line(line)}, 16);
}

TEST(LineDecoderTest, LongerLineIsTruncatedAndEndsTheStream) {
  std::string line(17, 'y');
  ExpectLines("ok\n" + line + "\nnever\n", {Line("ok"), TooLong(std::string(16, 'y'))}, 16);
  ExpectLines(line, {TooLong(std::string(16, 'y'))}, 16);
  // The limit applies to the line without its terminator; a "\r" not followed by "\n" counts.
  ExpectLines(std::string(16, 'z') + "\rq\n", {TooLong(std::string(16, 'z'))}, 16);
  ExpectLines(std::string(16, 'z') + "\r", {TooLong(std::string(16, 'z'))}, 16);
}

TEST(LineDecoderTest, TooLongIsReportedBeforeTheNewlineArrives) {
  LineDecoder decoder(8);
  Lines lines;
  decoder.Feed(std::string(100000, 'a'), &lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].too_long);
  EXPECT_EQ(lines[0].text, std::string(8, 'a'));
  EXPECT_TRUE(decoder.failed());
  // Memory stays bounded: nothing more is buffered or emitted.
  decoder.Feed(std::string(100000, 'b') + "\n", &lines);
  decoder.Finish(&lines);
  EXPECT_EQ(lines.size(), 1u);
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(LineDecoderTest, BufferNeverExceedsLimitPlusOne) {
  LineDecoder decoder(32);
  Lines lines;
  for (int i = 0; i < 32; ++i) {
    decoder.Feed("a", &lines);
    EXPECT_LE(decoder.buffered(), 33u);
  }
  decoder.Feed("\r", &lines);
  EXPECT_EQ(decoder.buffered(), 33u);
  EXPECT_TRUE(lines.empty());
  decoder.Feed("\n", &lines);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].too_long);
}

TEST(LineDecoderTest, ManyLinesInOneLargeChunk) {
  std::string input;
  Lines expected;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "IAMAT client" + std::to_string(i) + " +1+2 " + std::to_string(i);
    input += line + (i % 2 ? "\r\n" : "\n");
    expected.push_back(Line(line));
  }
  EXPECT_EQ(Decode(input, 0), expected);
  EXPECT_EQ(Decode(input, 1), expected);
  EXPECT_EQ(Decode(input, 4096), expected);
}

}  // namespace
}  // namespace herd::gateway
