#include "services/node/location_service.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "services/core/exact_time.h"
#include "services/core/grpc_status.h"
#include "services/core/stamp.h"
#include "services/node/client_search.h"

namespace herd {
namespace {

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context,
                                     const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::Status ValidateSearch(const v1::SearchNearbyRequest& request) {
  if (!(request.radius_km() > 0) || request.radius_km() > LocationServiceImpl::kMaxRadiusKm) {
    return absl::InvalidArgumentError(absl::StrCat("radius_km must be greater than 0 and at most ",
                                                   LocationServiceImpl::kMaxRadiusKm, ", got ",
                                                   request.radius_km()));
  }
  if (request.max_results() < 1 || request.max_results() > LocationServiceImpl::kMaxResults) {
    return absl::InvalidArgumentError(absl::StrCat("max_results must be from 1 to ",
                                                   LocationServiceImpl::kMaxResults, ", got ",
                                                   request.max_results()));
  }
  switch (request.center_case()) {
    case v1::SearchNearbyRequest::kClientId:
      return ValidateClientId(request.client_id());
    case v1::SearchNearbyRequest::kLocation: {
      double lat = request.location().latitude(), lng = request.location().longitude();
      if (!std::isfinite(lat) || std::fabs(lat) > 90) {
        return absl::InvalidArgumentError("location.latitude must be within [-90, 90]");
      }
      if (!std::isfinite(lng) || std::fabs(lng) > 180) {
        return absl::InvalidArgumentError("location.longitude must be within [-180, 180]");
      }
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError("center: set client_id or location");
  }
}

void ToProto(const places::Place& place, v1::Place* out) {
  out->set_place_id(place.place_id);
  out->set_name(place.name);
  out->set_latitude(place.latitude);
  out->set_longitude(place.longitude);
  for (const std::string& type : place.types) out->add_types(type);
  out->set_vicinity(place.vicinity);
  out->set_distance_m(place.distance_m);
}

}  // namespace

LocationServiceImpl::LocationServiceImpl(std::string self, StampStore* store,
                                         StampAcceptor* acceptor, PeerMesh* mesh,
                                         const StampValidator* validator, AsyncLog* log,
                                         places::PlacesProvider* places)
    : self_(std::move(self)),
      store_(store),
      acceptor_(acceptor),
      mesh_(mesh),
      validator_(validator),
      log_(log),
      places_(places),
      report_streams_(
          [this](const v1::ReportBatchRequest& request, v1::ReportBatchResponse* response) {
            return AnswerBatch(request, response);
          }) {
  SetMessageAllocatorFor_ReportBatch(&report_batch_allocator_);
}

absl::Status LocationServiceImpl::MakeReportStamp(const v1::ReportRequest& request,
                                                  v1::ReportResponse* response) {
  const Instant now = Now();
  v1::LocationStamp* stamp = response->mutable_stamp();
  absl::Status status = MakeStampInto(request.client_id(), request.location(),
                                      request.client_time(), self_, now, stamp);
  if (status.ok()) status = validator_->CheckClientTime(*stamp, now);
  if (!status.ok()) {
    log_->Write(absl::StrCat("report rejected: ", status.message()));
    return status;
  }
  return absl::OkStatus();
}

absl::Status LocationServiceImpl::AcceptReports(const std::vector<v1::ReportResponse*>& responses) {
  std::vector<const v1::LocationStamp*> stamps;
  stamps.reserve(responses.size());
  for (const v1::ReportResponse* response : responses) stamps.push_back(&response->stamp());
  std::vector<StampStore::MergeResult> results;
  if (absl::Status s = acceptor_->Accept(stamps, StampSource::Client(), &results); !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < responses.size(); ++i) {
    responses[i]->set_stored(results[i] == StampStore::MergeResult::kStored);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LocationServiceImpl::Report(grpc::CallbackServerContext* context,
                                                      const v1::ReportRequest* request,
                                                      v1::ReportResponse* response) {
  absl::Status status = MakeReportStamp(*request, response);
  if (status.ok()) status = AcceptReports({response});
  return FinishWith(context, status);
}

absl::Status LocationServiceImpl::AnswerBatch(const v1::ReportBatchRequest& request,
                                              v1::ReportBatchResponse* response) {
  if (request.reports_size() > kMaxBatchReports) {
    return absl::InvalidArgumentError(absl::StrCat("reports: at most ", kMaxBatchReports,
                                                   " per batch, got ", request.reports_size()));
  }
  response->mutable_results()->Reserve(request.reports_size());
  std::vector<v1::ReportResult*> valid;
  std::vector<v1::ReportResponse*> stamped;
  for (const v1::ReportRequest& report : request.reports()) {
    v1::ReportResult* result = response->add_results();
    absl::Status status = MakeReportStamp(report, result->mutable_response());
    if (status.ok()) {
      valid.push_back(result);
      stamped.push_back(result->mutable_response());
    } else {
      result->clear_response();
      result->set_code(static_cast<int32_t>(status.code()));
      result->set_message(std::string(status.message()));
    }
  }
  // The whole batch is one write to the node's durable store.
  if (absl::Status status = AcceptReports(stamped); !status.ok()) {
    for (v1::ReportResult* result : valid) {
      result->clear_response();
      result->set_code(static_cast<int32_t>(status.code()));
      result->set_message(std::string(status.message()));
    }
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LocationServiceImpl::ReportBatch(grpc::CallbackServerContext* context,
                                                           const v1::ReportBatchRequest* request,
                                                           v1::ReportBatchResponse* response) {
  return FinishWith(context, AnswerBatch(*request, response));
}

grpc::ServerBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse>*
LocationServiceImpl::ReportBatches(grpc::CallbackServerContext* /*context*/) {
  return report_streams_.Open();
}

grpc::ServerUnaryReactor* LocationServiceImpl::GetLocation(grpc::CallbackServerContext* context,
                                                           const v1::GetLocationRequest* request,
                                                           v1::LocationStamp* response) {
  if (absl::Status s = ValidateClientId(request->client_id()); !s.ok()) {
    return FinishWith(context, s);
  }
  std::optional<v1::LocationStamp> stamp = store_->Get(request->client_id());
  if (!stamp) {
    return FinishWith(context, absl::NotFoundError(absl::StrCat(
                                   "client_id \"", request->client_id(), "\" is not known")));
  }
  *response = *std::move(stamp);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LocationServiceImpl::SearchNearby(grpc::CallbackServerContext* context,
                                                            const v1::SearchNearbyRequest* request,
                                                            v1::SearchNearbyResponse* response) {
  if (absl::Status s = ValidateSearch(*request); !s.ok()) return FinishWith(context, s);
  if (places_ == nullptr) {
    return FinishWith(context, absl::FailedPreconditionError(
                                   "no places provider is configured (config: places)"));
  }
  double latitude, longitude;
  if (request->center_case() == v1::SearchNearbyRequest::kClientId) {
    std::optional<v1::LocationStamp> stamp = store_->Get(request->client_id());
    if (!stamp) {
      return FinishWith(context, absl::NotFoundError(absl::StrCat(
                                     "client_id \"", request->client_id(), "\" is not known")));
    }
    latitude = stamp->latitude();
    longitude = stamp->longitude();
    *response->mutable_stamp() = *std::move(stamp);
  } else {
    latitude = request->location().latitude();
    longitude = request->location().longitude();
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  places_->SearchNearby(
      latitude, longitude, request->radius_km() * 1000, static_cast<int>(request->max_results()),
      [reactor, response,
       json_only = request->json_only()](absl::StatusOr<places::PlacesAnswer> answer) {
        if (!answer.ok()) {
          reactor->Finish(ToGrpcStatus(answer.status()));
          return;
        }
        if (!json_only) {
          for (const places::Place& place : answer->places) ToProto(place, response->add_places());
        }
        response->set_legacy_json(std::move(answer->legacy_json));
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* LocationServiceImpl::GetStatus(grpc::CallbackServerContext* context,
                                                         const v1::GetStatusRequest* request,
                                                         v1::NodeStatus* response) {
  response->set_node(self_);
  response->set_stamp_count(store_->size());
  response->set_store_digest(store_->Digest());
  response->set_dropped_peer_stamps(mesh_->validator().dropped());
  for (const std::string& peer : mesh_->LivePeers()) response->add_linked_peers(peer);
  PeerMesh::SyncCounters sync = mesh_->sync_counters();
  response->set_sync_rounds(sync.rounds);
  response->set_catch_up_sent(sync.catch_up_sent);
  response->set_catch_up_received(sync.catch_up_received);
  response->set_sync_messages_sent(sync.messages_sent);
  return FinishWith(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* LocationServiceImpl::SearchClients(
    grpc::CallbackServerContext* context, const v1::SearchClientsRequest* request,
    v1::SearchClientsResponse* response) {
  return FinishWith(context, herd::SearchClients(*request, *store_, client_index_, response));
}

grpc::ServerWriteReactor<v1::WatchEvent>* LocationServiceImpl::Watch(
    grpc::CallbackServerContext* context, const v1::WatchRequest* request) {
  return watches_->Open(*request);
}

}  // namespace herd
