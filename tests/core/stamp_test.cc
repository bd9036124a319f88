#include "services/core/stamp.h"

#include <gtest/gtest.h>

namespace herd {
namespace {

v1::LocationStamp Stamp(const std::string& time, const std::string& origin, Instant received,
                        const std::string& location = "+34.068930-118.445127") {
  absl::StatusOr<v1::LocationStamp> s =
      MakeStamp("kiwi.cs.ucla.edu", location, time, origin, received);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

TEST(MakeStamp, KeepsTheClientsTextAndFormatsTheAtLine) {
  v1::LocationStamp s = Stamp("1520023934.918963997", "Goloman", Instant{1520023935, 182837383});
  EXPECT_EQ(FormatAtLine(s),
            "AT Goloman +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997");
  EXPECT_EQ(s.client_time().seconds(), 1520023934);
  EXPECT_EQ(s.client_time().nanos(), 918963997u);
  EXPECT_NEAR(s.latitude(), 34.06893, 1e-12);
}

TEST(MakeStamp, ErrorsNameTheField) {
  auto bad_id = MakeStamp("a b", "+1+1", "1", "N", Instant{});
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.status().message().find("client_id"), absl::string_view::npos);
  auto empty_id = MakeStamp("", "+1+1", "1", "N", Instant{});
  EXPECT_FALSE(empty_id.ok());
  auto bad_location = MakeStamp("c", "+1", "1", "N", Instant{});
  ASSERT_FALSE(bad_location.ok());
  EXPECT_NE(bad_location.status().message().find("location"), absl::string_view::npos);
  auto bad_time = MakeStamp("c", "+1+1", "1e5", "N", Instant{});
  ASSERT_FALSE(bad_time.ok());
  EXPECT_NE(bad_time.status().message().find("client_time"), absl::string_view::npos);
}

TEST(MakeStamp, ClientIdsAreAnyNonSpaceBytes) {
  EXPECT_TRUE(ValidateClientId(std::string("\xff\xfe\x01", 3)).ok());
  EXPECT_TRUE(ValidateClientId(std::string("a\0b", 3)).ok());
  for (const char* bad : {"a\tb", "a\nb", "a\vb", "a\fb", "a\rb", " a"}) {
    EXPECT_FALSE(ValidateClientId(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateClientId(std::string(kMaxClientIdBytes + 1, 'x')).ok());
}

TEST(CompareStamps, ClientTimeThenOriginThenReceiveTime) {
  v1::LocationStamp older = Stamp("100", "Hands", Instant{300, 0});
  v1::LocationStamp newer = Stamp("100.000000001", "Alpha", Instant{200, 0});
  EXPECT_LT(CompareStamps(older, newer), 0);
  EXPECT_GT(CompareStamps(newer, older), 0);

  v1::LocationStamp a = Stamp("100", "Alpha", Instant{500, 0});
  v1::LocationStamp b = Stamp("100", "Bravo", Instant{100, 0});
  EXPECT_LT(CompareStamps(a, b), 0);

  v1::LocationStamp early = Stamp("100", "Alpha", Instant{100, 0});
  v1::LocationStamp late = Stamp("100", "Alpha", Instant{100, 1});
  EXPECT_LT(CompareStamps(early, late), 0);

  // Same instant written differently still has one winner.
  v1::LocationStamp plain = Stamp("100", "Alpha", Instant{100, 0});
  v1::LocationStamp padded = Stamp("100.000", "Alpha", Instant{100, 0});
  EXPECT_NE(CompareStamps(plain, padded), 0);
  EXPECT_EQ(CompareStamps(plain, padded), -CompareStamps(padded, plain));
  EXPECT_EQ(CompareStamps(plain, plain), 0);
}

}  // namespace
}  // namespace herd
