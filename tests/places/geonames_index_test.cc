#include "services/places/geonames_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/places/geonames_table.h"

namespace herd::places {
namespace {

// Independent of the library's S2 arithmetic: the classic haversine formula.
double HaversineMeters(double lat1, double lng1, double lat2, double lng2) {
  constexpr double kRadius = 6371008.8;
  const double to_rad = M_PI / 180;
  const double dlat = (lat2 - lat1) * to_rad;
  const double dlng = (lng2 - lng1) * to_rad;
  const double a = std::pow(std::sin(dlat / 2), 2) + std::cos(lat1 * to_rad) *
                                                         std::cos(lat2 * to_rad) *
                                                         std::pow(std::sin(dlng / 2), 2);
  return 2 * kRadius * std::atan2(std::sqrt(a), std::sqrt(std::max(0.0, 1 - a)));
}

class GeoNamesIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto table = LoadGeoNamesFile(HERD_PLACES_FIXTURE);
    ASSERT_TRUE(table.ok()) << table.status();
    places_ = new std::vector<GeoNamesPlace>(table->places);
    index_ = new GeoNamesIndex(std::move(table->places));
  }
  static void TearDownTestSuite() {
    delete index_;
    delete places_;
  }

  struct Expected {
    uint32_t id;
    int64_t population;
    double distance_m;
  };
  // The brute-force answer: every place, ranked as the index must rank them.
  static std::vector<Expected> BruteForce(double lat, double lng, double radius_m) {
    std::vector<Expected> out;
    for (const GeoNamesPlace& p : *places_) {
      const double d = HaversineMeters(lat, lng, p.latitude, p.longitude);
      if (d <= radius_m) out.push_back({p.geoname_id, p.population, d});
    }
    std::sort(out.begin(), out.end(), [](const Expected& a, const Expected& b) {
      if (a.population != b.population) return a.population > b.population;
      if (a.distance_m != b.distance_m) return a.distance_m < b.distance_m;
      return a.id < b.id;
    });
    return out;
  }
  // Places within a millimetre of the edge may fall either way between two formulas.
  static bool NearEdge(const GeoNamesPlace& p, double lat, double lng, double radius_m) {
    return std::abs(HaversineMeters(lat, lng, p.latitude, p.longitude) - radius_m) < 1e-3;
  }

  static std::vector<GeoNamesPlace>* places_;
  static GeoNamesIndex* index_;
};

std::vector<GeoNamesPlace>* GeoNamesIndexTest::places_ = nullptr;
GeoNamesIndex* GeoNamesIndexTest::index_ = nullptr;

TEST_F(GeoNamesIndexTest, MatchesBruteForceEverywhere) {
  std::vector<std::pair<double, double>> centers = {
      {34.0689, -118.4452},  // UCLA
      {-18.0, 180.0},        // Fiji, on the antimeridian
      {-18.0, -180.0},       // the same point written the other way
      {-18.1, 179.9},        // just west of it
      {-18.2, -179.5},       // just east of it
      {66.3, -179.99},       // Chukotka
      {90.0, 0.0},           // North Pole
      {89.999, 123.0},       // next to it, odd longitude
      {-90.0, 0.0},          // South Pole
      {-77.8, 166.7},        // McMurdo
      {-54.8, -68.3},        // Ushuaia
      {78.2, 15.6},          // Longyearbyen
      {0.0, -140.0},         // open Pacific: nothing
  };
  // And a spread of the places themselves, the densest centres there are.
  for (size_t i = 0; i < places_->size(); i += 9) {
    centers.emplace_back((*places_)[i].latitude, (*places_)[i].longitude);
  }
  const double radii[] = {100, 1000, 5000, 20000, 50000, 200000, 1000000, 2500000, 21000000};
  int checked = 0, nonempty = 0;
  for (const auto& [lat, lng] : centers) {
    for (double radius : radii) {
      SCOPED_TRACE(absl::StrCat("center ", lat, ",", lng, " radius ", radius));
      const std::vector<Expected> expected = BruteForce(lat, lng, radius);
      const std::vector<GeoNamesIndex::Hit> hits =
          index_->Search(lat, lng, radius, places_->size() + 1);
      std::set<uint32_t> got_ids;
      for (const auto& hit : hits) {
        got_ids.insert(hit.place->geoname_id);
        EXPECT_LE(hit.distance_m, radius);  // all inside
        EXPECT_NEAR(hit.distance_m,
                    HaversineMeters(lat, lng, hit.place->latitude, hit.place->longitude),
                    1e-3 + 1e-9 * hit.distance_m);
      }
      std::set<uint32_t> expected_ids;
      for (const auto& e : expected) expected_ids.insert(e.id);
      for (const GeoNamesPlace& p : *places_) {
        if (NearEdge(p, lat, lng, radius)) continue;
        EXPECT_EQ(got_ids.count(p.geoname_id), expected_ids.count(p.geoname_id))
            << p.name << " (" << p.geoname_id << ")";  // none missed, none extra
      }
      // Ranking: population descending, then distance.
      for (size_t i = 1; i < hits.size(); ++i) {
        const auto& a = hits[i - 1];
        const auto& b = hits[i];
        EXPECT_TRUE(a.place->population > b.place->population ||
                    (a.place->population == b.place->population && a.distance_m <= b.distance_m));
      }
      ++checked;
      if (!hits.empty()) ++nonempty;
    }
  }
  EXPECT_GT(checked, 300);
  EXPECT_GT(nonempty, 200);
}

