#include "services/places/google_places_provider.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "services/places/geo_math.h"

namespace herd::places {

absl::StatusOr<GooglePlacesOptions> GooglePlacesOptions::FromConfig(
    const herd::v1::GooglePlacesConfig& config) {
  GooglePlacesOptions options;
  switch (config.api()) {
    case herd::v1::GooglePlacesConfig::NEARBY_SEARCH_LEGACY:
      options.api = GoogleApi::kNearbySearchLegacy;
      options.base_url = "https://maps.googleapis.com";
      break;
    case herd::v1::GooglePlacesConfig::PLACES_NEW:
      options.api = GoogleApi::kPlacesNew;
      options.base_url = "https://places.googleapis.com";
      break;
    default:
      return absl::FailedPreconditionError(
          "places.google.api must be NEARBY_SEARCH_LEGACY or PLACES_NEW");
  }
  if (!config.base_url().empty()) {
    if (!absl::StartsWith(config.base_url(), "http://") &&
        !absl::StartsWith(config.base_url(), "https://")) {
      return absl::FailedPreconditionError(
          absl::StrCat("places.google.base_url must start with http:// or https://, got \"",
                       config.base_url(), "\""));
    }
    options.base_url = std::string(absl::StripSuffix(config.base_url(), "/"));
  }
  if (config.api_key_env().empty()) {
    return absl::FailedPreconditionError(
        "places.google.api_key_env must name the environment variable holding the API key");
  }
  const char* key = std::getenv(config.api_key_env().c_str());
  if (key == nullptr || key[0] == '\0') {
    return absl::FailedPreconditionError(absl::StrCat(
        "Google Places is configured but the environment variable ", config.api_key_env(),
        " (places.google.api_key_env) holding its API key is unset or empty"));
  }
  options.api_key = key;
  for (const char c : options.api_key) {
    // The key goes into a header and a URL: no control characters.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return absl::FailedPreconditionError(
          absl::StrCat("the API key in ", config.api_key_env(), " contains control characters"));
    }
  }
  if (config.timeout_ms() > 0) options.timeout = absl::Milliseconds(config.timeout_ms());
  if (config.cache_ttl_seconds() > 0) options.cache_ttl = absl::Seconds(config.cache_ttl_seconds());
  if (config.cache_max_entries() > 0) options.cache_max_entries = config.cache_max_entries();
  return options;
}

absl::StatusOr<std::unique_ptr<GooglePlacesProvider>> GooglePlacesProvider::Create(
    GooglePlacesOptions options) {
  CurlHttpClient::Options http_options;
  http_options.max_body_bytes = options.max_body_bytes;
  absl::StatusOr<std::unique_ptr<CurlHttpClient>> http = CurlHttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  return std::unique_ptr<GooglePlacesProvider>(
      new GooglePlacesProvider(std::move(options), *std::move(http)));
}

GooglePlacesProvider::GooglePlacesProvider(GooglePlacesOptions options,
                                           std::unique_ptr<CurlHttpClient> http)
    : options_(std::move(options)),
      cache_(options_.cache_ttl, options_.cache_max_entries, options_.clock),
      http_(std::move(http)) {}

GooglePlacesProvider::~GooglePlacesProvider() { http_.reset(); }

void GooglePlacesProvider::SearchNearby(double latitude, double longitude, double radius_m,
                                        int max_results, PlacesCallback done) {
  if (!ValidLatLng(latitude, longitude)) {
    done(absl::InvalidArgumentError(
        absl::StrCat("places search center out of range: ", latitude, ",", longitude)));
    return;
  }
  if (!(radius_m > 0) || !std::isfinite(radius_m) || max_results < 1) {
    done(absl::InvalidArgumentError(
        absl::StrCat("places search needs radius > 0 and max_results >= 1, got ", radius_m,
                     " m and ", max_results)));
    return;
  }
  const NearbyQuery query{latitude, longitude, radius_m};
  // ~1 cm of latitude and radius: the same client location hits, a moved client misses.
  const std::string key = absl::StrFormat("%.7f,%.7f,%.2f", latitude, longitude, radius_m);
  if (std::optional<std::string> body = cache_.Get(key)) {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
    done(ParseGoogleAnswer(options_.api, HttpResponse{200, *std::move(body)}, query, max_results));
    return;
  }
  HttpRequest request = BuildGoogleRequest(options_.api, options_.base_url, options_.api_key, query,
                                           options_.timeout);
  http_->Fetch(std::move(request), [this, query, key, max_results,
                                    done = std::move(done)](absl::StatusOr<HttpResponse> response) {
    if (!response.ok()) {
      done(response.status());
      return;
    }
    absl::StatusOr<PlacesAnswer> answer =
        ParseGoogleAnswer(options_.api, *response, query, max_results);
    if (answer.ok()) cache_.Put(key, std::move(response->body));
    done(std::move(answer));
  });
}

std::string GooglePlacesProvider::Describe() const {
  return absl::StrFormat("%s at %s (timeout %s, cache %s x %d entries)",
                         GoogleApiName(options_.api), options_.base_url,
                         absl::FormatDuration(options_.timeout),
                         absl::FormatDuration(options_.cache_ttl), options_.cache_max_entries);
}

}  // namespace herd::places
