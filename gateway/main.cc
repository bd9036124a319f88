// herd-gateway: serves the legacy IAMAT/WHATSAT text protocol on the text addresses of a herd's
// nodes and turns each line into a gRPC call to that node.
//
//   herd-gateway --config FILE [--node NAME] [--threads N]
//
// With --node, serves that node's text address only (a sidecar per node); without it, serves
// every node of the config in one process. SIGINT/SIGTERM close the listeners and exit; SIGHUP
// reopens the log files.

#include <sys/resource.h>

#include <algorithm>
#include <asio.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/connection.h"
#include "gateway/gateway_metrics.h"
#include "gateway/loop_timer.h"
#include "gateway/node_client.h"
#include "gateway/node_route.h"
#include "gateway/text_server.h"
#include "services/core/async_log.h"
#include "services/core/callback_thread_park.h"
#include "services/core/config.h"
#include "services/core/log_options.h"
#include "services/core/metrics_server.h"

namespace herd::gateway {
namespace {

struct Flags {
  std::string config;
  std::string node;
  int threads = 0;
};

constexpr char kUsage[] = "usage: herd-gateway --config FILE [--node NAME] [--threads N]\n";

absl::Status ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t equals = arg.find('=');
    if (arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    } else if (arg == "--config" || arg == "--node" || arg == "--threads") {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
      value = argv[++i];
    }
    if (arg == "--config") {
      flags->config = value;
    } else if (arg == "--node") {
      flags->node = value;
    } else if (arg == "--threads") {
      if (!absl::SimpleAtoi(value, &flags->threads) || flags->threads < 1) {
        return absl::InvalidArgumentError(absl::StrCat("--threads: bad value \"", value, "\""));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", arg, "\""));
    }
  }
  if (flags->config.empty()) return absl::InvalidArgumentError("--config is required");
  return absl::OkStatus();
}

// Thousands of idle clients need thousands of descriptors: use the hard limit.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Everything serving one node's text address: its log, its route and its listener.
struct ServedNode {
  std::string name;
  std::unique_ptr<AsyncLog> log;
  std::unique_ptr<NodeRoute> route;
  std::unique_ptr<TextServer> server;
};

