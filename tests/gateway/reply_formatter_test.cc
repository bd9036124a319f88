#include "gateway/reply_formatter.h"

#include <string>

#include "gateway/command_parser.h"
#include "gtest/gtest.h"
#include "services/core/exact_time.h"
#include "services/core/stamp.h"

namespace herd::gateway {
namespace {

// The stamp a node named `origin` makes of an IAMAT line received at `received_at`.
v1::LocationStamp StampOf(const std::string& line, const std::string& origin,
                          const Instant& received_at) {
  Command c = ParseCommand(line);
  EXPECT_EQ(c.kind, Command::Kind::kIamat) << line;
  absl::StatusOr<v1::LocationStamp> stamp =
      MakeStamp(c.client_id, c.location, c.client_time, origin, received_at);
  EXPECT_TRUE(stamp.ok()) << stamp.status();
  return *stamp;
}

TEST(ReplyFormatterTest, IamatSpecExample) {
  v1::LocationStamp stamp =
      StampOf("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997", "Goloman",
              Instant{1520023935, 182837383});
  EXPECT_EQ(FormatIamatReply(stamp),
            "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 "
            "1520023934.918963997\n");
}

TEST(ReplyFormatterTest, IamatNegativeDiff) {
  v1::LocationStamp stamp = StampOf("IAMAT kiwi +34.068930-118.445127 1520023938.000000001",
                                    "Hands", Instant{1520023935, 0});
  EXPECT_EQ(FormatIamatReply(stamp),
            "AT Hands -3.000000001 kiwi +34.068930-118.445127 1520023938.000000001\n");
}

TEST(ReplyFormatterTest, IamatCopiesFieldsByteForByte) {
  // Whatever white space separated the fields, the reply uses single spaces and the exact bytes
  // of each field (leading zeros, missing fraction, odd client ids).
  std::string client("k\xff\x01i", 4);
  v1::LocationStamp stamp = StampOf("\t IAMAT  " + client + "\t+05.50-007.25 \v 0001520023935 ",
                                    "Welsh", Instant{1520023935, 0});
  EXPECT_EQ(FormatIamatReply(stamp),
            "AT Welsh +0.000000000 " + client + " +05.50-007.25 0001520023935\n");
}

TEST(ReplyFormatterTest, WhatsatCollapsesNewlines) {
  v1::LocationStamp stamp =
      StampOf("IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997", "Goloman",
              Instant{1520023935, 182837383});
  const std::string json =
      "\n{\n   \"html_attributions\" : [],\n\n\n   \"results\" : [],\n"
      "   \"status\" : \"ZERO_RESULTS\"\n}\n\n";
  EXPECT_EQ(FormatWhatsatReply(stamp, json),
            "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n"
            "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n"
            "   \"status\" : \"ZERO_RESULTS\"\n}\n\n");
}

TEST(ReplyFormatterTest, WhatsatReplyHasNoEmptyLineBeforeItsEnd) {
  v1::LocationStamp stamp = StampOf("IAMAT c +1+2 3", "X", Instant{3, 0});
  std::string reply = FormatWhatsatReply(stamp, "{\n\n\n}\n\n\n");
  ASSERT_GE(reply.size(), 2u);
  EXPECT_EQ(reply.substr(reply.size() - 2), "\n\n");
  EXPECT_EQ(reply.substr(0, reply.size() - 2).find("\n\n"), std::string::npos) << reply;
  EXPECT_EQ(reply, "AT X +0.000000000 c +1+2 3\n{\n}\n\n");
}

TEST(ReplyFormatterTest, CollapseNewlines) {
  EXPECT_EQ(CollapseNewlines(""), "");
  EXPECT_EQ(CollapseNewlines("\n\n"), "");
  EXPECT_EQ(CollapseNewlines("a\n\nb\n"), "a\nb");
  EXPECT_EQ(CollapseNewlines("a"), "a");
  EXPECT_EQ(CollapseNewlines("\na\n\n\nbc\nd\n\n"), "a\nbc\nd");
  std::string out = "x\n";
  AppendCollapsedNewlines("\n\ny\n\nz", &out);
  EXPECT_EQ(out, "x\ny\nz");
  EXPECT_FALSE(HasTextBesidesNewlines(""));
  EXPECT_FALSE(HasTextBesidesNewlines("\n\n\n"));
  EXPECT_TRUE(HasTextBesidesNewlines("\n \n"));
}

TEST(ReplyFormatterTest, InvalidEchoesTheLineExactly) {
  EXPECT_EQ(FormatInvalidReply("HELLO world"), "? HELLO world\n");
  EXPECT_EQ(FormatInvalidReply("  IAMAT a\tb  "), "?   IAMAT a\tb  \n");
  std::string binary("\0\xff\r\x80", 4);
  EXPECT_EQ(FormatInvalidReply(binary), "? " + binary + "\n");
}

}  // namespace
}  // namespace herd::gateway
