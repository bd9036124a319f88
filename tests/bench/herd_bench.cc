// herd-bench: load a running herd through a gateway's text protocol and measure what comes out.
//
//   herd-bench --config FILE [--node NAME] [--connections N] [--seconds S] [--window W]
//              [--clients C] [--markers M]
//
// NAME defaults to a node at the largest hop distance from another (Hands in the default herd).
// 1. Throughput: N connections to NAME's text address each keep W IAMAT lines in flight for S
//    seconds; replies are counted and checked ("AT " vs anything else).
// 2. Convergence: the last stamp of a sample of clients is read back from every node.
// 3. Propagation: M marker reports are made at NAME over gRPC, one at a time; for each, the time
//    until the node farthest from NAME (by hops) holds it.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/config.h"
#include "services/core/transport_security.h"

namespace {

struct Options {
  std::string config;
  std::string node;
  int connections = 8;
  double seconds = 5;
  int window = 512;
  int clients = 100000;
  int markers = 200;
};

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    bool ok = true;
    if (flag == "--config")
      o->config = value;
    else if (flag == "--node")
      o->node = value;
    else if (flag == "--connections")
      ok = absl::SimpleAtoi(value, &o->connections);
    else if (flag == "--seconds")
      ok = absl::SimpleAtod(value, &o->seconds);
    else if (flag == "--window")
      ok = absl::SimpleAtoi(value, &o->window);
    else if (flag == "--clients")
      ok = absl::SimpleAtoi(value, &o->clients);
    else if (flag == "--markers")
      ok = absl::SimpleAtoi(value, &o->markers);
    else
      ok = false;
    if (!ok) {
      std::fprintf(stderr, "herd-bench: bad argument %s %s\n", flag.c_str(), value.c_str());
      return false;
    }
  }
  if (argc % 2 == 0 || o->config.empty() || o->connections < 1 || o->window < 1 || o->clients < 1 ||
      o->seconds <= 0 || o->markers < 0) {
    std::fprintf(stderr,
                 "usage: herd-bench --config FILE [--node NAME] [--connections N] [--seconds S] "
                 "[--window W] [--clients C] [--markers M]\n");
    return false;
  }
  return true;
}

int Connect(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  int port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) ||
      inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return -1;
  }
  addr.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

struct ConnectionResult {
  uint64_t sent = 0, ok = 0, bad = 0;
  bool failed = false;
  std::string last_client;
  std::string last_time;
};

