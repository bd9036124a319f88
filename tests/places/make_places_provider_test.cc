#include <gtest/gtest.h>
#include <stdlib.h>

#include "absl/strings/match.h"
#include "services/places/places_provider.h"
#include "tests/places/search_waiter.h"

namespace herd::places {
namespace {

TEST(MakePlacesProviderTest, NothingConfiguredIsAClearError) {
  auto provider = MakePlacesProvider(herd::v1::PlacesConfig());
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(provider.status().message(), "no places provider"));
}

TEST(MakePlacesProviderTest, MissingGeoNamesFileSaysHowToGetIt) {
  herd::v1::PlacesConfig config;
  config.mutable_geonames()->set_data_file("/nonexistent/cities500.txt");
  auto provider = MakePlacesProvider(config);
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(provider.status().message(), "deploy/fetch-geonames"))
      << provider.status();
  config.mutable_geonames()->set_data_file("");
  provider = MakePlacesProvider(config);
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(provider.status().message(), "deploy/fetch-geonames"));
}

TEST(MakePlacesProviderTest, GeoNamesFromTheFixture) {
  herd::v1::PlacesConfig config;
  config.mutable_geonames()->set_data_file(HERD_PLACES_FIXTURE);
  auto provider = MakePlacesProvider(config);
  ASSERT_TRUE(provider.ok()) << provider.status();
  EXPECT_TRUE(absl::StrContains((*provider)->Describe(), "303 places")) << (*provider)->Describe();
  auto answer = testing::SearchAndWait(**provider, 34.0689, -118.4452, 10000, 3);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->places.size(), 3u);
}

TEST(MakePlacesProviderTest, GoogleNeedsItsKeyVariable) {
  herd::v1::PlacesConfig config;
  config.mutable_google()->set_api(herd::v1::GooglePlacesConfig::PLACES_NEW);
  config.mutable_google()->set_api_key_env("HERD_PLACES_TEST_UNSET_KEY");
  unsetenv("HERD_PLACES_TEST_UNSET_KEY");
  auto provider = MakePlacesProvider(config);
  EXPECT_EQ(provider.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(provider.status().message(), "HERD_PLACES_TEST_UNSET_KEY"))
      << provider.status();

  config.mutable_google()->set_api_key_env("");
  EXPECT_EQ(MakePlacesProvider(config).status().code(), absl::StatusCode::kFailedPrecondition);

  config.mutable_google()->set_api_key_env("HERD_PLACES_TEST_KEY");
  setenv("HERD_PLACES_TEST_KEY", "test-key", 1);
  provider = MakePlacesProvider(config);
  ASSERT_TRUE(provider.ok()) << provider.status();
  EXPECT_TRUE(absl::StrContains((*provider)->Describe(), "https://places.googleapis.com"))
      << (*provider)->Describe();

  config.mutable_google()->set_base_url("http://127.0.0.1:1/");
  EXPECT_TRUE(MakePlacesProvider(config).ok());
  config.mutable_google()->set_base_url("ftp://example.invalid");
  EXPECT_EQ(MakePlacesProvider(config).status().code(), absl::StatusCode::kFailedPrecondition);

  config.mutable_google()->set_api(herd::v1::GooglePlacesConfig::API_UNSPECIFIED);
  EXPECT_EQ(MakePlacesProvider(config).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace herd::places
