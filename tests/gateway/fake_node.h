#ifndef HERD_TESTS_GATEWAY_FAKE_NODE_H_
#define HERD_TESTS_GATEWAY_FAKE_NODE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/exact_time.h"
#include "services/core/mutex.h"

namespace herd::testing {

// An in-process LocationService with knobs a real node does not have: a fixed receive time (for
// byte-exact golden replies), delays (a slow node), canned places JSON, and counters of what
// the gateway sent. Stamps are made with the node's own MakeStamp.
class FakeNode final : public v1::LocationService::Service {
 public:
  // Serves on 127.0.0.1:`port` (0: any free port).
  FakeNode(std::string name, int port = 0);
  ~FakeNode() override;

  const std::string& address() const { return address_; }

  void set_receive_time(std::optional<Instant> t) {
    herd::MutexLock lock(&mu_);
    receive_time_ = t;
  }
  void set_report_delay(absl::Duration d) {
    herd::MutexLock lock(&mu_);
    report_delay_ = d;
  }
  void set_search_delay(absl::Duration d) {
    herd::MutexLock lock(&mu_);
    search_delay_ = d;
  }
  // Off: ReportBatches answers UNIMPLEMENTED, as a node without it would.
  void set_report_stream(bool on) {
    herd::MutexLock lock(&mu_);
    report_stream_ = on;
  }
  void set_places_json(std::string json) {
    herd::MutexLock lock(&mu_);
    places_json_ = std::move(json);
  }

  // Batches received, by ReportBatch or on a ReportBatches stream.
  int report_batch_calls() const { return report_batch_calls_.load(); }
  // ReportBatch calls alone, and ReportBatches streams opened.
  int unary_batch_calls() const { return unary_batch_calls_.load(); }
  int report_streams() const { return report_streams_.load(); }
  int reports_received() const { return reports_received_.load(); }
  int largest_batch() const { return largest_batch_.load(); }
  int search_calls() const { return search_calls_.load(); }
  v1::SearchNearbyRequest last_search() const {
    herd::MutexLock lock(&mu_);
    return last_search_;
  }

  grpc::Status Report(grpc::ServerContext* context, const v1::ReportRequest* request,
                      v1::ReportResponse* response) override;
  grpc::Status ReportBatch(grpc::ServerContext* context, const v1::ReportBatchRequest* request,
                           v1::ReportBatchResponse* response) override;
  grpc::Status ReportBatches(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<v1::ReportBatchResponse, v1::ReportBatchRequest>* stream) override;
  grpc::Status GetLocation(grpc::ServerContext* context, const v1::GetLocationRequest* request,
                           v1::LocationStamp* response) override;
  grpc::Status SearchNearby(grpc::ServerContext* context, const v1::SearchNearbyRequest* request,
                            v1::SearchNearbyResponse* response) override;

 private:
  void Store(const v1::ReportRequest& request, v1::ReportResult* result);
  void AnswerBatch(const v1::ReportBatchRequest& request, v1::ReportBatchResponse* response);

  const std::string name_;
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
  mutable herd::Mutex mu_;
  std::optional<Instant> receive_time_ ABSL_GUARDED_BY(mu_);
  absl::Duration report_delay_ ABSL_GUARDED_BY(mu_);
  absl::Duration search_delay_ ABSL_GUARDED_BY(mu_);
  std::string places_json_ ABSL_GUARDED_BY(mu_);
  bool report_stream_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, v1::LocationStamp> stamps_ ABSL_GUARDED_BY(mu_);
  v1::SearchNearbyRequest last_search_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> report_batch_calls_{0};
  std::atomic<int> unary_batch_calls_{0};
  std::atomic<int> report_streams_{0};
  std::atomic<int> reports_received_{0};
  std::atomic<int> largest_batch_{0};
  std::atomic<int> search_calls_{0};
};

}  // namespace herd::testing

#endif  // HERD_TESTS_GATEWAY_FAKE_NODE_H_
