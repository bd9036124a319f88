#include "services/places/geonames_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace herd::places {
namespace {

// geonameid name ascii alternates lat lng class code cc cc2 admin1..4 population elev dem tz mod
std::string Row(const std::string& id, const std::string& name, const std::string& lat,
                const std::string& lng, const std::string& population = "1000") {
  return absl::StrCat(id, "\t", name, "\t", name, "\t\t", lat, "\t", lng,
                      "\tP\tPPL\tUS\t\tCA\t037\t\t\t", population,
                      "\t\t89\tAmerica/Los_Angeles\t2019-09-05");
}

TEST(GeoNamesTableTest, ParsesTheFixture) {
  auto table = LoadGeoNamesFile(HERD_PLACES_FIXTURE);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->places.size(), 303u);
  EXPECT_EQ(table->malformed_rows, 0u);
  bool found = false;
  for (const GeoNamesPlace& p : table->places) {
    if (p.geoname_id != 5368361) continue;
    found = true;
    EXPECT_EQ(p.name, "Los Angeles");
    EXPECT_DOUBLE_EQ(p.latitude, 34.05223);
    EXPECT_DOUBLE_EQ(p.longitude, -118.24368);
    EXPECT_EQ(p.feature_class, 'P');
    EXPECT_EQ(p.feature_code, "PPLA2");
    EXPECT_EQ(p.country_code, "US");
    EXPECT_EQ(p.admin1_code, "CA");
    EXPECT_EQ(p.population, 3898747);
  }
  EXPECT_TRUE(found);
}

TEST(GeoNamesTableTest, SkipsAndCountsMalformedRows) {
  const std::string text = absl::StrCat(Row("1", "Good", "34.0", "-118.0"), "\n",  // line 1
                                        "2\tShort row\t34\t-118\n",  // 2: too few columns
                                        Row("3", "Bad lat", "north", "-118.0"), "\n",        // 3
                                        Row("4", "Lat out of range", "91", "-118.0"), "\n",  // 4
                                        Row("5", "Lng out of range", "0", "180.5"), "\n",    // 5
                                        Row("6", "", "0", "0"), "\n",  // 6: empty name
                                        Row("7", "Bad \xC3\x28 UTF-8", "0", "0"), "\n",      // 7
                                        Row("8", "Bad population", "0", "0", "many"), "\n",  // 8
                                        Row("x", "Bad id", "0", "0"), "\n",                  // 9
                                        Row("10", "Nan", "nan", "0"), "\n",                  // 10
                                        Row("11", "Extra column", "0", "0"), "\textra\n",    // 11
                                        "\n",  // 12: blank, ignored
                                        Row("13", "Windows line end", "-90", "180"), "\r\n",  // 13
                                        Row("14", "No final newline", "90", "-180"));
  auto table = ParseGeoNames(text);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->places.size(), 3u);
  EXPECT_EQ(table->places[0].name, "Good");
  EXPECT_EQ(table->places[1].name, "Windows line end");
  EXPECT_EQ(table->places[1].longitude, 180);
  EXPECT_EQ(table->places[2].name, "No final newline");
  EXPECT_EQ(table->malformed_rows, 10u);
  EXPECT_EQ(table->first_malformed_line, 2u);
}

TEST(GeoNamesTableTest, NoValidRowIsAnError) {
  EXPECT_EQ(ParseGeoNames("").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseGeoNames("garbage\nmore garbage\n").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(GeoNamesTableTest, MissingFileSaysHowToFetchIt) {
  auto table = LoadGeoNamesFile("/nonexistent/herd/cities500.txt");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(table.status().message(), "deploy/fetch-geonames"))
      << table.status();
  EXPECT_TRUE(absl::StrContains(table.status().message(), "/nonexistent/herd/cities500.txt"));
}

TEST(GeoNamesTableTest, EmptyOrUnreadableFileIsAnError) {
  const std::string path = ::testing::TempDir() + "/empty-cities500.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto table = LoadGeoNamesFile(path);
  EXPECT_EQ(table.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(table.status().message(), "empty")) << table.status();
  // A directory opens but cannot be read.
  EXPECT_EQ(LoadGeoNamesFile(::testing::TempDir()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace herd::places
