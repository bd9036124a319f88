#ifndef HERD_SERVICES_CORE_RPC_LATENCY_INTERCEPTOR_H_
#define HERD_SERVICES_CORE_RPC_LATENCY_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace herd {

// Times the unary calls of the given methods on a gRPC server, from the call's start to its
// status being sent, into `family` (one histogram per method, label `method` = the method's
// short name, e.g. "Report"). Other methods (streams, health, reflection) get no interceptor.
// Install with ServerBuilder::experimental().SetInterceptorCreators.
class RpcLatencyInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `full_methods`: "/package.Service/Method" names.
  RpcLatencyInterceptorFactory(prometheus::Family<prometheus::Histogram>& family,
                               const std::vector<std::string>& full_methods);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  // Filled at construction, read-only after: no lock per call.
  std::map<std::string, prometheus::Histogram*, std::less<>> histograms_;
};

}  // namespace herd

#endif  // HERD_SERVICES_CORE_RPC_LATENCY_INTERCEPTOR_H_
