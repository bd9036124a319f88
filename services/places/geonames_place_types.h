#ifndef HERD_SERVICES_PLACES_GEONAMES_PLACE_TYPES_H_
#define HERD_SERVICES_PLACES_GEONAMES_PLACE_TYPES_H_

#include <string>
#include <vector>

#include "services/places/geonames_table.h"

namespace herd::places {

// Google place types for a GeoNames feature, so text clients see familiar values:
//   PPLX (section of a populated place)        -> ["neighborhood", "political"]
//   any other populated place (class P: PPL, PPLA..PPLA5, PPLC, PPLL, PPLG, STLMT, ...)
//                                               -> ["locality", "political"]
//   administrative areas: ADM1..ADM5 -> ["administrative_area_level_N", "political"],
//   PCL* -> ["country", "political"], other class A -> ["political"]
//   anything else                               -> ["point_of_interest"]
// A seat of government (PPLA*) is still a locality: Google's administrative_area_level_N
// names the area itself, not its seat, so it is deliberately not added.
std::vector<std::string> GooglePlaceTypes(const GeoNamesPlace& place);

// "CA, US": the first-order admin code and the country code, leaving out what the data lacks
// (an empty or "00" admin code, an empty country code).
std::string GeoNamesVicinity(const GeoNamesPlace& place);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GEONAMES_PLACE_TYPES_H_
