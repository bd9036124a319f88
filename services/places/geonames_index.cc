#include "services/places/geonames_index.h"

#include <algorithm>
#include <utility>

#include "s2/s2closest_point_query.h"
#include "services/places/geo_math.h"

namespace herd::places {

GeoNamesIndex::GeoNamesIndex(std::vector<GeoNamesPlace> places) : places_(std::move(places)) {
  for (uint32_t i = 0; i < places_.size(); ++i) {
    index_.Add(PointFromDegrees(places_[i].latitude, places_[i].longitude), i);
  }
}

std::vector<GeoNamesIndex::Hit> GeoNamesIndex::Search(double latitude, double longitude,
                                                      double radius_m, size_t max_results) const {
  std::vector<Hit> hits;
  if (!(radius_m > 0) || max_results == 0) return hits;
  const S2Point center = PointFromDegrees(latitude, longitude);

  S2ClosestPointQuery<uint32_t> query(&index_);
  // Conservative: S2 may return points a rounding error beyond the radius, never miss one
  // inside it; the exact cut below uses the same distance we report, so both always agree.
  query.mutable_options()->set_conservative_max_distance(ChordAngleFromMeters(radius_m));
  // Every point at most (also silences S2's "returning all points" warning for radii that
  // cover the whole sphere).
  query.mutable_options()->set_max_results(static_cast<int>(std::max<size_t>(1, places_.size())));
  S2ClosestPointQuery<uint32_t>::PointTarget target(center);
  for (const auto& result : query.FindClosestPoints(&target)) {
    const double distance = DistanceMeters(center, result.point());
    if (distance <= radius_m) hits.push_back({&places_[result.data()], distance});
  }

  auto more_prominent = [](const Hit& a, const Hit& b) {
    if (a.place->population != b.place->population) {
      return a.place->population > b.place->population;
    }
    if (a.distance_m != b.distance_m) return a.distance_m < b.distance_m;
    return a.place->geoname_id < b.place->geoname_id;
  };
  if (hits.size() > max_results) {
    std::partial_sort(hits.begin(), hits.begin() + max_results, hits.end(), more_prominent);
    hits.resize(max_results);
  } else {
    std::sort(hits.begin(), hits.end(), more_prominent);
  }
  return hits;
}

}  // namespace herd::places
