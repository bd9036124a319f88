#ifndef HERD_SERVICES_NODE_NODE_H_
#define HERD_SERVICES_NODE_NODE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/core/async_log.h"
#include "services/core/config.h"
#include "services/core/metrics_server.h"
#include "services/node/client_index.h"
#include "services/node/durable_store.h"
#include "services/node/location_service.h"
#include "services/node/node_metrics.h"
#include "services/node/peer_mesh.h"
#include "services/node/stamp_acceptor.h"
#include "services/node/stamp_store.h"
#include "services/node/stamp_validator.h"
#include "services/node/watch_hub.h"
#include "services/places/places_provider.h"

namespace herd {

// A running herd node: its store, its peer links and its gRPC server.
class Node {
 public:
  // Starts the node `name` of `config`: opens its log, loads its places provider, listens on
  // its grpc_address and starts dialing its peers.
  static absl::StatusOr<std::unique_ptr<Node>> Start(const HerdConfig& config,
                                                     const std::string& name);
  ~Node();  // Shutdown()

  // Closes every link and stops the server (open calls are cancelled after a short grace).
  void Shutdown();

  // The port the server listens on (useful when the config says port 0).
  int port() const { return port_; }
  const std::string& name() const { return name_; }
  StampStore& store() { return store_; }
  PeerMesh& mesh() { return *mesh_; }
  AsyncLog& log() { return *log_; }

 private:
  Node() = default;

  std::string name_;
  // Outlives every component that counts into it; null without metricsAddress.
  std::unique_ptr<NodeMetrics> metrics_;
  std::unique_ptr<AsyncLog> log_;
  std::unique_ptr<DurableStore> durable_;  // null without storage.dataDir
  StampStore store_;
  std::unique_ptr<ClientIndex> client_index_;  // null with clients.index false
  std::unique_ptr<WatchHub> watches_;
  std::unique_ptr<StampValidator> validator_;
  std::unique_ptr<StampAcceptor> acceptor_;
  std::unique_ptr<places::PlacesProvider> places_;
  std::unique_ptr<PeerMesh> mesh_;
  std::unique_ptr<LocationServiceImpl> location_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
  // Declared last: stops serving before what its collector reads goes away.
  std::unique_ptr<MetricsServer> metrics_server_;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_NODE_H_
