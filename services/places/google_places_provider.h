#ifndef HERD_SERVICES_PLACES_GOOGLE_PLACES_PROVIDER_H_
#define HERD_SERVICES_PLACES_GOOGLE_PLACES_PROVIDER_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "herd/v1/config.pb.h"
#include "services/places/curl_http_client.h"
#include "services/places/google_places_api.h"
#include "services/places/places_provider.h"
#include "services/places/response_cache.h"

namespace herd::places {

struct GooglePlacesOptions {
  GoogleApi api = GoogleApi::kNearbySearchLegacy;
  std::string base_url;  // no trailing slash
  std::string api_key;
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration cache_ttl = absl::Seconds(60);
  size_t cache_max_entries = 1024;
  size_t max_body_bytes = 4 << 20;
  ResponseCache::Clock clock = absl::Now;  // tests move time past the TTL

  // The config's settings with defaults filled in and the key read from the environment
  // variable it names: FAILED_PRECONDITION when that variable is unset or empty.
  static absl::StatusOr<GooglePlacesOptions> FromConfig(const herd::v1::GooglePlacesConfig& config);
};

// Google Places over HTTPS through a non-blocking libcurl client, with a response cache keyed
// by (location, radius). Only successful answers (OK, ZERO_RESULTS) are cached, as raw bodies,
// so one cached answer serves every count.
class GooglePlacesProvider : public PlacesProvider {
 public:
  static absl::StatusOr<std::unique_ptr<GooglePlacesProvider>> Create(GooglePlacesOptions options);
  // Pending searches complete with CANCELLED before this returns.
  ~GooglePlacesProvider() override;

  void SearchNearby(double latitude, double longitude, double radius_m, int max_results,
                    PlacesCallback done) override;
  std::string Describe() const override;
  uint64_t cache_hits() const override { return cache_hits_.load(std::memory_order_relaxed); }

 private:
  GooglePlacesProvider(GooglePlacesOptions options, std::unique_ptr<CurlHttpClient> http);

  const GooglePlacesOptions options_;
  ResponseCache cache_;
  std::atomic<uint64_t> cache_hits_{0};
  // Declared last so it is destroyed first: its thread's last callbacks still see the cache.
  std::unique_ptr<CurlHttpClient> http_;
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GOOGLE_PLACES_PROVIDER_H_
