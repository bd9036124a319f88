#include "services/core/exact_time.h"

#include <gtest/gtest.h>

namespace herd {
namespace {

Instant Parse(const std::string& text) {
  absl::StatusOr<Instant> t = ParseClientTime(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status();
  return t.ok() ? *t : Instant{};
}

TEST(ParseClientTime, ExactToTheNanosecond) {
  EXPECT_EQ(Parse("1520023934.918963997"), (Instant{1520023934, 918963997}));
  EXPECT_EQ(Parse("1520023934.000000001"), (Instant{1520023934, 1}));
  EXPECT_EQ(Parse("1520023934"), (Instant{1520023934, 0}));
  EXPECT_EQ(Parse("1520023934."), (Instant{1520023934, 0}));
  EXPECT_EQ(Parse(".5"), (Instant{0, 500000000}));
  EXPECT_EQ(Parse("+7.25"), (Instant{7, 250000000}));
  EXPECT_EQ(Parse("0"), (Instant{0, 0}));
}

TEST(ParseClientTime, NegativeTimesAreFloored) {
  EXPECT_EQ(Parse("-1"), (Instant{-1, 0}));
  EXPECT_EQ(Parse("-3.5"), (Instant{-4, 500000000}));
  EXPECT_EQ(Parse("-0.000000001"), (Instant{-1, 999999999}));
  EXPECT_EQ(Parse("-0"), (Instant{0, 0}));
}

TEST(ParseClientTime, DigitsPastNanosecondsTruncateTowardNegativeInfinity) {
  EXPECT_EQ(Parse("1.0000000019"), (Instant{1, 1}));
  EXPECT_EQ(Parse("-1.0000000011"), (Instant{-2, 999999998}));
  EXPECT_EQ(Parse("-1.0000000010"), (Instant{-2, 999999999}));
  EXPECT_EQ(Parse("-0.9999999999"), (Instant{-1, 0}));
}

TEST(ParseClientTime, RejectsWhatIsNotPlainDecimalSeconds) {
  for (const char* bad : {"", "+", "-", ".", "1e9", "1E9", "inf", "nan", "-inf", "0x10", "1,5",
                          " 1", "1 ", "1.2.3", "++1", "1-", "١٢", "1234567890123456"}) {
    absl::StatusOr<Instant> t = ParseClientTime(bad);
    EXPECT_FALSE(t.ok()) << "accepted \"" << bad << "\"";
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(t.status().message().find("client_time"), absl::string_view::npos);
    }
  }
}

TEST(FormatTimeDiff, AlwaysSignedWithNineDecimals) {
  EXPECT_EQ(FormatTimeDiff({1520023935, 182837383}, {1520023934, 918963997}), "+0.263873386");
  EXPECT_EQ(FormatTimeDiff({5, 0}, {8, 1}), "-3.000000001");
  EXPECT_EQ(FormatTimeDiff({5, 0}, {5, 0}), "+0.000000000");
  EXPECT_EQ(FormatTimeDiff({5, 0}, {5, 1}), "-0.000000001");
  EXPECT_EQ(FormatTimeDiff({100, 0}, {-4, 500000000}), "+103.500000000");
}

TEST(FormatTimeDiff, HugeDifferencesStayExact) {
  Instant big = Parse("999999999999999.999999999");
  Instant small = Parse("-999999999999999.999999999");
  EXPECT_EQ(FormatTimeDiff(big, small), "+1999999999999999.999999998");
  EXPECT_EQ(FormatTimeDiff(small, big), "-1999999999999999.999999998");
}

TEST(ExactTime, ProtoRoundTrip) {
  v1::ExactTime proto;
  ToProto(Instant{-4, 500000000}, &proto);
  EXPECT_EQ(FromProto(proto), (Instant{-4, 500000000}));
}

}  // namespace
}  // namespace herd
