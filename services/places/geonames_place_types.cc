#include "services/places/geonames_place_types.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace herd::places {

std::vector<std::string> GooglePlaceTypes(const GeoNamesPlace& place) {
  const std::string& code = place.feature_code;
  if (place.feature_class == 'P') {
    if (code == "PPLX") return {"neighborhood", "political"};
    return {"locality", "political"};
  }
  if (place.feature_class == 'A') {
    if (code.size() == 4 && absl::StartsWith(code, "ADM") && code[3] >= '1' && code[3] <= '5') {
      return {absl::StrCat("administrative_area_level_", code.substr(3)), "political"};
    }
    if (absl::StartsWith(code, "PCL")) return {"country", "political"};
    return {"political"};
  }
  return {"point_of_interest"};
}

std::string GeoNamesVicinity(const GeoNamesPlace& place) {
  std::string vicinity;
  if (!place.admin1_code.empty() && place.admin1_code != "00") vicinity = place.admin1_code;
  if (!place.country_code.empty()) {
    if (!vicinity.empty()) vicinity.append(", ");
    vicinity.append(place.country_code);
  }
  return vicinity;
}

}  // namespace herd::places
