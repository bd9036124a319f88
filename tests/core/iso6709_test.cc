#include "services/core/iso6709.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace herd {
namespace {

void ExpectPoint(const std::string& text, double lat, double lng) {
  absl::StatusOr<GeoPoint> p = ParseIso6709(text);
  ASSERT_TRUE(p.ok()) << text << ": " << p.status();
  EXPECT_NEAR(p->latitude, lat, 1e-9) << text;
  EXPECT_NEAR(p->longitude, lng, 1e-9) << text;
}

TEST(ParseIso6709, DecimalDegrees) {
  ExpectPoint("+34.068930-118.445127", 34.068930, -118.445127);
  ExpectPoint("+34.06893-118.445127", 34.06893, -118.445127);
  ExpectPoint("+5.5-7.25", 5.5, -7.25);
  ExpectPoint("-90+180", -90, 180);
  ExpectPoint("+90.000-180.0", 90, -180);
  ExpectPoint("+0-0", 0, 0);
  ExpectPoint("+034.5-0118.25", 34.5, -118.25);
  ExpectPoint("+34.068930-118.445127/", 34.068930, -118.445127);
}

TEST(ParseIso6709, Sexagesimal) {
  ExpectPoint("+3404.1358-11826.7076", 34 + 4.1358 / 60, -(118 + 26.7076 / 60));
  ExpectPoint("+340408.15-1182640.46", 34 + 4 / 60.0 + 8.15 / 3600,
              -(118 + 26 / 60.0 + 40.46 / 3600));
  ExpectPoint("+340408-1182640", 34 + 4 / 60.0 + 8 / 3600.0, -(118 + 26 / 60.0 + 40 / 3600.0));
  ExpectPoint("-9000+18000", -90, 180);
}

// Nodes compare the numbers a stamp carries with their own parse of its text bit for bit
// (StampValidator), so the parse must give exactly what it always gave: the integer degrees plus
// the double nearest to 0.<fraction>, for fractions of every length.
TEST(ParseIso6709, FractionIsTheNearestDouble) {
  std::mt19937_64 random(6709);
  for (int i = 0; i < 20000; ++i) {
    const size_t length = 1 + random() % 20;
    std::string fraction;
    for (size_t d = 0; d < length; ++d) fraction.push_back(static_cast<char>('0' + random() % 10));
    const int degrees = static_cast<int>(random() % 90);
    double nearest = 0;
    ASSERT_TRUE(absl::SimpleAtod(absl::StrCat("0.", fraction), &nearest));
    const std::string text =
        absl::StrCat("-", degrees, ".", fraction, "+", degrees + 90, ".", fraction);
    absl::StatusOr<GeoPoint> p = ParseIso6709(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status();
    ASSERT_EQ(p->latitude, -(degrees + nearest)) << text;
    ASSERT_EQ(p->longitude, degrees + 90 + nearest) << text;
  }
}

TEST(ParseIso6709, RejectsBadForms) {
  for (const char* bad : {"",
                          "34.068930-118.445127",
                          "+34.068930118.445127",
                          "+34.068930",
                          "+34.068930-",
                          "+91-118",
                          "-90.000001+0",
                          "+0+180.5",
                          "+0-181",
                          "+34.-118.4",
                          "+.5-7",
                          "+3460.0-11800",
                          "+345960-1180000",
                          "+34.0689 -118.4451",
                          "+34.068930-118.445127x",
                          "+34,0-118,0",
                          "+12345-118",
                          "+1e1-118",
                          "+nan-118",
                          "+34.0-118.0//",
                          "++34-118",
                          "+34-118.4.5"}) {
    absl::StatusOr<GeoPoint> p = ParseIso6709(bad);
    EXPECT_FALSE(p.ok()) << "accepted \"" << bad << "\"";
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(p.status().message().find("location"), absl::string_view::npos);
    }
  }
}

}  // namespace
}  // namespace herd
