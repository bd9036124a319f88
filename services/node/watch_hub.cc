#include "services/node/watch_hub.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "s2/s2cell_id.h"
#include "services/core/grpc_status.h"
#include "services/core/stamp.h"
#include "services/places/geo_math.h"

namespace herd {
namespace {

// A Watch call that ends at once with `status`.
class RefusedWatch : public grpc::ServerWriteReactor<v1::WatchEvent> {
 public:
  explicit RefusedWatch(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

absl::StatusOr<std::optional<ClientArea>> AreaOf(const v1::WatchRequest& request) {
  switch (request.target_case()) {
    case v1::WatchRequest::kCircle: {
      if (absl::Status s = ValidateLatLng(request.circle().center(), "circle.center"); !s.ok()) {
        return s;
      }
      absl::StatusOr<ClientArea> area = ClientArea::Circle(request.circle().center().latitude(),
                                                           request.circle().center().longitude(),
                                                           request.circle().radius_km(), "circle");
      if (!area.ok()) return area.status();
      return std::optional<ClientArea>(*std::move(area));
    }
    case v1::WatchRequest::kBox: {
      absl::StatusOr<ClientArea> area = ClientArea::Box(request.box(), "box");
      if (!area.ok()) return area.status();
      return std::optional<ClientArea>(*std::move(area));
    }
    case v1::WatchRequest::kClients: {
      const auto& ids = request.clients().client_ids();
      if (ids.empty() || ids.size() > WatchHub::kMaxWatchedClients) {
        return absl::InvalidArgumentError(absl::StrCat("clients.client_ids: from 1 to ",
                                                       WatchHub::kMaxWatchedClients, " ids, got ",
                                                       ids.size()));
      }
      for (const std::string& id : ids) {
        if (absl::Status s = ValidateClientId(id); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat("clients.client_ids: ", s.message()));
        }
      }
      return std::optional<ClientArea>();
    }
    default:
      return absl::InvalidArgumentError("target: set clients, circle or box");
  }
}

void EraseFrom(std::vector<WatchStream*>& streams, WatchStream* stream) {
  streams.erase(std::remove(streams.begin(), streams.end(), stream), streams.end());
}

}  // namespace

WatchHub::WatchHub(Options options) : options_(options) {}

grpc::ServerWriteReactor<v1::WatchEvent>* WatchHub::Open(const v1::WatchRequest& request) {
  absl::StatusOr<std::optional<ClientArea>> area = AreaOf(request);
  if (!area.ok()) return new RefusedWatch(area.status());
  std::vector<std::string> ids;
  if (!area->has_value()) {
    ids.assign(request.clients().client_ids().begin(), request.clients().client_ids().end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  std::vector<S2CellId> cells;
  if (area->has_value()) cells = (*area)->Covering(kCoveringCells, kMinLevel, kMaxLevel, kLevelMod);

  auto* stream = new WatchStream(this, *std::move(area), std::move(ids), options_.queue_events);
  // READY goes first, before any stamp can match.
  stream->Push(v1::WatchEvent::READY, nullptr);
  {
    absl::MutexLock lock(&mu_);
    if (registered_ >= options_.max_watchers) {
      stream->Unref();
      return new RefusedWatch(absl::ResourceExhaustedError(
          absl::StrCat("this node serves at most ", options_.max_watchers,
                       " watches at once (config clients.maxWatchers)")));
    }
    ++registered_;
    open_.store(registered_, std::memory_order_relaxed);
    for (const std::string& id : stream->client_ids()) by_client_[id].push_back(stream);
    for (const S2CellId& cell : cells) {
      std::vector<WatchStream*>& list = by_cell_[cell.id()];
      if (std::find(list.begin(), list.end(), stream) == list.end()) list.push_back(stream);
    }
  }
  stream->Deliver();
  return stream;
}

void WatchHub::Remove(WatchStream* stream) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : stream->client_ids()) {
    auto it = by_client_.find(id);
    if (it == by_client_.end()) continue;
    EraseFrom(it->second, stream);
    if (it->second.empty()) by_client_.erase(it);
  }
  if (stream->area().has_value()) {
    for (const S2CellId& cell :
         stream->area()->Covering(kCoveringCells, kMinLevel, kMaxLevel, kLevelMod)) {
      auto it = by_cell_.find(cell.id());
      if (it == by_cell_.end()) continue;
      EraseFrom(it->second, stream);
      if (it->second.empty()) by_cell_.erase(it);
    }
  }
  --registered_;
  open_.store(registered_, std::memory_order_relaxed);
}

void WatchHub::Match(double latitude, double longitude, std::vector<WatchStream*>* out) const {
  if (by_cell_.empty()) return;
  const S2CellId leaf(places::PointFromDegrees(latitude, longitude));
  for (int level = kMinLevel; level <= kMaxLevel; level += kLevelMod) {
    auto it = by_cell_.find(leaf.parent(level).id());
    if (it != by_cell_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
  }
}

void WatchHub::OnStored(const StoredStamp* previous, const v1::LocationStamp& stored, uint64_t) {
  if (open_.load(std::memory_order_relaxed) == 0) return;
  std::vector<WatchStream*> to_kick;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = by_client_.find(stored.client_id()); it != by_client_.end()) {
      const auto type = previous == nullptr ? v1::WatchEvent::ENTER : v1::WatchEvent::MOVE;
      for (WatchStream* stream : it->second) {
        if (stream->Push(type, &stored)) to_kick.push_back(stream);
      }
    }
    std::vector<WatchStream*> candidates;
    Match(stored.latitude(), stored.longitude(), &candidates);
    if (previous != nullptr) Match(previous->latitude(), previous->longitude(), &candidates);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (WatchStream* stream : candidates) {
      const ClientArea& area = *stream->area();
      const bool now_in = area.Contains(stored.latitude(), stored.longitude());
      const bool was_in =
          previous != nullptr && area.Contains(previous->latitude(), previous->longitude());
      if (!now_in && !was_in) continue;
      const auto type =
          now_in ? (was_in ? v1::WatchEvent::MOVE : v1::WatchEvent::ENTER) : v1::WatchEvent::EXIT;
      if (stream->Push(type, &stored)) to_kick.push_back(stream);
    }
    // Still under mu_: the streams cannot be removed before they hold the kick's reference.
    for (WatchStream* stream : to_kick) Kick(stream);
  }
}

namespace {
// The streams this thread's OnStored kicked (each holding a reference), for its AfterStored.
thread_local std::vector<WatchStream*> kicked_here;
}  // namespace

void WatchHub::Kick(WatchStream* stream) {
  stream->Ref();
  kicked_here.push_back(stream);
}

void WatchHub::AfterStored() {
  if (kicked_here.empty()) return;
  // Taken first: a write that starts here must not see this thread's list change under it.
  std::vector<WatchStream*> kicked;
  kicked.swap(kicked_here);
  for (WatchStream* stream : kicked) {
    stream->Deliver();
    stream->Unref();
  }
}

}  // namespace herd
