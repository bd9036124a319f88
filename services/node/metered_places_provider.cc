#include "services/node/metered_places_provider.h"

#include <chrono>
#include <utility>

namespace herd {

void MeteredPlacesProvider::SearchNearby(double latitude, double longitude, double radius_m,
                                         int max_results, places::PlacesCallback done) {
  const auto started = std::chrono::steady_clock::now();
  provider_->SearchNearby(
      latitude, longitude, radius_m, max_results,
      [this, started, done = std::move(done)](absl::StatusOr<places::PlacesAnswer> answer) {
        seconds_->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (!answer.ok()) errors_->Increment();
        done(std::move(answer));
      });
}

}  // namespace herd
