#ifndef HERD_SERVICES_PLACES_POOLED_PLACES_PROVIDER_H_
#define HERD_SERVICES_PLACES_POOLED_PLACES_PROVIDER_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "services/places/places_provider.h"

namespace herd::places {

// Runs the searches of a provider that answers inline (the embedded GeoNames index) on threads
// of its own, so that the thread asking, a node's gRPC callback thread, only hands them over. A
// search with its JSON answer takes a few hundred microseconds of CPU; a node may run every gRPC
// callback on one thread (core/callback_thread_park.h), and searches on it would take turns
// where the host has cores to run them side by side.
//
// At most `max_waiting` searches wait for a thread; one more is answered RESOURCE_EXHAUSTED at
// once. Destruction answers the searches still waiting, then joins the threads.
class PooledPlacesProvider : public PlacesProvider {
 public:
  PooledPlacesProvider(std::unique_ptr<PlacesProvider> inline_provider, int threads,
                       size_t max_waiting);
  ~PooledPlacesProvider() override;

  void SearchNearby(double latitude, double longitude, double radius_m, int max_results,
                    PlacesCallback done) override;
  std::string Describe() const override;
  uint64_t cache_hits() const override { return provider_->cache_hits(); }

  // Threads for a host: one per core.
  static int ThreadsForHost();

 private:
  struct Search {
    double latitude, longitude, radius_m;
    int max_results;
    PlacesCallback done;
  };
  void Serve();

  const std::unique_ptr<PlacesProvider> provider_;
  const size_t max_waiting_;
  absl::Mutex mu_;
  std::deque<Search> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_POOLED_PLACES_PROVIDER_H_