// Keeps `window` lines in flight on one connection until `deadline`, then drains.
void RunConnection(const Options& o, const std::string& address, int index, absl::Time deadline,
                   ConnectionResult* result) {
  int fd = Connect(address);
  if (fd < 0) {
    result->failed = true;
    return;
  }
  const int64_t base_time = absl::ToUnixSeconds(absl::Now());
  std::string out, in;
  uint64_t in_flight = 0;
  char buffer[1 << 16];
  bool sending = true;
  for (;;) {
    if (sending && absl::Now() >= deadline) sending = false;
    out.clear();
    while (sending && in_flight < static_cast<uint64_t>(o.window)) {
      uint64_t n = result->sent++;
      // Distinct clients per connection; times strictly increase so every report is stored
      // and flooded.
      result->last_client = absl::StrCat("bench-", index, "-", n % o.clients);
      result->last_time = absl::StrCat(base_time, ".", 100000000 + n);
      absl::StrAppend(&out, "IAMAT ", result->last_client, " +34.068930-118.445127 ",
                      result->last_time, "\n");
      ++in_flight;
    }
    for (size_t off = 0; off < out.size();) {
      ssize_t w = write(fd, out.data() + off, out.size() - off);
      if (w <= 0) {
        result->failed = true;
        close(fd);
        return;
      }
      off += w;
    }
    if (in_flight == 0) break;
    ssize_t r = read(fd, buffer, sizeof(buffer));
    if (r <= 0) {
      result->failed = true;
      break;
    }
    in.append(buffer, r);
    size_t start = 0, nl;
    while ((nl = in.find('\n', start)) != std::string::npos) {
      if (in.compare(start, 3, "AT ") == 0)
        ++result->ok;
      else
        ++result->bad;
      --in_flight;
      start = nl + 1;
    }
    in.erase(0, start);
  }
  close(fd);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// The node with the most hops from `from`, and that count.
std::pair<std::string, int> Farthest(const herd::HerdConfig& config, const std::string& from) {
  std::map<std::string, int> hops{{from, 0}};
  std::queue<std::string> queue;
  queue.push(from);
  std::pair<std::string, int> farthest{from, 0};
  while (!queue.empty()) {
    std::string node = queue.front();
    queue.pop();
    for (const std::string& peer : config.PeersOf(node)) {
      if (hops.count(peer)) continue;
      hops[peer] = hops[node] + 1;
      if (hops[peer] > farthest.second) farthest = {peer, hops[peer]};
      queue.push(peer);
    }
  }
  return farthest;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) return 2;
  absl::StatusOr<herd::HerdConfig> config = herd::HerdConfig::Load(o.config);
  if (!config.ok()) {
    std::fprintf(stderr, "herd-bench: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (o.node.empty()) {
    // By default load the node farthest from some other node, so propagation crosses the most
    // hops the topology has.
    int most_hops = -1;
    for (const auto& node : config->proto().nodes()) {
      int hops = Farthest(*config, node.name()).second;
      if (hops > most_hops) {
        most_hops = hops;
        o.node = node.name();
      }
    }
  }
  const herd::v1::NodeConfig* entry = config->FindNode(o.node);
  if (entry == nullptr) {
    std::fprintf(stderr, "herd-bench: no node %s in the config\n", o.node.c_str());
    return 2;
  }
  std::map<std::string, std::unique_ptr<herd::v1::LocationService::Stub>> stubs;
  for (const auto& node : config->proto().nodes()) {
    // The bench talks to nodes as the gateway does: over TLS with the gateway's certificate when
    // the herd runs TLS (so it also works when client certificates are required).
    absl::StatusOr<herd::TransportSecurity> security =
        herd::TransportSecurity::ForGateway(*config, node.name());
    if (!security.ok()) {
      std::fprintf(stderr, "herd-bench: %s\n", std::string(security.status().message()).c_str());
      return 2;
    }
    stubs[node.name()] = herd::v1::LocationService::NewStub(
        security->NodeChannel(node.grpc_address(), node.name(), grpc::ChannelArguments()));
  }
  std::printf("transport: %s\n", config->tls() ? "mutual TLS" : "plain TCP");

  // 1. Throughput through the gateway.
  std::vector<ConnectionResult> results(o.connections);
  std::vector<std::thread> threads;
  absl::Time start = absl::Now();
  absl::Time deadline = start + absl::Seconds(o.seconds);
  for (int i = 0; i < o.connections; ++i) {
    threads.emplace_back(RunConnection, std::cref(o), entry->text_address(), i, deadline,
                         &results[i]);
  }
  for (auto& t : threads) t.join();
  double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  uint64_t ok = 0, bad = 0, failed = 0;
  for (const auto& r : results) {
    ok += r.ok;
    bad += r.bad;
    failed += r.failed;
  }
  std::printf(
      "throughput: %llu IAMAT answered AT in %.2f s = %.0f/s through %s's gateway "
      "(%d connections, window %d); %llu other replies; %llu broken connections\n",
      static_cast<unsigned long long>(ok), elapsed, ok / elapsed, o.node.c_str(), o.connections,
      o.window, static_cast<unsigned long long>(bad), static_cast<unsigned long long>(failed));

  // 2. Convergence: every node ends with the same stamps (equal digests and counts), and
  //    each connection's last stamp is among them.
  absl::Time converge_start = absl::Now();
  bool converged = false;
  uint64_t stamps = 0;
  while (!converged && absl::Now() - converge_start < absl::Seconds(30)) {
    std::set<std::pair<uint64_t, uint64_t>> states;
    for (auto& [name, stub] : stubs) {
      herd::v1::NodeStatus status;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      if (!stub->GetStatus(&context, herd::v1::GetStatusRequest(), &status).ok()) {
        states.insert({0, 0});
        states.insert({1, 1});
        break;
      }
      states.insert({status.store_digest(), status.stamp_count()});
      stamps = status.stamp_count();
    }
    converged = states.size() == 1;
    if (!converged) absl::SleepFor(absl::Milliseconds(5));
  }
  double converge_ms = absl::ToDoubleMilliseconds(absl::Now() - converge_start);
  int latest = 0, checked = 0;
  for (const auto& r : results) {
    if (r.last_client.empty()) continue;
    ++checked;
    herd::v1::GetLocationRequest request;
    request.set_client_id(r.last_client);
    herd::v1::LocationStamp stamp;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    latest += stubs.begin()->second->GetLocation(&context, request, &stamp).ok() &&
              stamp.client_time_text() == r.last_time;
  }
  std::printf(
      "convergence: %s: all %d nodes hold the same %llu stamps %.0f ms after the load "
      "stopped; %d of %d connections' last stamps present\n",
      converged ? "yes" : "NO", config->proto().nodes_size(),
      static_cast<unsigned long long>(stamps), converge_ms, latest, checked);

  // 3. Propagation to the farthest node, one marker at a time.
  auto [far, hops] = Farthest(*config, o.node);
  std::vector<double> millis;
  for (int m = 0; m < o.markers; ++m) {
    herd::v1::ReportRequest report;
    report.set_client_id(absl::StrCat("bench-marker-", m));
    report.set_location("+1+1");
    report.set_client_time(absl::StrCat(absl::ToUnixSeconds(absl::Now()), ".", m));
    herd::v1::ReportResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    absl::Time sent = absl::Now();
    if (!stubs[o.node]->Report(&context, report, &response).ok()) continue;
    while (absl::Now() - sent < absl::Seconds(5)) {
      herd::v1::GetLocationRequest request;
      request.set_client_id(report.client_id());
      herd::v1::LocationStamp stamp;
      grpc::ClientContext get_context;
      get_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      if (stubs[far]->GetLocation(&get_context, request, &stamp).ok() &&
          stamp.client_time_text() == report.client_time()) {
        millis.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
        break;
      }
    }
  }
  if (!millis.empty()) {
    std::printf(
        "propagation %s -> %s (%d hops), report to visible, %zu markers: p50 %.2f ms, "
        "p99 %.2f ms, max %.2f ms\n",
        o.node.c_str(), far.c_str(), hops, millis.size(), Percentile(millis, 0.5),
        Percentile(millis, 0.99), Percentile(millis, 1.0));
  }
  return (failed == 0 && bad == 0 && converged && latest == checked) ? 0 : 1;
}
