#include "gateway/command_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace herd::gateway {
namespace {

using Kind = Command::Kind;

TEST(CommandParserTest, Iamat) {
  Command c = ParseCommand("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997");
  ASSERT_EQ(c.kind, Kind::kIamat);
  EXPECT_EQ(c.client_id, "kiwi.cs.ucla.edu");
  EXPECT_EQ(c.location, "+34.068930-118.445127");
  EXPECT_EQ(c.client_time, "1520023934.918963997");
}

TEST(CommandParserTest, Whatsat) {
  Command c = ParseCommand("WHATSAT kiwi.cs.ucla.edu 10 5");
  ASSERT_EQ(c.kind, Kind::kWhatsat);
  EXPECT_EQ(c.client_id, "kiwi.cs.ucla.edu");
  EXPECT_EQ(c.radius_km, 10.0);
  EXPECT_EQ(c.max_results, 5u);
}

TEST(CommandParserTest, WhiteSpaceVariants) {
  for (const char* line : {
           "IAMAT  kiwi +34.068930-118.445127 1520023934.918963997",
           "\tIAMAT\tkiwi\t+34.068930-118.445127\t1520023934.918963997\t",
           "  IAMAT kiwi \v+34.068930-118.445127\f 1520023934.918963997 \r ",
           "IAMAT\r\rkiwi\n+34.068930-118.445127 \t\v\f\r\n1520023934.918963997",
       }) {
    Command c = ParseCommand(line);
    ASSERT_EQ(c.kind, Kind::kIamat) << line;
    EXPECT_EQ(c.client_id, "kiwi");
    EXPECT_EQ(c.location, "+34.068930-118.445127");
    EXPECT_EQ(c.client_time, "1520023934.918963997");
  }
  EXPECT_EQ(ParseCommand(" \t WHATSAT\fkiwi \v 50\t\t20 \r").kind, Kind::kWhatsat);
}

TEST(CommandParserTest, BlankLines) {
  for (const char* line : {"", " ", "\t\r\v\f ", "\r"}) {
    EXPECT_EQ(ParseCommand(line).kind, Kind::kBlank) << line;
  }
}

TEST(CommandParserTest, ClientIdIsAnyNonSpaceBytes) {
  std::string line = std::string("IAMAT ") + std::string("\0\xff\xc3(", 4) + " +1-2 3";
  Command c = ParseCommand(line);
  ASSERT_EQ(c.kind, Kind::kIamat);
  EXPECT_EQ(c.client_id, std::string("\0\xff\xc3(", 4));
}

TEST(CommandParserTest, AcceptedLocationsAndTimes) {
  for (const char* location :
       {"+34.068930-118.445127", "+5.5-7.25", "+34.06893-118.445127", "+90-180", "-90+180", "+0+0",
        "+3404.1358-11826.7076", "+340408.15-1182640.45"}) {
    EXPECT_EQ(ParseCommand(std::string("IAMAT c ") + location + " 1").kind, Kind::kIamat)
        << location;
  }
  for (const char* time : {"1520023934.918963997", "1520023934", "0", "1.5", "-3.25"}) {
    EXPECT_EQ(ParseCommand(std::string("IAMAT c +1+2 ") + time).kind, Kind::kIamat) << time;
  }
}

TEST(CommandParserTest, EveryInvalidForm) {
  for (const char* line : {
           // unknown commands and case
           "HELLO a b c",
           "iamat kiwi +1+2 3",
           "Whatsat kiwi 1 1",
           "AT a b c",
           // wrong field counts
           "IAMAT",
           "IAMAT kiwi",
           "IAMAT kiwi +1+2",
           "IAMAT kiwi +1+2 3 extra",
           "WHATSAT kiwi 10",
           "WHATSAT kiwi 10 5 6",
           "WHATSAT",
           "IAMATkiwi +1+2 3",
           // bad locations
           "IAMAT kiwi 34.068930-118.445127 1",
           "IAMAT kiwi +34.068930118.445127 1",
           "IAMAT kiwi +91-118 1",
           "IAMAT kiwi +34-181 1",
           "IAMAT kiwi +34.0-118.0x 1",
           "IAMAT kiwi +-1 1",
           "IAMAT kiwi ++1+1 1",
           "IAMAT kiwi 1 1",
           // bad times
           "IAMAT kiwi +1+2 1e9",
           "IAMAT kiwi +1+2 inf",
           "IAMAT kiwi +1+2 nan",
           "IAMAT kiwi +1+2 1.2.3",
           "IAMAT kiwi +1+2 abc",
           "IAMAT kiwi +1+2 .",
           "IAMAT kiwi +1+2 0x10",
           // bad radius
           "WHATSAT kiwi 0 5",
           "WHATSAT kiwi -1 5",
           "WHATSAT kiwi 50.01 5",
           "WHATSAT kiwi 51 5",
           "WHATSAT kiwi 1e1 5",
           "WHATSAT kiwi inf 5",
           "WHATSAT kiwi nan 5",
           "WHATSAT kiwi 0.0 5",
           "WHATSAT kiwi ten 5",
           "WHATSAT kiwi 10km 5",
           "WHATSAT kiwi . 5",
           "WHATSAT kiwi 1000 5",
           "WHATSAT kiwi 50.0000000000000001 5",
           // bad count
           "WHATSAT kiwi 10 0",
           "WHATSAT kiwi 10 21",
           "WHATSAT kiwi 10 -1",
           "WHATSAT kiwi 10 1.5",
           "WHATSAT kiwi 10 5.0",
           "WHATSAT kiwi 10 1e1",
           "WHATSAT kiwi 10 x",
           "WHATSAT kiwi 10 100",
       }) {
    EXPECT_EQ(ParseCommand(line).kind, Kind::kInvalid) << line;
  }
}

TEST(CommandParserTest, RadiusBounds) {
  double radius = 0;
  EXPECT_TRUE(ParseRadiusKm("50", &radius));
  EXPECT_EQ(radius, 50.0);
  EXPECT_TRUE(ParseRadiusKm("50.000", &radius));
  EXPECT_TRUE(ParseRadiusKm("0.001", &radius));
  EXPECT_EQ(radius, 0.001);
  EXPECT_TRUE(ParseRadiusKm("+7", &radius));
  EXPECT_TRUE(ParseRadiusKm("7.", &radius));
  EXPECT_TRUE(ParseRadiusKm(".5", &radius));
  EXPECT_EQ(radius, 0.5);
  EXPECT_TRUE(ParseRadiusKm("0049.9", &radius));
  EXPECT_FALSE(ParseRadiusKm("50.0001", &radius));
  EXPECT_FALSE(ParseRadiusKm("0", &radius));
  EXPECT_FALSE(ParseRadiusKm("", &radius));
  EXPECT_FALSE(ParseRadiusKm("+", &radius));
  EXPECT_FALSE(ParseRadiusKm("--1", &radius));
}

TEST(CommandParserTest, CountBounds) {
  uint32_t count = 0;
  EXPECT_TRUE(ParseResultCount("1", &count));
  EXPECT_EQ(count, 1u);
  EXPECT_TRUE(ParseResultCount("20", &count));
  EXPECT_EQ(count, 20u);
  EXPECT_TRUE(ParseResultCount("007", &count));
  EXPECT_EQ(count, 7u);
  EXPECT_FALSE(ParseResultCount("0", &count));
  EXPECT_FALSE(ParseResultCount("21", &count));
  EXPECT_FALSE(ParseResultCount("99999999999999999999", &count));
  EXPECT_FALSE(ParseResultCount("", &count));
}

TEST(CommandParserTest, SplitFields) {
  EXPECT_EQ(SplitFields(" a\tb\r\nc\v\fd "), (std::vector<absl::string_view>{"a", "b", "c", "d"}));
  EXPECT_TRUE(SplitFields(" \t ").empty());
}

}  // namespace
}  // namespace herd::gateway
