#ifndef HERD_SERVICES_NODE_LOCATION_SERVICE_H_
#define HERD_SERVICES_NODE_LOCATION_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/arena_message_allocator.h"
#include "services/core/async_log.h"
#include "services/node/client_index.h"
#include "services/node/peer_mesh.h"
#include "services/node/report_batches_stream.h"
#include "services/node/stamp_acceptor.h"
#include "services/node/stamp_store.h"
#include "services/node/stamp_validator.h"
#include "services/node/watch_hub.h"
#include "services/places/places_provider.h"

namespace herd {

// The client-facing API of a node.
class LocationServiceImpl : public v1::LocationService::CallbackService {
 public:
  // `places` may be null: SearchNearby then answers FAILED_PRECONDITION.
  LocationServiceImpl(std::string self, StampStore* store, StampAcceptor* acceptor, PeerMesh* mesh,
                      const StampValidator* validator, AsyncLog* log,
                      places::PlacesProvider* places);

  grpc::ServerUnaryReactor* Report(grpc::CallbackServerContext* context,
                                   const v1::ReportRequest* request,
                                   v1::ReportResponse* response) override;
  grpc::ServerUnaryReactor* ReportBatch(grpc::CallbackServerContext* context,
                                        const v1::ReportBatchRequest* request,
                                        v1::ReportBatchResponse* response) override;
  grpc::ServerBidiReactor<v1::ReportBatchRequest, v1::ReportBatchResponse>* ReportBatches(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetLocation(grpc::CallbackServerContext* context,
                                        const v1::GetLocationRequest* request,
                                        v1::LocationStamp* response) override;
  grpc::ServerUnaryReactor* SearchNearby(grpc::CallbackServerContext* context,
                                         const v1::SearchNearbyRequest* request,
                                         v1::SearchNearbyResponse* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::NodeStatus* response) override;
  // Searches and watches over clients (client_search.h, watch_hub.h).
  grpc::ServerUnaryReactor* SearchClients(grpc::CallbackServerContext* context,
                                          const v1::SearchClientsRequest* request,
                                          v1::SearchClientsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchEvent>* Watch(grpc::CallbackServerContext* context,
                                                  const v1::WatchRequest* request) override;
  // Ends the open ReportBatches streams (see ReportBatchStreams); call before the server's
  // shutdown, which would otherwise wait for them until its deadline.
  void StopReportStreams() { report_streams_.StopAll(); }
  // Set once before serving; `index` may be null (the node runs without it).
  void set_client_queries(const ClientIndex* index, WatchHub* watches) {
    client_index_ = index;
    watches_ = watches;
  }

  // Limits of SearchNearby.
  static constexpr double kMaxRadiusKm = 50;
  static constexpr uint32_t kMaxResults = 20;
  // Limit of ReportBatch.
  static constexpr int kMaxBatchReports = 65536;

 private:
  // ReportBatch's work, shared with ReportBatches: INVALID_ARGUMENT for a batch over the limit.
  absl::Status AnswerBatch(const v1::ReportBatchRequest& request,
                           v1::ReportBatchResponse* response);
  // Makes this node's stamp of a report into `response` (INVALID_ARGUMENT names the bad field).
  absl::Status MakeReportStamp(const v1::ReportRequest& request, v1::ReportResponse* response);
  // Accepts the responses' stamps as one batch (stored, durable, flooded) and sets `stored`.
  absl::Status AcceptReports(const std::vector<v1::ReportResponse*>& responses);

  const std::string self_;
  StampStore* const store_;
  StampAcceptor* const acceptor_;
  PeerMesh* const mesh_;
  const StampValidator* const validator_;
  AsyncLog* const log_;
  places::PlacesProvider* const places_;
  const ClientIndex* client_index_ = nullptr;
  WatchHub* watches_ = nullptr;
  ArenaMessageAllocator<v1::ReportBatchRequest, v1::ReportBatchResponse> report_batch_allocator_;
  ReportBatchStreams report_streams_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_LOCATION_SERVICE_H_
