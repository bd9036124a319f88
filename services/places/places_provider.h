#ifndef HERD_SERVICES_PLACES_PLACES_PROVIDER_H_
#define HERD_SERVICES_PLACES_PLACES_PROVIDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "herd/v1/config.pb.h"

namespace herd::places {

// One place near a search center, in the provider-neutral form the node's RPC returns.
struct Place {
  std::string place_id;  // stable: "geonames:<geonameid>" or Google's place id
  std::string name;
  double latitude = 0;
  double longitude = 0;
  std::vector<std::string> types;  // Google place types, e.g. {"locality", "political"}
  std::string vicinity;            // e.g. "CA, US"
  double distance_m = 0;           // great-circle distance from the search center
};

// The answer to one search: structured places and the same answer in the Google Nearby
// Search (legacy) JSON shape, already rendered in Google's style (see google_json.h).
struct PlacesAnswer {
  std::vector<Place> places;
  std::string legacy_json;
};

using PlacesCallback = std::function<void(absl::StatusOr<PlacesAnswer>)>;

// A source of places. Implementations are thread-safe: SearchNearby may be called from
// many threads at once.
class PlacesProvider {
 public:
  virtual ~PlacesProvider();

  // Places within `radius_m` metres of (latitude, longitude) in degrees, at most
  // `max_results`. `done` is called exactly once: inline when the answer is at hand (a cache
  // hit, bad arguments) or later on a provider thread (the embedded index's search threads,
  // the network's I/O thread).
  // It never blocks the caller on network I/O. Keep `done` short (e.g. finish a gRPC
  // reactor): for network providers it runs on their one I/O thread. Bad arguments (non-finite or
  // out-of-range coordinates, radius <= 0, max_results < 1) give INVALID_ARGUMENT; callers enforce
  // the product bounds (radius <= 50 km, 1..20 results) themselves.
  virtual void SearchNearby(double latitude, double longitude, double radius_m, int max_results,
                            PlacesCallback done) = 0;

  // One line for the node's log: the source, its size or endpoint, load time, skipped rows.
  virtual std::string Describe() const;

  // Searches answered from a response cache so far (0 for providers without one).
  virtual uint64_t cache_hits() const;
};

// The provider the config selects. FAILED_PRECONDITION with a message saying what to do when
// none is configured, the GeoNames data file is missing (fetch it with deploy/fetch-geonames)
// or the Google API key's environment variable is unset or empty.
absl::StatusOr<std::unique_ptr<PlacesProvider>> MakePlacesProvider(
    const herd::v1::PlacesConfig& config);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_PLACES_PROVIDER_H_
