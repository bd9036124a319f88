#include "services/node/stamp_acceptor.h"

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"
#include "services/node/node_metrics.h"

namespace herd {

absl::Status StampAcceptor::Accept(const std::vector<const v1::LocationStamp*>& stamps,
                                   const StampSource& source,
                                   std::vector<StampStore::MergeResult>* results,
                                   const std::vector<uint64_t>& covered) {
  results->clear();
  results->reserve(stamps.size());
  std::vector<const v1::LocationStamp*> stored;
  std::vector<uint64_t> stored_covered;
  std::vector<std::string> at_lines;
  const bool has_covered = covered.size() == stamps.size();
  const bool logged = source.kind != StampSource::Kind::kCatchUp;
  // Merging a stamp misses the cache twice at 100,000 clients (its bucket, then the bucket's
  // table), so the batch asks for both ahead: a stamp's bucket 2 * kAhead stamps before it is
  // merged, its entry kAhead stamps before (which reads the bucket, in cache by then).
  constexpr size_t kAhead = 4;
  std::vector<uint64_t> key_hashes;
  key_hashes.reserve(stamps.size());
  for (const v1::LocationStamp* stamp : stamps) {
    key_hashes.push_back(StampStore::KeyHash(stamp->client_id()));
  }
  for (size_t i = 0; i < 2 * kAhead && i < stamps.size(); ++i) {
    store_->PrefetchBucket(key_hashes[i]);
    if (i < kAhead) store_->PrefetchEntry(stamps[i]->client_id(), key_hashes[i]);
  }
  for (size_t i = 0; i < stamps.size(); ++i) {
    if (const size_t next = i + 2 * kAhead; next < stamps.size()) {
      store_->PrefetchBucket(key_hashes[next]);
    }
    if (const size_t next = i + kAhead; next < stamps.size()) {
      store_->PrefetchEntry(stamps[next]->client_id(), key_hashes[next]);
    }
    const v1::LocationStamp* stamp = stamps[i];
    StampStore::MergeResult result = store_->Merge(*stamp);
    results->push_back(result);
    bool was_stored = result == StampStore::MergeResult::kStored;
    if (was_stored) {
      stored.push_back(stamp);
      stored_covered.push_back(has_covered ? covered[i] : 0);
    }
    if (!logged) continue;
    std::string at_line = FormatAtLine(*stamp);
    if (source.kind == StampSource::Kind::kClient) {
      log_->WriteStamp(absl::StrCat("report ", at_line, was_stored ? " stored" : " stale"));
    } else {
      log_->Write(
          absl::StrCat("recv ", at_line, " from ", source.peer, was_stored ? " stored" : " stale"));
    }
    if (was_stored) at_lines.push_back(std::move(at_line));
  }
  if (metrics_ != nullptr) CountBatch(stamps.size(), stored.size(), source);
  if (durable_ != nullptr) {
    if (absl::Status s = durable_->Write(stored); !s.ok()) {
      log_->Write(absl::StrCat("store write failed: ", s.message()));
      return s;
    }
  }
  // Catch-up stamps are not flooded: the link asks the other links for rounds instead.
  if (logged && flooder_ != nullptr) {
    absl::string_view except = source.kind == StampSource::Kind::kFlood ? source.peer : "";
    std::vector<StampFlooder::Item> items;
    items.reserve(stored.size());
    for (size_t i = 0; i < stored.size(); ++i) {
      items.push_back({stored[i], at_lines[i], stored_covered[i]});
    }
    if (!items.empty()) flooder_->Flood(items, except);
  }
  return absl::OkStatus();
}

void StampAcceptor::CountBatch(size_t received, size_t stored, const StampSource& source) {
  // One add per counter per batch, not per stamp.
  switch (source.kind) {
    case StampSource::Kind::kClient:
      metrics_->reports_client.Increment(received);
      break;
    case StampSource::Kind::kFlood:
      metrics_->reports_peer.Increment(received);
      break;
    case StampSource::Kind::kCatchUp:
      metrics_->reports_catch_up.Increment(received);
      break;
  }
  if (stored > 0) {
    metrics_->merges_stored.Increment(stored);
    metrics_->digest_changes.Increment();
  }
  if (received > stored) metrics_->merges_stale.Increment(received - stored);
}

absl::StatusOr<StampStore::MergeResult> StampAcceptor::Accept(const v1::LocationStamp& stamp,
                                                              const StampSource& source) {
  std::vector<StampStore::MergeResult> results;
  if (absl::Status s = Accept({&stamp}, source, &results); !s.ok()) return s;
  return results[0];
}

}  // namespace herd
