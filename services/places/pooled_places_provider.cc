#include "services/places/pooled_places_provider.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace herd::places {

PooledPlacesProvider::PooledPlacesProvider(std::unique_ptr<PlacesProvider> inline_provider,
                                           int threads, size_t max_waiting)
    : provider_(std::move(inline_provider)), max_waiting_(max_waiting) {
  threads_.reserve(std::max(threads, 1));
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { Serve(); });
}

PooledPlacesProvider::~PooledPlacesProvider() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

int PooledPlacesProvider::ThreadsForHost() {
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

void PooledPlacesProvider::SearchNearby(double latitude, double longitude, double radius_m,
                                        int max_results, PlacesCallback done) {
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    if (!stopping && waiting_.size() < max_waiting_) {
      waiting_.push_back({latitude, longitude, radius_m, max_results, std::move(done)});
      return;
    }
  }
  done(stopping ? absl::UnavailableError("places search refused: the provider is stopping")
                : absl::ResourceExhaustedError(absl::StrCat("places search refused: ", max_waiting_,
                                                            " searches are waiting already")));
}

void PooledPlacesProvider::Serve() {
  for (;;) {
    Search search;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !waiting_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      // Searches still waiting are answered before the threads stop.
      if (waiting_.empty()) return;
      search = std::move(waiting_.front());
      waiting_.pop_front();
    }
    provider_->SearchNearby(search.latitude, search.longitude, search.radius_m, search.max_results,
                            std::move(search.done));
  }
}

std::string PooledPlacesProvider::Describe() const {
  return absl::StrCat(provider_->Describe(), "; searched on ", threads_.size(), " threads");
}

}  // namespace herd::places
