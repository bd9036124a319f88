#include "services/places/places_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "services/places/geonames_provider.h"
#include "services/places/google_places_provider.h"
#include "services/places/pooled_places_provider.h"

namespace herd::places {
namespace {

// Searches of the embedded index that may wait for a search thread (a few hundred microseconds
// each): beyond them a node is far behind, and a search is refused at once.
constexpr size_t kMaxWaitingSearches = 1024;

}  // namespace

PlacesProvider::~PlacesProvider() = default;

std::string PlacesProvider::Describe() const { return "places provider"; }

uint64_t PlacesProvider::cache_hits() const { return 0; }

absl::StatusOr<std::unique_ptr<PlacesProvider>> MakePlacesProvider(
    const herd::v1::PlacesConfig& config) {
  switch (config.provider_case()) {
    case herd::v1::PlacesConfig::kGeonames: {
      if (config.geonames().data_file().empty()) {
        return absl::FailedPreconditionError(
            "places.geonames.data_file is empty: fetch the GeoNames cities500 data with "
            "deploy/fetch-geonames and set data_file to the path it prints");
      }
      auto provider = GeoNamesProvider::Load(config.geonames().data_file());
      if (!provider.ok()) return provider.status();
      return std::unique_ptr<PlacesProvider>(std::make_unique<PooledPlacesProvider>(
          *std::move(provider), PooledPlacesProvider::ThreadsForHost(), kMaxWaitingSearches));
    }
    case herd::v1::PlacesConfig::kGoogle: {
      auto options = GooglePlacesOptions::FromConfig(config.google());
      if (!options.ok()) return options.status();
      auto provider = GooglePlacesProvider::Create(*std::move(options));
      if (!provider.ok()) return provider.status();
      return std::unique_ptr<PlacesProvider>(*std::move(provider));
    }
    case herd::v1::PlacesConfig::PROVIDER_NOT_SET:
      break;
  }
  return absl::FailedPreconditionError(
      "no places provider configured: set places.geonames.data_file (embedded GeoNames data, "
      "fetched with deploy/fetch-geonames) or places.google");
}

}  // namespace herd::places
