#include "tests/bench/reply_counter.h"

#include <string>

#include "gtest/gtest.h"

namespace herd::bench {
namespace {

const char kWhatsatReply[] =
    "AT Hands +0.000012345 kiwi +34.068930-118.445127 1520023934.918963997\n"
    "{\n"
    "   \"html_attributions\" : [],\n"
    "   \"results\" : [\n"
    "      {\"name\" : \"A\", \"place_id\" : \"1\"},\n"
    "      {\"name\" : \"B\", \"place_id\" : \"2\"}\n"
    "   ],\n"
    "   \"status\" : \"OK\"\n"
    "}\n"
    "\n";

TEST(ReplyCounterTest, CountsIamatLinesAndOthers) {
  ReplyCounter counter(ReplyShape::kIamat);
  EXPECT_EQ(counter.Feed("AT Hands +0.1 a +1+1 1.0\n? IAMAT b\nAT Han"), 2);
  EXPECT_EQ(counter.Feed("ds +0.1 c +1+1 1.0\n"), 1);
  EXPECT_EQ(counter.ok(), 2u);
  EXPECT_EQ(counter.bad(), 1u);
}

TEST(ReplyCounterTest, AWhatsatReplyEndsAtItsBlankLineWhateverTheChunks) {
  const std::string stream =
      std::string(kWhatsatReply) + "? WHATSAT nobody 50 20\n" + kWhatsatReply;
  for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    ReplyCounter counter(ReplyShape::kWhatsat);
    int completed = 0;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      completed += counter.Feed(stream.substr(at, chunk));
    }
    ASSERT_EQ(completed, 3) << "chunk " << chunk;
    EXPECT_EQ(counter.ok(), 2u);
    EXPECT_EQ(counter.bad(), 1u);
    EXPECT_EQ(counter.places(), 4u);
  }
}

TEST(ReplyCounterTest, AnUnfinishedWhatsatReplyIsNotCounted) {
  ReplyCounter counter(ReplyShape::kWhatsat);
  std::string reply = kWhatsatReply;
  EXPECT_EQ(counter.Feed(reply.substr(0, reply.size() - 1)), 0);
  EXPECT_EQ(counter.ok(), 0u);
  EXPECT_EQ(counter.places(), 0u);
  EXPECT_EQ(counter.Feed("\n"), 1);
  EXPECT_EQ(counter.ok(), 1u);
}

}  // namespace
}  // namespace herd::bench
