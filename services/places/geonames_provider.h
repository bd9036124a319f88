#ifndef HERD_SERVICES_PLACES_GEONAMES_PROVIDER_H_
#define HERD_SERVICES_PLACES_GEONAMES_PROVIDER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/places/geonames_index.h"
#include "services/places/places_provider.h"

namespace herd::places {

// CC BY 4.0 asks for attribution; it travels in every answer's html_attributions.
inline constexpr char kGeoNamesAttribution[] =
    "Place data from <a href=\"https://www.geonames.org/\">GeoNames</a>, licensed under "
    "<a href=\"https://creativecommons.org/licenses/by/4.0/\">CC BY 4.0</a>";

// The embedded provider: GeoNames cities500 in memory, searched through an S2 index. Answers
// inline (no I/O after loading).
class GeoNamesProvider : public PlacesProvider {
 public:
  struct LoadStats {
    std::string path;
    size_t places = 0;
    size_t malformed_rows = 0;
    size_t first_malformed_line = 0;
    absl::Duration load_time;  // reading, parsing and indexing
  };

  // Reads, parses and indexes a cities500-format file (see geonames_table.h for errors).
  static absl::StatusOr<std::unique_ptr<GeoNamesProvider>> Load(const std::string& path);

  GeoNamesProvider(GeoNamesTable table, LoadStats stats);

  void SearchNearby(double latitude, double longitude, double radius_m, int max_results,
                    PlacesCallback done) override;
  std::string Describe() const override;

  // The synchronous form of SearchNearby.
  absl::StatusOr<PlacesAnswer> Search(double latitude, double longitude, double radius_m,
                                      int max_results) const;

  const LoadStats& stats() const { return stats_; }

 private:
  GeoNamesIndex index_;
  LoadStats stats_;
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GEONAMES_PROVIDER_H_