TEST_F(GeoNamesIndexTest, RanksByPopulationThenDistanceAndHonoursTheCount) {
  const double lat = 34.0689, lng = -118.4452;
  const std::vector<Expected> expected = BruteForce(lat, lng, 50000);
  ASSERT_GT(expected.size(), 20u);
  for (size_t count : {1u, 2u, 5u, 20u}) {
    const auto hits = index_->Search(lat, lng, 50000, count);
    ASSERT_EQ(hits.size(), count);
    for (size_t i = 0; i < count; ++i) EXPECT_EQ(hits[i].place->geoname_id, expected[i].id);
  }
  EXPECT_EQ(index_->Search(lat, lng, 50000, 1)[0].place->name, "Los Angeles");
}

TEST_F(GeoNamesIndexTest, CrossesTheAntimeridian) {
  // From (-18.1, 180): Levuka (179.32) is ~73 km west, Tubou (-178.81) ~126 km east.
  const auto hits = index_->Search(-18.1, 180.0, 150000, 20);
  std::set<std::string> names;
  for (const auto& h : hits) names.insert(h.place->name);
  EXPECT_TRUE(names.count("Levuka")) << hits.size();
  EXPECT_TRUE(names.count("Tubou")) << hits.size();
}

TEST_F(GeoNamesIndexTest, ReachesAcrossThePole) {
  // From the pole every longitude is south; Longyearbyen (78.22N) is ~1310 km away.
  const auto hits = index_->Search(90.0, -170.0, 1320000, 100);
  std::set<std::string> names;
  for (const auto& h : hits) names.insert(h.place->name);
  EXPECT_TRUE(names.count("Longyearbyen"));
  // 1300 km is just short of it, from any longitude.
  for (const auto& h : index_->Search(90.0, 0.0, 1300000, 100)) {
    EXPECT_NE(h.place->name, "Longyearbyen");
  }
}

TEST_F(GeoNamesIndexTest, NothingForEmptyOceanZeroRadiusOrZeroCount) {
  EXPECT_TRUE(index_->Search(0.0, -140.0, 50000, 20).empty());
  EXPECT_TRUE(index_->Search(34.05223, -118.24368, 0, 20).empty());
  EXPECT_TRUE(index_->Search(34.05223, -118.24368, -5, 20).empty());
  EXPECT_TRUE(index_->Search(34.05223, -118.24368, NAN, 20).empty());
  EXPECT_TRUE(index_->Search(34.05223, -118.24368, 50000, 0).empty());
}

TEST_F(GeoNamesIndexTest, RadiusBeyondTheSphereFindsEverything) {
  EXPECT_EQ(index_->Search(0, 0, INFINITY, 1000).size(), places_->size());
  EXPECT_EQ(index_->Search(0, 0, 1e12, 1000).size(), places_->size());
}

}  // namespace
}  // namespace herd::places

namespace herd::places {
namespace {

// The same check on the real 199,568-row table, when it is at hand:
//   HERD_PLACES_FULL_DATA=~/.cache/herd/cities500.txt places_test
TEST(GeoNamesFullDataTest, MatchesBruteForceOnTheWholeTable) {
  const char* path = std::getenv("HERD_PLACES_FULL_DATA");
  if (path == nullptr || path[0] == '\0') GTEST_SKIP() << "HERD_PLACES_FULL_DATA is not set";
  auto table = LoadGeoNamesFile(path);
  ASSERT_TRUE(table.ok()) << table.status();
  const std::vector<GeoNamesPlace> places = table->places;
  GeoNamesIndex index(std::move(table->places));
  const std::pair<double, double> centers[] = {
      {34.0689, -118.4452}, {48.8566, 2.3522}, {-18.1, 180.0}, {66.3, -179.99},
      {90.0, 0.0},          {-90.0, 0.0},      {-54.8, -68.3}, {78.2, 15.6},
      {35.68, 139.69},      {0.0, -140.0},     {51.4779, 0.0}, {-33.87, 151.21}};
  for (const auto& [lat, lng] : centers) {
    for (double radius : {1000.0, 20000.0, 50000.0, 500000.0}) {
      SCOPED_TRACE(absl::StrCat("center ", lat, ",", lng, " radius ", radius));
      std::set<uint32_t> expected;
      for (const GeoNamesPlace& p : places) {
        const double d = HaversineMeters(lat, lng, p.latitude, p.longitude);
        if (std::abs(d - radius) < 1e-3) continue;  // on the edge: either answer is right
        if (d <= radius) expected.insert(p.geoname_id);
      }
      std::set<uint32_t> got;
      for (const auto& hit : index.Search(lat, lng, radius, places.size())) {
        const GeoNamesPlace& p = *hit.place;
        if (std::abs(HaversineMeters(lat, lng, p.latitude, p.longitude) - radius) < 1e-3) continue;
        got.insert(p.geoname_id);
      }
      EXPECT_EQ(got, expected);
    }
  }
}

}  // namespace
}  // namespace herd::places
