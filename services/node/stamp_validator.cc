#include "services/node/stamp_validator.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/core/iso6709.h"
#include "services/core/stamp.h"

namespace herd {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

std::string Quoted(absl::string_view text) {
  constexpr size_t kShown = 64;
  return absl::StrCat("\"", absl::CEscape(text.substr(0, kShown)),
                      text.size() > kShown ? "...\"" : "\"");
}

std::string Format(const Instant& t) {
  return absl::StrCat(t.seconds, ".", absl::Dec(t.nanos, absl::kZeroPad9));
}

}  // namespace

std::unique_ptr<StampValidator> StampValidator::ForConfig(const HerdConfig& config) {
  std::set<std::string, std::less<>> node_names;
  for (const v1::NodeConfig& node : config.proto().nodes()) node_names.insert(node.name());
  return std::make_unique<StampValidator>(std::move(node_names), config.max_client_time_ahead());
}

StampValidator::StampValidator(std::set<std::string, std::less<>> node_names,
                               absl::Duration max_ahead)
    : node_names_(std::move(node_names)), max_ahead_(max_ahead) {}

absl::Status StampValidator::CheckNotAhead(absl::string_view field, const Instant& time,
                                           const Instant& now) const {
  if (max_ahead_ <= absl::ZeroDuration()) return absl::OkStatus();
  const int64_t bound_seconds = absl::ToInt64Seconds(max_ahead_);
  const Instant limit{now.seconds + bound_seconds, now.nanos};
  if (limit < time) {
    return Bad(field, absl::StrCat(Format(time), " is more than ", bound_seconds,
                                   " s ahead of this node's clock (", Format(now), ")"));
  }
  return absl::OkStatus();
}

absl::Status StampValidator::CheckClientTime(const v1::LocationStamp& stamp,
                                             const Instant& now) const {
  return CheckNotAhead("client_time", FromProto(stamp.client_time()), now);
}

absl::Status StampValidator::Check(const v1::LocationStamp& stamp, const Instant& now) const {
  if (absl::Status s = ValidateClientId(stamp.client_id()); !s.ok()) return s;

  if (stamp.location_text().size() > kMaxTextBytes) {
    return Bad("location_text", absl::StrCat("is longer than ", kMaxTextBytes, " bytes"));
  }
  absl::StatusOr<GeoPoint> point = ParseIso6709(stamp.location_text());
  if (!point.ok()) return Bad("location_text", point.status().message());
  // The same parser made the numbers at the origin: they match exactly or were forged.
  if (point->latitude != stamp.latitude() || point->longitude != stamp.longitude()) {
    return Bad("latitude/longitude",
               absl::StrCat(stamp.latitude(), ",", stamp.longitude(), " are not what ",
                            Quoted(stamp.location_text()), " says"));
  }

  if (stamp.client_time_text().size() > kMaxTextBytes) {
    return Bad("client_time_text", absl::StrCat("is longer than ", kMaxTextBytes, " bytes"));
  }
  absl::StatusOr<Instant> time = ParseClientTime(stamp.client_time_text());
  if (!time.ok()) return Bad("client_time_text", time.status().message());
  if (stamp.client_time().nanos() > 999999999 || *time != FromProto(stamp.client_time())) {
    return Bad("client_time",
               absl::StrCat(stamp.client_time().seconds(), "s ", stamp.client_time().nanos(),
                            "ns are not what ", Quoted(stamp.client_time_text()), " says"));
  }
  if (absl::Status s = CheckNotAhead("client_time", *time, now); !s.ok()) return s;

  if (node_names_.find(stamp.origin()) == node_names_.end()) {
    return Bad("origin", absl::StrCat(Quoted(stamp.origin()), " is not a node of this herd"));
  }
  if (stamp.received_at().nanos() > 999999999) {
    return Bad("received_at", "nanos must be below 1000000000");
  }
  return CheckNotAhead("received_at", FromProto(stamp.received_at()), now);
}

void StampValidator::RecordDropped(absl::string_view peer, const absl::Status& why, AsyncLog* log) {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  uint64_t also_dropped;
  {
    absl::MutexLock lock(&log_mu_);
    absl::Time now = absl::Now();
    if (now - last_logged_ < kLogInterval) {
      ++unlogged_;
      return;
    }
    last_logged_ = now;
    also_dropped = unlogged_;
    unlogged_ = 0;
  }
  log->Write(absl::StrCat(
      "recv from ", peer, " dropped invalid stamp: ", why.message(),
      also_dropped > 0 ? absl::StrCat(" (and ", also_dropped, " more since the last such line)")
                       : "",
      "; ", dropped(), " dropped in all"));
}

}  // namespace herd
