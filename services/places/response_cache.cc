#include "services/places/response_cache.h"

namespace herd::places {

ResponseCache::ResponseCache(absl::Duration ttl, size_t max_entries, Clock clock)
    : ttl_(ttl), max_entries_(max_entries), clock_(std::move(clock)) {}

std::optional<std::string> ResponseCache::Get(const std::string& key) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  if (now >= it->second->expires) {
    entries_.erase(it->second);
    by_key_.erase(it);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->value;
}

void ResponseCache::Put(const std::string& key, std::string value) {
  if (max_entries_ == 0) return;
  const absl::Time expires = clock_() + ttl_;
  absl::MutexLock lock(&mu_);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    it->second->value = std::move(value);
    it->second->expires = expires;
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.push_front(Entry{key, std::move(value), expires});
  by_key_[key] = entries_.begin();
  while (entries_.size() > max_entries_) {
    by_key_.erase(entries_.back().key);
    entries_.pop_back();
  }
}

size_t ResponseCache::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace herd::places
