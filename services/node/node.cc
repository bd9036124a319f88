#include "services/node/node.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/core/log_options.h"
#include "services/core/rpc_latency_interceptor.h"
#include "services/core/transport_security.h"
#include "services/node/clients_options.h"
#include "services/node/metered_places_provider.h"

namespace herd {

absl::StatusOr<std::unique_ptr<Node>> Node::Start(const HerdConfig& config,
                                                  const std::string& name) {
  const v1::NodeConfig* node_config = config.FindNode(name);
  if (node_config == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--name: no node \"", name, "\" in the config"));
  }
  std::unique_ptr<Node> node(new Node());
  node->name_ = name;

  std::error_code error;
  std::filesystem::create_directories(config.log_dir(), error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create log directory ", config.log_dir(), ": ", error.message()));
  }
  AsyncLog::Options log_options = LogOptionsFrom(config.proto().log());
  // The per-stamp lines the peer links write (one per stamp sent and received).
  log_options.stamp_line_prefixes = {"send ", "recv "};
  absl::StatusOr<std::unique_ptr<AsyncLog>> log =
      AsyncLog::Open(absl::StrCat(config.log_dir(), "/", name, ".log"), log_options);
  if (!log.ok()) return log.status();
  node->log_ = *std::move(log);

  if (!node_config->metrics_address().empty()) {
    auto registry = std::make_shared<prometheus::Registry>();
    node->metrics_ = std::make_unique<NodeMetrics>(registry, config.PeersOf(name));
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(node_config->metrics_address(), registry);
    if (!server.ok()) return server.status();
    node->metrics_server_ = *std::move(server);
  }

  if (config.proto().places().provider_case() != v1::PlacesConfig::PROVIDER_NOT_SET) {
    absl::StatusOr<std::unique_ptr<places::PlacesProvider>> places =
        places::MakePlacesProvider(config.proto().places());
    if (!places.ok()) return places.status();
    node->places_ = *std::move(places);
    if (node->metrics_ != nullptr) {
      node->places_ = std::make_unique<MeteredPlacesProvider>(std::move(node->places_),
                                                              &node->metrics_->places_seconds,
                                                              &node->metrics_->places_errors);
    }
    node->log_->Write(absl::StrCat("places: ", node->places_->Describe()));
  }

  absl::StatusOr<TransportSecurity> security = TransportSecurity::ForNode(config, name);
  if (!security.ok()) return security.status();
  if (!security->tls() && !IsLoopbackAddress(node_config->grpc_listen_address())) {
    // Anyone who reaches the port can claim to be a peer and write stamps: say so loudly.
    std::string warning = absl::StrCat(
        "WARNING: node ", name, " serves gRPC on ", node_config->grpc_listen_address(),
        " WITHOUT TLS: any host that reaches this address can pose as a peer node. Add a "
        "\"tls\" section to the config (deploy/herd certs makes the certificates).");
    std::fprintf(stderr, "herd-node %s\n", warning.c_str());
    node->log_->Write(warning);
  }

  // Searches and watches over clients observe the store from its first stamp (the load).
  absl::StatusOr<ClientsOptions> clients = ClientsOptionsFrom(config.proto());
  if (!clients.ok()) return clients.status();
  if (clients->index) {
    node->client_index_ = std::make_unique<ClientIndex>(&node->store_);
    node->store_.AddObserver(node->client_index_.get());
  }
  node->watches_ = std::make_unique<WatchHub>(clients->watch);
  node->store_.AddObserver(node->watches_.get());

  node->validator_ = StampValidator::ForConfig(config);
  if (!config.proto().storage().data_dir().empty()) {
    std::vector<std::string> names;
    for (const v1::NodeConfig& n : config.proto().nodes()) names.push_back(n.name());
    std::string dir = absl::StrCat(config.proto().storage().data_dir(), "/", name);
    absl::Time started = absl::Now();
    absl::StatusOr<std::unique_ptr<DurableStore>> durable = DurableStore::Open(
        dir, DurableStore::Identity(names, name), config.proto().storage().fsync());
    if (!durable.ok()) return durable.status();
    node->durable_ = *std::move(durable);
    absl::StatusOr<uint64_t> loaded = node->durable_->LoadInto(&node->store_);
    if (!loaded.ok()) return loaded.status();
    node->log_->Write(absl::StrCat("store ", dir, ": loaded ", *loaded, " stamps in ",
                                   absl::ToDoubleMilliseconds(absl::Now() - started), " ms",
                                   config.proto().storage().fsync() ? " (fsync per batch)" : ""));
  }
  node->acceptor_ =
      std::make_unique<StampAcceptor>(&node->store_, node->log_.get(), node->durable_.get());
  node->acceptor_->set_metrics(node->metrics_.get());
  PeerMesh::Options mesh_options;
  mesh_options.metrics = node->metrics_.get();
  mesh_options.client_flood_hold = config.client_flood_hold();
  if (config.proto().anti_entropy().interval_seconds() > 0) {
    mesh_options.sync_interval = absl::Seconds(config.proto().anti_entropy().interval_seconds());
  }
  node->mesh_ =
      std::make_unique<PeerMesh>(name, config, *security, &node->store_, node->acceptor_.get(),
                                 node->validator_.get(), node->log_.get(), mesh_options);
  node->acceptor_->set_flooder(node->mesh_.get());
  node->location_service_ = std::make_unique<LocationServiceImpl>(
      name, &node->store_, node->acceptor_.get(), node->mesh_.get(), node->validator_.get(),
      node->log_.get(), node->places_.get());
  node->location_service_->set_client_queries(node->client_index_.get(), node->watches_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const bool require_client_certificates =
      config.tls() && config.proto().tls().require_client_certificates();
  builder.AddListeningPort(node_config->grpc_listen_address(),
                           security->ServerCredentials(require_client_certificates), &node->port_);
  builder.RegisterService(node->location_service_.get());
  builder.RegisterService(node->mesh_->service());
  builder.SetMaxReceiveMessageSize(16 << 20);
  if (node->metrics_ != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> timers;
    timers.push_back(std::make_unique<RpcLatencyInterceptorFactory>(node->metrics_->rpc_seconds,
                                                                    TimedLocationServiceMethods()));
    builder.experimental().SetInterceptorCreators(std::move(timers));
  }
  // Peers ping idle links to notice partitions; let them.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  node->server_ = builder.BuildAndStart();
  if (node->server_ == nullptr || node->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", node_config->grpc_listen_address(), " (in use?)"));
  }
  node->log_->Write(absl::StrCat(
      "node ", name, " listening on ", node_config->grpc_listen_address(), " (port ", node->port_,
      ", ",
      security->tls() ? (require_client_certificates ? "TLS, client certificates required" : "TLS")
                      : "plain TCP",
      "), peers dial ", node_config->grpc_address(), "; client times at most ",
      absl::FormatDuration(config.max_client_time_ahead()), " ahead; ",
      DescribeStampLines(log_options)));
  if (node->metrics_server_ != nullptr) {
    node->metrics_server_->AddCollector(std::make_shared<NodeStateCollector>(
        &node->store_, node->mesh_.get(), node->places_.get()));
    node->log_->Write(absl::StrCat("metrics on http://", node_config->metrics_address(),
                                   "/metrics (port ", node->metrics_server_->port(), ")"));
  }
  node->mesh_->Start();
  return node;
}

Node::~Node() { Shutdown(); }

void Node::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (mesh_) mesh_->Stop();
  if (location_service_) location_service_->StopReportStreams();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (log_) {
    log_->Write(absl::StrCat("node ", name_, " stopped"));
    log_->Flush();
  }
}

}  // namespace herd
