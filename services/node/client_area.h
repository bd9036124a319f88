#ifndef HERD_SERVICES_NODE_CLIENT_AREA_H_
#define HERD_SERVICES_NODE_CLIENT_AREA_H_

#include <vector>

#include "absl/status/statusor.h"
#include "herd/v1/location_service.pb.h"
#include "s2/s2cell_id.h"
#include "s2/s2point.h"

namespace herd {

// An area of the sphere that client searches and watches select: a circle (every point at most
// a radius from a centre, by great-circle distance) or a latitude/longitude box. Membership is
// decided on a stamp's latitude and longitude as stored, with exact comparisons, so every node
// decides alike; the S2 covering only narrows the candidates and always contains the area.
class ClientArea {
 public:
  // Limits of an area, the same for SearchClients and Watch (stated in location_service.proto).
  static constexpr double kMaxRadiusKm = 1000;
  static constexpr double kMaxBoxLatitudeSpan = 20;   // degrees
  static constexpr double kMaxBoxLongitudeSpan = 40;  // degrees

  // INVALID_ARGUMENT naming `field` for a bad centre or a radius outside (0, kMaxRadiusKm].
  static absl::StatusOr<ClientArea> Circle(double latitude, double longitude, double radius_km,
                                           const char* field);
  // `box.low` is the south-west corner, `box.high` the north-east one; the box crosses the
  // antimeridian when low.longitude > high.longitude.
  static absl::StatusOr<ClientArea> Box(const v1::LatLngBox& box, const char* field);

  bool Contains(double latitude, double longitude) const;
  // The same, given also `point`, which must be places::PointFromDegrees(latitude, longitude):
  // a circle then needs no trigonometry of its own.
  bool Contains(double latitude, double longitude, const S2Point& point) const;
  // Cells whose union contains the area. `max_cells` is a hint; with `min_level`/`level_mod`
  // the cells are only of levels min_level + k * level_mod up to max_level.
  std::vector<S2CellId> Covering(int max_cells, int min_level = 0, int max_level = 30,
                                 int level_mod = 1) const;
  // Cells whose union contains the area, for a search: a circle's is made without S2's region
  // coverer, which cost a 50 km search more than reading its candidates (see the .cc);
  // a box's is Covering(max_cells).
  std::vector<S2CellId> SearchCovering(int max_cells) const;

  bool is_circle() const { return circle_; }

 private:
  ClientArea() = default;

  bool circle_ = true;
  // Circle.
  S2Point center_;
  double radius_m_ = 0;
  // Box, in degrees as given.
  double low_latitude_ = 0, low_longitude_ = 0, high_latitude_ = 0, high_longitude_ = 0;
};

// INVALID_ARGUMENT naming `field` unless latitude is in [-90, 90] and longitude in [-180, 180].
absl::Status ValidateLatLng(const v1::LatLng& location, const char* field);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_CLIENT_AREA_H_
