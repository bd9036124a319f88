#ifndef HERD_SERVICES_PLACES_GEONAMES_INDEX_H_
#define HERD_SERVICES_PLACES_GEONAMES_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "s2/s2point_index.h"
#include "services/places/geonames_table.h"

namespace herd::places {

// An immutable spatial index over GeoNames places: an S2PointIndex (cells on the sphere), so
// a search visits only the cells that meet the search cap, never the whole table, and radius
// edges are exact at the poles and across the antimeridian. Safe for concurrent searches.
class GeoNamesIndex {
 public:
  explicit GeoNamesIndex(std::vector<GeoNamesPlace> places);

  struct Hit {
    const GeoNamesPlace* place;
    double distance_m;
  };

  // Places whose great-circle distance from the center is at most `radius_m`, ranked by
  // prominence: population descending, then distance ascending, then geonameid; at most
  // `max_results`. Requires valid coordinates; radius <= 0 finds nothing.
  std::vector<Hit> Search(double latitude, double longitude, double radius_m,
                          size_t max_results) const;

  size_t size() const { return places_.size(); }

 private:
  std::vector<GeoNamesPlace> places_;
  S2PointIndex<uint32_t> index_;  // data: position in places_
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GEONAMES_INDEX_H_
