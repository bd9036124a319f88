#ifndef HERD_SERVICES_PLACES_RESPONSE_CACHE_H_
#define HERD_SERVICES_PLACES_RESPONSE_CACHE_H_

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herd::places {

// A small thread-safe string cache with a time to live and least-recently-used eviction, so
// repeated searches do not pay (or spend quota) twice.
class ResponseCache {
 public:
  using Clock = std::function<absl::Time()>;

  // max_entries 0 disables caching.
  ResponseCache(absl::Duration ttl, size_t max_entries, Clock clock = absl::Now);

  // The value stored under `key` if it is younger than the TTL.
  std::optional<std::string> Get(const std::string& key);
  void Put(const std::string& key, std::string value);

  size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::string value;
    absl::Time expires;
  };
  using List = std::list<Entry>;  // front: most recently used

  const absl::Duration ttl_;
  const size_t max_entries_;
  const Clock clock_;

  mutable absl::Mutex mu_;
  List entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, List::iterator> by_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_RESPONSE_CACHE_H_