int Run(int argc, char** argv) {
  Flags flags;
  if (absl::Status s = ParseFlags(argc, argv, &flags); !s.ok()) {
    std::fprintf(stderr, "herd-gateway: %s\n%s", std::string(s.message()).c_str(), kUsage);
    return 2;
  }
  absl::StatusOr<HerdConfig> config = HerdConfig::Load(flags.config);
  if (!config.ok()) {
    std::fprintf(stderr, "herd-gateway: %s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  std::vector<const v1::NodeConfig*> nodes;
  if (!flags.node.empty()) {
    const v1::NodeConfig* node = config->FindNode(flags.node);
    if (node == nullptr) {
      std::fprintf(stderr, "herd-gateway: no node named \"%s\" in %s\n", flags.node.c_str(),
                   flags.config.c_str());
      return 1;
    }
    nodes.push_back(node);
  } else {
    for (const v1::NodeConfig& node : config->proto().nodes()) nodes.push_back(&node);
  }
  std::error_code fs_error;
  std::filesystem::create_directories(config->log_dir(), fs_error);
  if (fs_error) {
    std::fprintf(stderr, "herd-gateway: cannot create log directory %s: %s\n",
                 config->log_dir().c_str(), fs_error.message().c_str());
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  RaiseFileLimit();

  ConnectionLimits limits;
  const v1::GatewayConfig& gateway = config->proto().gateway();
  if (gateway.max_line_bytes() > 0) limits.max_line_bytes = gateway.max_line_bytes();
  absl::Duration timeout =
      absl::Milliseconds(gateway.request_timeout_ms() > 0 ? gateway.request_timeout_ms() : 3000);
  absl::Duration down_grace =
      absl::Milliseconds(gateway.node_down_grace_ms() > 0 ? gateway.node_down_grace_ms() : 500);

  // The metrics endpoint: at the first served node's gatewayMetricsAddress, if any. The registry
  // outlives everything that counts into it.
  std::string metrics_address;
  for (const v1::NodeConfig* node : nodes) {
    if (!node->gateway_metrics_address().empty()) {
      metrics_address = node->gateway_metrics_address();
      break;
    }
  }
  std::unique_ptr<GatewayMetrics> metrics;
  if (!metrics_address.empty()) {
    metrics = std::make_unique<GatewayMetrics>(std::make_shared<prometheus::Registry>());
  }

  // Declared first so it outlives everything that posts to it.
  asio::io_context io;
  // One client per node that a served address may send lines to: its own node and its fallbacks.
  std::map<std::string, std::unique_ptr<NodeClient>> clients;
  // `security`: the certificate of the gateway serving the address that first needs the node.
  auto client_for = [&](const std::string& name, const TransportSecurity& security) {
    std::unique_ptr<NodeClient>& client = clients[name];
    if (client == nullptr) {
      NodeClient::Options options;
      options.node_name = name;
      options.grpc_address = config->FindNode(name)->grpc_address();
      options.request_timeout = timeout;
      options.down_grace = down_grace;
      options.batch_linger = config->gateway_batch_linger();
      options.run_at = RunAtOnLoop(io);  // a lingering batch leaves from the loop's thread
      options.security = security;
      client = std::make_unique<NodeClient>(options);
    }
    return client.get();
  };
  std::vector<ServedNode> served;
  // Registered before any log is open, so that an early SIGHUP is not fatal.
  asio::signal_set reopen_signal(io, SIGHUP);
  const AsyncLog::Options log_options = LogOptionsFrom(config->proto().log());
  for (const v1::NodeConfig* node : nodes) {
    ServedNode entry;
    entry.name = node->name();
    std::string log_path = absl::StrCat(config->log_dir(), "/gateway-", node->name(), ".log");
    absl::StatusOr<std::unique_ptr<AsyncLog>> log = AsyncLog::Open(log_path, log_options);
    if (!log.ok()) {
      std::fprintf(stderr, "herd-gateway: %s\n", std::string(log.status().message()).c_str());
      return 1;
    }
    entry.log = std::move(*log);
    absl::StatusOr<TransportSecurity> security =
        TransportSecurity::ForGateway(*config, node->name());
    if (!security.ok()) {
      std::fprintf(stderr, "herd-gateway: node %s: %s\n", node->name().c_str(),
                   std::string(security.status().message()).c_str());
      return 1;
    }
    std::vector<NodeClient*> fallbacks;
    for (const std::string& fallback : node->gateway_fallbacks()) {
      fallbacks.push_back(client_for(fallback, *security));
    }
    entry.route =
        std::make_unique<NodeRoute>(client_for(node->name(), *security), std::move(fallbacks));
    absl::StatusOr<std::unique_ptr<TextServer>> server = TextServer::Listen(
        io, node->text_listen_address(), entry.route.get(), entry.log.get(), limits,
        metrics != nullptr ? metrics->ForServedNode(node->name()) : nullptr);
    if (!server.ok()) {
      std::fprintf(stderr, "herd-gateway: node %s: %s\n", node->name().c_str(),
                   std::string(server.status().message()).c_str());
      return 1;
    }
    entry.server = std::move(*server);
    entry.log->Write(absl::StrCat("gateway for ", node->name(), " listening on ",
                                  node->text_listen_address(), ", node at ", node->grpc_address(),
                                  entry.route->node().tls() ? " over TLS; " : " over plain TCP; ",
                                  DescribeStampLines(log_options)));
    served.push_back(std::move(entry));
  }
  // Down/up changes of every node a route uses: logged, and with refuse_connections_when_down
  // the listener closes while no node of its route can take a line.
  for (ServedNode& entry : served) {
    for (NodeClient* client : entry.route->nodes()) {
      client->AddDownListener(
          [&entry, client, refuse = gateway.refuse_connections_when_down()](bool down) {
            entry.log->Write(absl::StrCat("node ", client->node_name(), " ",
                                          down ? "is unreachable" : "is reachable again",
                                          client == &entry.route->node() ? "" : " (a fallback)"));
            if (!refuse) return;
            if (entry.route->all_down()) {
              entry.server->Pause();
            } else {
              entry.server->Resume();
            }
          });
    }
  }

  // Declared after the clients and servers it reads: it stops serving before they go away.
  std::unique_ptr<MetricsServer> metrics_server;
  if (metrics != nullptr) {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(metrics_address, metrics->registry());
    if (!server.ok()) {
      std::fprintf(stderr, "herd-gateway: %s\n", std::string(server.status().message()).c_str());
      return 1;
    }
    metrics_server = *std::move(server);
    std::vector<const NodeClient*> watched;
    for (const auto& [name, client] : clients) watched.push_back(client.get());
    metrics_server->AddCollector(std::make_shared<NodeClientCollector>(std::move(watched)));
    std::fprintf(stderr, "herd-gateway: metrics on http://%s/metrics\n", metrics_address.c_str());
    for (ServedNode& node : served) {
      node.log->Write(absl::StrCat("metrics on http://", metrics_address, "/metrics"));
    }
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const asio::error_code& error, int signal) {
    if (!error) io.stop();
  });
  // SIGHUP: reopen every log file (logrotate moved them away), then wait for the next one.
  std::function<void(const asio::error_code&, int)> on_hangup = [&](const asio::error_code& error,
                                                                    int) {
    if (error) return;
    for (ServedNode& node : served) node.log->Reopen();
    reopen_signal.async_wait(on_hangup);
  };
  reopen_signal.async_wait(on_hangup);
  for (ServedNode& node : served) {
    node.server->Start();
    // On stderr, unbuffered: what `docker logs` and deploy/herd's *.out files show at once.
    std::fprintf(stderr, "herd-gateway: %s text on %s -> gRPC %s, log %s/gateway-%s.log\n",
                 node.name.c_str(), config->FindNode(node.name)->text_listen_address().c_str(),
                 config->FindNode(node.name)->grpc_address().c_str(), config->log_dir().c_str(),
                 node.name.c_str());
  }

  // One event-loop thread per four cores, one to four: the gateway usually shares its host with
  // nodes, and two threads on a 2-core host handed connections to each other at a cost (10-20%
  // of the gateway's CPU per IAMAT, up to a sixth of the herd's rate with one request per
  // connection).
  int thread_count =
      flags.threads > 0
          ? flags.threads
          : std::clamp(static_cast<int>(std::thread::hardware_concurrency()) / 4, 1, 4);
  // On a small host, one of gRPC's callback threads is held so that the other polls alone (see
  // callback_thread_park.h).
  std::unique_ptr<CallbackThreadPark> park;
  if (CallbackThreadPark::Wanted()) {
    park = CallbackThreadPark::Start();
    if (!park->parked()) {
      std::fprintf(stderr, "herd-gateway: gRPC's callback threads could not be reduced to one\n");
    }
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < thread_count; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& thread : threads) thread.join();
  park.reset();  // both threads drain the calls below

  // Stopped: calls in flight are cancelled and their callbacks drained before the connections
  // they reference go away with `io`; clients first, as their watchers' listeners use the
  // servers. Listeners close with their servers.
  for (auto& [name, client] : clients) client->Shutdown();
  for (ServedNode& node : served) node.server.reset();
  for (ServedNode& node : served) {
    NodeClient& own = node.route->node();
    node.log->Write(absl::StrCat("gateway stopped; ", own.reports_sent(), " reports sent to ",
                                 own.node_name(), " in ", own.batches_sent(), " batches; ",
                                 node.route->handed_over(), " requests handed to fallbacks"));
  }
  return 0;
}

}  // namespace
}  // namespace herd::gateway

int main(int argc, char** argv) {
  // Debian's Abseil checks every Mutex acquisition for lock-order cycles; that bookkeeping showed
  // up on the request path. Lock order here is fixed by design and covered by the tests.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return herd::gateway::Run(argc, argv);
}
