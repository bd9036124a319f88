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
  // Every stored stamp's AT line, back to back, for the flood's log lines: (begin, end) in
  // at_text. One buffer for the batch instead of a string per stamp.
  std::string at_text;
  std::vector<std::pair<size_t, size_t>> at_lines;
  AsyncLog::Batch log_lines(log_);
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
    const size_t at_begin = at_text.size();
    AppendAtLine(*stamp, &at_text);
    const absl::string_view at_line(at_text.data() + at_begin, at_text.size() - at_begin);
    const absl::string_view outcome = was_stored ? " stored" : " stale";
    if (source.kind == StampSource::Kind::kClient) {
      log_lines.AddStamp({"report ", at_line, outcome});
    } else {
      log_lines.Add({"recv ", at_line, " from ", source.peer, outcome});
    }
    if (was_stored) {
      at_lines.emplace_back(at_begin, at_text.size());
    } else {
      at_text.resize(at_begin);
    }
  }
  // Before the store's error or the flood's lines, as when each line was written on its own.
  log_lines.Commit();
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
      const auto [begin, end] = at_lines[i];
      items.push_back(
          {stored[i], absl::string_view(at_text).substr(begin, end - begin), stored_covered[i]});
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
