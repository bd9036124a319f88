#include "services/places/geo_math.h"

#include <cmath>

#include "s2/s1angle.h"
#include "s2/s2latlng.h"

namespace herd::places {

S2Point PointFromDegrees(double latitude, double longitude) {
  return S2LatLng::FromDegrees(latitude, longitude).ToPoint();
}

double DistanceMeters(const S2Point& a, const S2Point& b) {
  return S1Angle(a, b).radians() * kEarthRadiusMeters;
}

double DistanceMeters(double lat1, double lng1, double lat2, double lng2) {
  return DistanceMeters(PointFromDegrees(lat1, lng1), PointFromDegrees(lat2, lng2));
}

S1ChordAngle ChordAngleFromMeters(double radius_m) {
  if (!(radius_m > 0)) return S1ChordAngle::Zero();
  const double radians = radius_m / kEarthRadiusMeters;
  if (radians >= M_PI) return S1ChordAngle::Straight();
  return S1ChordAngle(S1Angle::Radians(radians));
}

bool ValidLatLng(double latitude, double longitude) {
  return std::isfinite(latitude) && std::isfinite(longitude) && latitude >= -90 && latitude <= 90 &&
         longitude >= -180 && longitude <= 180;
}

}  // namespace herd::places
