#ifndef HERD_SERVICES_PLACES_LEGACY_NEARBY_JSON_H_
#define HERD_SERVICES_PLACES_LEGACY_NEARBY_JSON_H_

#include <string>
#include <vector>

#include "services/places/places_provider.h"

namespace herd::places {

// Renders places in the Google Nearby Search (legacy) answer shape, Google-style:
// {"html_attributions": [...], "results": [{"geometry": {"location": {"lat", "lng"}}, "name",
// "place_id", "types", "vicinity"}...], "status": "OK" | "ZERO_RESULTS"}, keys in Google's
// (alphabetical) order. Used for sources that are not the legacy API itself.
std::string RenderLegacyNearbyJson(const std::vector<Place>& places,
                                   const std::vector<std::string>& html_attributions);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_LEGACY_NEARBY_JSON_H_
