#ifndef HERD_SERVICES_NODE_METERED_PLACES_PROVIDER_H_
#define HERD_SERVICES_NODE_METERED_PLACES_PROVIDER_H_

#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <memory>
#include <string>

#include "services/places/places_provider.h"

namespace herd {

// A places provider that times every search of the one it wraps (request to answer, whether the
// answer comes inline or later on the provider's thread) and counts the failed ones.
class MeteredPlacesProvider : public places::PlacesProvider {
 public:
  MeteredPlacesProvider(std::unique_ptr<places::PlacesProvider> provider,
                        prometheus::Histogram* seconds, prometheus::Counter* errors)
      : provider_(std::move(provider)), seconds_(seconds), errors_(errors) {}

  void SearchNearby(double latitude, double longitude, double radius_m, int max_results,
                    places::PlacesCallback done) override;
  std::string Describe() const override { return provider_->Describe(); }
  uint64_t cache_hits() const override { return provider_->cache_hits(); }

 private:
  const std::unique_ptr<places::PlacesProvider> provider_;
  prometheus::Histogram* const seconds_;
  prometheus::Counter* const errors_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_METERED_PLACES_PROVIDER_H_
