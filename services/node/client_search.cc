#include "services/node/client_search.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "services/core/exact_time.h"
#include "services/core/stamp.h"

namespace herd {

absl::Status SearchClients(const v1::SearchClientsRequest& request, const StampStore& store,
                           const ClientIndex* index, v1::SearchClientsResponse* response) {
  if (request.max_results() < 1 || request.max_results() > kMaxClientSearchResults) {
    return absl::InvalidArgumentError(absl::StrCat("max_results must be from 1 to ",
                                                   kMaxClientSearchResults, ", got ",
                                                   request.max_results()));
  }
  ClientIndex::Query query;
  switch (request.center_case()) {
    case v1::SearchClientsRequest::kLocation:
      if (absl::Status s = ValidateLatLng(request.location(), "location"); !s.ok()) return s;
      query.center_latitude = request.location().latitude();
      query.center_longitude = request.location().longitude();
      break;
    case v1::SearchClientsRequest::kClientId:
      if (absl::Status s = ValidateClientId(request.client_id()); !s.ok()) return s;
      break;
    default:
      return absl::InvalidArgumentError("center: set location or client_id");
  }
  std::optional<ClientArea> area;
  if (request.has_box()) {
    if (request.radius_km() != 0) {
      return absl::InvalidArgumentError("radius_km must be 0 when box is set");
    }
    absl::StatusOr<ClientArea> box = ClientArea::Box(request.box(), "box");
    if (!box.ok()) return box.status();
    area = *std::move(box);
  } else if (!(request.radius_km() > 0) || request.radius_km() > ClientArea::kMaxRadiusKm) {
    return absl::InvalidArgumentError(absl::StrCat("radius_km must be greater than 0 and at most ",
                                                   ClientArea::kMaxRadiusKm, ", got ",
                                                   request.radius_km()));
  }
  if (index == nullptr) {
    return absl::FailedPreconditionError(
        "this node runs without its client index (config clients.index is false)");
  }
  if (request.center_case() == v1::SearchClientsRequest::kClientId) {
    std::optional<v1::LocationStamp> center = store.Get(request.client_id());
    if (!center) {
      return absl::NotFoundError(
          absl::StrCat("client_id \"", request.client_id(), "\" is not known"));
    }
    query.center_latitude = center->latitude();
    query.center_longitude = center->longitude();
    query.exclude_client_id = request.client_id();
    *response->mutable_center_stamp() = *std::move(center);
  }
  if (!area) {
    absl::StatusOr<ClientArea> circle = ClientArea::Circle(
        query.center_latitude, query.center_longitude, request.radius_km(), "center");
    if (!circle.ok()) return circle.status();
    area = *std::move(circle);
  }
  query.area = &*area;
  query.max_results = request.max_results();
  if (request.max_age_seconds() > 0) {
    query.has_min_received = true;
    query.min_received_seconds = Now().seconds - static_cast<int64_t>(request.max_age_seconds());
  }
  std::vector<ClientIndex::Hit> hits = index->Search(query);
  response->mutable_hits()->Reserve(static_cast<int>(hits.size()));
  for (ClientIndex::Hit& hit : hits) {
    v1::ClientHit* out = response->add_hits();
    *out->mutable_stamp() = std::move(hit.stamp);
    out->set_distance_m(hit.distance_m);
  }
  return absl::OkStatus();
}

}  // namespace herd
