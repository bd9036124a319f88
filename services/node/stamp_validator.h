#ifndef HERD_SERVICES_NODE_STAMP_VALIDATOR_H_
#define HERD_SERVICES_NODE_STAMP_VALIDATOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "herd/v1/stamp.pb.h"
#include "services/core/async_log.h"
#include "services/core/config.h"
#include "services/core/exact_time.h"

namespace herd {

// What a node accepts into its store. A client time far in the future would win every merge
// for good (last writer wins by client time), so no stamp may carry one, whoever sends it.
//
// Reports from clients are checked with CheckClientTime after the node made the stamp (parsing
// has checked the rest). Stamps from peers get the whole of Check: a peer could send anything a
// genuine node would never have made. Thread-safe.
class StampValidator {
 public:
  // `node_names`: the herd's configured nodes (valid origins). `max_ahead`: how far a client time
  // (or an origin's receive time) may be ahead of `now`; zero turns that check off.
  StampValidator(std::set<std::string, std::less<>> node_names, absl::Duration max_ahead);
  // The validator of a node of `config`: its nodes, its client-time bound.
  static std::unique_ptr<StampValidator> ForConfig(const HerdConfig& config);

  // INVALID_ARGUMENT naming client_time when it is more than the bound ahead of `now`.
  absl::Status CheckClientTime(const v1::LocationStamp& stamp, const Instant& now) const;

  // Everything about a peer's stamp: the client id; the location text parses to exactly the
  // latitude and longitude it carries; the client time text parses to exactly its seconds and
  // nanoseconds; texts within the protocol's sizes; times within the bound; the origin a
  // configured node. INVALID_ARGUMENT naming the first bad field.
  absl::Status Check(const v1::LocationStamp& stamp, const Instant& now) const;

  // Counts a dropped peer stamp and logs it: at most one line per `log_interval`, which also
  // says how many were dropped since the previous line, so a flood of bad stamps cannot fill
  // the disk.
  void RecordDropped(absl::string_view peer, const absl::Status& why, AsyncLog* log);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Longest location or client time text a peer may send (the gateway's longest line).
  static constexpr size_t kMaxTextBytes = 65536;
  static constexpr absl::Duration kLogInterval = absl::Seconds(1);

 private:
  absl::Status CheckNotAhead(absl::string_view field, const Instant& time,
                             const Instant& now) const;

  const std::set<std::string, std::less<>> node_names_;
  const absl::Duration max_ahead_;
  std::atomic<uint64_t> dropped_{0};
  absl::Mutex log_mu_;
  absl::Time last_logged_ ABSL_GUARDED_BY(log_mu_) = absl::InfinitePast();
  uint64_t unlogged_ ABSL_GUARDED_BY(log_mu_) = 0;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_VALIDATOR_H_
