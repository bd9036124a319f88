#include "services/core/rpc_latency_interceptor.h"

#include <chrono>

#include "services/core/metrics_server.h"

namespace herd {
namespace {

class RpcLatencyInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit RpcLatencyInterceptor(prometheus::Histogram* histogram)
      : histogram_(histogram), started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      histogram_->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    }
    methods->Proceed();
  }

 private:
  prometheus::Histogram* const histogram_;
  const std::chrono::steady_clock::time_point started_;
};

}  // namespace

RpcLatencyInterceptorFactory::RpcLatencyInterceptorFactory(
    prometheus::Family<prometheus::Histogram>& family,
    const std::vector<std::string>& full_methods) {
  for (const std::string& method : full_methods) {
    std::string short_name = method.substr(method.rfind('/') + 1);
    histograms_[method] = &family.Add({{"method", short_name}}, LatencyBuckets());
  }
}

grpc::experimental::Interceptor* RpcLatencyInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
  auto it = histograms_.find(info->method());
  if (it == histograms_.end()) return nullptr;
  return new RpcLatencyInterceptor(it->second);
}

}  // namespace herd
