#ifndef HERD_SERVICES_PLACES_GEO_MATH_H_
#define HERD_SERVICES_PLACES_GEO_MATH_H_

#include "s2/s1chord_angle.h"
#include "s2/s2point.h"

namespace herd::places {

// Mean radius of the Earth (IUGG), the sphere every distance here is measured on.
inline constexpr double kEarthRadiusMeters = 6371008.8;

// The unit-sphere point of a latitude/longitude in degrees.
S2Point PointFromDegrees(double latitude, double longitude);

// Great-circle distance in metres. Computed with atan2 of |cross| and dot (S1Angle), which
// stays accurate for tiny, antipodal, polar and antimeridian-crossing pairs alike.
double DistanceMeters(const S2Point& a, const S2Point& b);
double DistanceMeters(double lat1, double lng1, double lat2, double lng2);

// The chord angle of a radius on the Earth's surface; radii past half the circumference
// become the straight angle (the whole sphere).
S1ChordAngle ChordAngleFromMeters(double radius_m);

// True when latitude is in [-90, 90] and longitude in [-180, 180] and both are finite.
bool ValidLatLng(double latitude, double longitude);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GEO_MATH_H_
