#include "services/node/stamp_acceptor.h"

#include "absl/strings/str_cat.h"
#include "services/core/stamp.h"

namespace herd {

absl::Status StampAcceptor::Accept(const std::vector<const v1::LocationStamp*>& stamps,
                                   const StampSource& source,
                                   std::vector<StampStore::MergeResult>* results) {
  results->clear();
  results->reserve(stamps.size());
  std::vector<const v1::LocationStamp*> stored;
  std::vector<std::string> at_lines;
  const bool logged = source.kind != StampSource::Kind::kCatchUp;
  for (const v1::LocationStamp* stamp : stamps) {
    StampStore::MergeResult result = store_->Merge(*stamp);
    results->push_back(result);
    bool was_stored = result == StampStore::MergeResult::kStored;
    if (was_stored) stored.push_back(stamp);
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
  if (durable_ != nullptr) {
    if (absl::Status s = durable_->Write(stored); !s.ok()) {
      log_->Write(absl::StrCat("store write failed: ", s.message()));
      return s;
    }
  }
  // Catch-up stamps are not flooded: the link asks the other links for rounds instead.
  if (logged && flooder_ != nullptr) {
    absl::string_view except = source.kind == StampSource::Kind::kFlood ? source.peer : "";
    for (size_t i = 0; i < stored.size(); ++i) flooder_->Flood(*stored[i], at_lines[i], except);
  }
  return absl::OkStatus();
}

absl::StatusOr<StampStore::MergeResult> StampAcceptor::Accept(const v1::LocationStamp& stamp,
                                                              const StampSource& source) {
  std::vector<StampStore::MergeResult> results;
  if (absl::Status s = Accept({&stamp}, source, &results); !s.ok()) return s;
  return results[0];
}

}  // namespace herd
