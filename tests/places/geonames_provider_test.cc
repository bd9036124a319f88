#include "services/places/geonames_provider.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "absl/strings/match.h"
#include "rapidjson/document.h"
#include "services/places/geonames_place_types.h"
#include "tests/places/search_waiter.h"

namespace herd::places {
namespace {

class GeoNamesProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto provider = GeoNamesProvider::Load(HERD_PLACES_FIXTURE);
    ASSERT_TRUE(provider.ok()) << provider.status();
    provider_ = provider->release();
  }
  static void TearDownTestSuite() { delete provider_; }
  static GeoNamesProvider* provider_;
};

GeoNamesProvider* GeoNamesProviderTest::provider_ = nullptr;

// The answer a WHATSAT near UCLA (20 km, 3 results) prints, byte for byte.
constexpr char kUclaGolden[] = R"golden({
   "html_attributions" : [
      "Place data from <a href=\"https://www.geonames.org/\">GeoNames</a>, licensed under <a href=\"https://creativecommons.org/licenses/by/4.0/\">CC BY 4.0</a>"
   ],
   "results" : [
      {
         "geometry" : {
            "location" : {
               "lat" : 34.05223,
               "lng" : -118.24368
            }
         },
         "name" : "Los Angeles",
         "place_id" : "geonames:5368361",
         "types" : [
            "locality",
            "political"
         ],
         "vicinity" : "CA, US"
      },
      {
         "geometry" : {
            "location" : {
               "lat" : 34.14251,
               "lng" : -118.25508
            }
         },
         "name" : "Glendale",
         "place_id" : "geonames:5352423",
         "types" : [
            "locality",
            "political"
         ],
         "vicinity" : "CA, US"
      },
      {
         "geometry" : {
            "location" : {
               "lat" : 34.09834,
               "lng" : -118.32674
            }
         },
         "name" : "Hollywood",
         "place_id" : "geonames:5357527",
         "types" : [
            "neighborhood",
            "political"
         ],
         "vicinity" : "CA, US"
      }
   ],
   "status" : "OK"
})golden";

TEST_F(GeoNamesProviderTest, GoldenAnswerNearUcla) {
  auto answer = provider_->Search(34.068930, -118.445127, 20000, 3);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->legacy_json, kUclaGolden);
  EXPECT_EQ(answer->legacy_json.find("\n\n"), std::string::npos);
  EXPECT_NE(answer->legacy_json.back(), '\n');

  ASSERT_EQ(answer->places.size(), 3u);
  const Place& first = answer->places[0];
  EXPECT_EQ(first.place_id, "geonames:5368361");
  EXPECT_EQ(first.name, "Los Angeles");
  EXPECT_DOUBLE_EQ(first.latitude, 34.05223);
  EXPECT_DOUBLE_EQ(first.longitude, -118.24368);
  EXPECT_EQ(first.types, (std::vector<std::string>{"locality", "political"}));
  EXPECT_EQ(first.vicinity, "CA, US");
  EXPECT_NEAR(first.distance_m, 18649.79, 0.05);  // UCLA to Los Angeles's GeoNames point
}

TEST_F(GeoNamesProviderTest, CallbackRunsInlineExactlyOnce) {
  testing::SearchWaiter waiter;
  provider_->SearchNearby(34.0689, -118.4452, 50000, 20, waiter.Callback());
  EXPECT_TRUE(waiter.HasAnswer());
  EXPECT_EQ(waiter.calls(), 1);
  auto answer = waiter.Wait();
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->places.size(), 20u);
  rapidjson::Document doc;
  doc.Parse(answer->legacy_json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(doc["results"].Size(), 20u);
  EXPECT_STREQ(doc["status"].GetString(), "OK");
  EXPECT_STREQ(doc["html_attributions"][0].GetString(), kGeoNamesAttribution);
}

TEST_F(GeoNamesProviderTest, ZeroResults) {
  auto answer = provider_->Search(0.0, -140.0, 50000, 5);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(answer->places.empty());
  EXPECT_TRUE(absl::StrContains(answer->legacy_json, "\"results\" : [],"));
  EXPECT_TRUE(absl::StrContains(answer->legacy_json, "\"status\" : \"ZERO_RESULTS\""));
}

TEST_F(GeoNamesProviderTest, BadArgumentsAreInvalidArgument) {
  EXPECT_EQ(provider_->Search(NAN, 0, 1000, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(91, 0, 1000, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(0, -180.5, 1000, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(0, 0, 0, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(0, 0, NAN, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(0, 0, 1000, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(provider_->Search(0, 0, 1000, -3).status().code(), absl::StatusCode::kInvalidArgument);
  // Huge but valid inputs are safe.
  auto all = provider_->Search(0, 0, INFINITY, 1 << 30);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->places.size(), 303u);
}

TEST_F(GeoNamesProviderTest, TypesAndVicinityFromTheData) {
  // Longyearbyen: the capital (PPLC) of Svalbard, admin1 "21".
  auto answer = provider_->Search(78.22334, 15.64689, 1000, 1);
  ASSERT_TRUE(answer.ok());
  ASSERT_EQ(answer->places.size(), 1u);
  EXPECT_EQ(answer->places[0].name, "Longyearbyen");
  EXPECT_EQ(answer->places[0].types, (std::vector<std::string>{"locality", "political"}));
  EXPECT_EQ(answer->places[0].vicinity, "21, SJ");
}

TEST(GeoNamesPlaceTypesTest, FeatureCodesMapToGoogleTypes) {
  GeoNamesPlace p;
  p.feature_class = 'P';
  for (const char* code : {"PPL", "PPLA", "PPLA2", "PPLA5", "PPLC", "PPLL", "STLMT", ""}) {
    p.feature_code = code;
    EXPECT_EQ(GooglePlaceTypes(p), (std::vector<std::string>{"locality", "political"})) << code;
  }
  p.feature_code = "PPLX";
  EXPECT_EQ(GooglePlaceTypes(p), (std::vector<std::string>{"neighborhood", "political"}));
  p.feature_class = 'A';
  p.feature_code = "ADM2";
  EXPECT_EQ(GooglePlaceTypes(p),
            (std::vector<std::string>{"administrative_area_level_2", "political"}));
  p.feature_code = "PCLI";
  EXPECT_EQ(GooglePlaceTypes(p), (std::vector<std::string>{"country", "political"}));
  p.feature_class = 'S';
  p.feature_code = "AIRP";
  EXPECT_EQ(GooglePlaceTypes(p), (std::vector<std::string>{"point_of_interest"}));
}

TEST(GeoNamesPlaceTypesTest, VicinityLeavesOutWhatTheDataLacks) {
  GeoNamesPlace p;
  p.admin1_code = "CA";
  p.country_code = "US";
  EXPECT_EQ(GeoNamesVicinity(p), "CA, US");
  p.admin1_code = "00";
  EXPECT_EQ(GeoNamesVicinity(p), "US");
  p.admin1_code = "";
  EXPECT_EQ(GeoNamesVicinity(p), "US");
  p.country_code = "";
  EXPECT_EQ(GeoNamesVicinity(p), "");
}

TEST_F(GeoNamesProviderTest, DescribeReportsTheLoad) {
  EXPECT_TRUE(absl::StrContains(provider_->Describe(), "303 places, 0 malformed rows skipped"))
      << provider_->Describe();
  EXPECT_EQ(provider_->stats().places, 303u);
}

}  // namespace
}  // namespace herd::places
