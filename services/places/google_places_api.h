#ifndef HERD_SERVICES_PLACES_GOOGLE_PLACES_API_H_
#define HERD_SERVICES_PLACES_GOOGLE_PLACES_API_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/places/curl_http_client.h"
#include "services/places/places_provider.h"

namespace herd::places {

// The two Google APIs behind the same answer shape. Pure code: requests out, answers in.
enum class GoogleApi {
  kNearbySearchLegacy,  // GET {base}/maps/api/place/nearbysearch/json
  kPlacesNew,           // POST {base}/v1/places:searchNearby
};

// Places API (New) answers only the fields named in this mask (and bills by it).
inline constexpr char kPlacesNewFieldMask[] =
    "places.id,places.displayName,places.location,places.types,places.shortFormattedAddress,"
    "places.formattedAddress";

// The New API is always asked for its maximum (20) so one cached answer serves any count.
inline constexpr int kPlacesNewMaxResultCount = 20;

struct NearbyQuery {
  double latitude = 0;
  double longitude = 0;
  double radius_m = 0;
};

// The HTTP request for `query`. `base_url` has no trailing slash.
HttpRequest BuildGoogleRequest(GoogleApi api, const std::string& base_url,
                               const std::string& api_key, const NearbyQuery& query,
                               absl::Duration timeout);

// Turns Google's HTTP answer into places and the legacy-shaped JSON, cut to `max_results`.
// OK and ZERO_RESULTS are answers; Google's error statuses map to absl codes naming Google
// and its message (REQUEST_DENIED -> PERMISSION_DENIED, OVER_QUERY_LIMIT ->
// RESOURCE_EXHAUSTED, INVALID_REQUEST -> INVALID_ARGUMENT, the New API's error.status by
// name); an HTTP error without a Google error body, a non-JSON body or JSON without the
// expected fields is UNAVAILABLE.
absl::StatusOr<PlacesAnswer> ParseGoogleAnswer(GoogleApi api, const HttpResponse& response,
                                               const NearbyQuery& query, int max_results);

// "Google Places Nearby Search (legacy)" / "Google Places API (New)".
const char* GoogleApiName(GoogleApi api);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GOOGLE_PLACES_API_H_
