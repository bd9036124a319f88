#include "services/places/geonames_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/places/geo_math.h"
#include "services/places/geonames_place_types.h"
#include "services/places/legacy_nearby_json.h"

namespace herd::places {

absl::StatusOr<std::unique_ptr<GeoNamesProvider>> GeoNamesProvider::Load(const std::string& path) {
  const absl::Time start = absl::Now();
  absl::StatusOr<GeoNamesTable> table = LoadGeoNamesFile(path);
  if (!table.ok()) return table.status();
  LoadStats stats;
  stats.path = path;
  stats.malformed_rows = table->malformed_rows;
  stats.first_malformed_line = table->first_malformed_line;
  auto provider = std::make_unique<GeoNamesProvider>(*std::move(table), stats);
  provider->stats_.load_time = absl::Now() - start;
  return provider;
}

GeoNamesProvider::GeoNamesProvider(GeoNamesTable table, LoadStats stats)
    : index_(std::move(table.places)), stats_(std::move(stats)) {
  stats_.places = index_.size();
}

absl::StatusOr<PlacesAnswer> GeoNamesProvider::Search(double latitude, double longitude,
                                                      double radius_m, int max_results) const {
  if (!ValidLatLng(latitude, longitude)) {
    return absl::InvalidArgumentError(
        absl::StrCat("places search center out of range: ", latitude, ",", longitude));
  }
  if (!(radius_m > 0) || max_results < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("places search needs radius > 0 and max_results >= 1, got ", radius_m,
                     " m and ", max_results));
  }
  PlacesAnswer answer;
  for (const GeoNamesIndex::Hit& hit :
       index_.Search(latitude, longitude, radius_m, static_cast<size_t>(max_results))) {
    Place place;
    place.place_id = absl::StrCat("geonames:", hit.place->geoname_id);
    place.name = hit.place->name;
    place.latitude = hit.place->latitude;
    place.longitude = hit.place->longitude;
    place.types = GooglePlaceTypes(*hit.place);
    place.vicinity = GeoNamesVicinity(*hit.place);
    place.distance_m = hit.distance_m;
    answer.places.push_back(std::move(place));
  }
  answer.legacy_json = RenderLegacyNearbyJson(answer.places, {kGeoNamesAttribution});
  return answer;
}

void GeoNamesProvider::SearchNearby(double latitude, double longitude, double radius_m,
                                    int max_results, PlacesCallback done) {
  done(Search(latitude, longitude, radius_m, max_results));
}

std::string GeoNamesProvider::Describe() const {
  return absl::StrFormat("GeoNames %s: %d places, %d malformed rows skipped%s, loaded in %s",
                         stats_.path, stats_.places, stats_.malformed_rows,
                         stats_.malformed_rows > 0
                             ? absl::StrCat(" (first at line ", stats_.first_malformed_line, ")")
                             : "",
                         absl::FormatDuration(stats_.load_time));
}

}  // namespace herd::places
