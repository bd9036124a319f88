// herd-bench: load a running herd through a gateway's text protocol and measure what comes out.
//
//   herd-bench --config FILE [--node NAME] [--mode iamat|whatsat|load|clients] [--fresh]
//              [--connections N] [--seconds S] [--window W] [--clients C] [--markers M]
//              [--rate R]
//   herd-bench --config FILE --clients C --write-redis-places FILE
//
// NAME defaults to a node at the largest hop distance from another (Hands in the default herd).
// 1. Load, by --mode:
//    iamat (default): N connections to NAME's text address each keep W IAMAT lines in flight
//      for S seconds; replies are counted and checked ("AT " vs anything else). The IAMATs go
//      to C clients in all, as redis-benchmark -r C spreads GEOADDs over C members: connection
//      i reports clients i, i + N, i + 2N, ... in turn, with times that increase, so every
//      report is newer than its client's last one and is stored and flooded.
//    whatsat: first reports each of C clients once, client k at a GeoNames place of the
//      config's places data (places spread evenly over the table, so over the world's populated
//      places), then N connections keep W "WHATSAT <random client> 50 20" lines in flight for
//      S seconds and count whole replies (AT line, JSON, blank line; or one "? " line).
//    load: only reports each of C clients once (as whatsat does first), e.g. to measure memory
//      per stored stamp.
//    clients: reports the C clients as whatsat does, then N threads each keep one gRPC
//      SearchClients (50 km, 20) in flight at NAME for S seconds, centred on the point of a
//      random bench client (so on the same points as --write-redis-clients' members).
//    With --fresh every request has a connection of its own (connect, one line, read the
//    reply, close; N such connections at a time), as the legacy clients do.
// 2. Convergence: every node holds the same stamps, and the last stamp of a sample of clients.
// 3. Propagation: M marker reports are made at NAME over gRPC, one at a time; for each, the time
//    until a Watch on the node farthest from NAME (by hops) tells that it holds it. With
//    --rate R (iamat mode) the IAMATs are paced to R per second in all, and the markers are made
//    during that load instead, spread over it: the propagation delay of a herd under a known
//    load.
// The last line, "result: key=value ...", sums the run up for scripts (deploy/herd bench).
// --write-redis-places writes the places as Redis commands (GEOADD places ...) for a
// comparison: the place of bench client k is member %012d of k, the form redis-benchmark gives
// __rand_int__, so `GEOSEARCH places FROMMEMBER __rand_int__ ...` with -r C queries around the
// same points as this bench's WHATSATs. --write-redis-clients writes only the C bench clients'
// points (GEOADD clients ...), the same members, for SearchClients against GEOSEARCH.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/config.h"
#include "services/core/transport_security.h"
#include "services/places/geonames_table.h"
#include "tests/bench/reply_counter.h"
#include "tests/bench/text_load.h"

namespace {

using herd::bench::ConnectionResult;
using herd::bench::NextRequest;
using herd::bench::PhaseResult;
using herd::bench::ReplyCounter;
using herd::bench::ReplyShape;
using herd::bench::TextLoad;

enum class Mode { kIamat, kWhatsat, kLoad, kClients };

struct Options {
  std::string config;
  std::string node;
  Mode mode = Mode::kIamat;
  bool fresh = false;
  int connections = 8;
  double seconds = 5;
  int window = 512;
  int clients = 100000;
  int markers = 200;
  double rate = 0;  // IAMATs per second in all; 0: as fast as replies come
  std::string redis_places_file;
  std::string redis_clients_file;
};

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kIamat:
      return "iamat";
    case Mode::kWhatsat:
      return "whatsat";
    case Mode::kLoad:
      return "load";
    case Mode::kClients:
      return "clients";
  }
  return "?";
}

bool ParseOptions(int argc, char** argv, Options* o) {
  bool ok = true;
  for (int i = 1; ok && i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--fresh") {
      o->fresh = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "herd-bench: %s needs a value\n", flag.c_str());
      ok = false;
      break;
    }
    std::string value = argv[++i];
    if (flag == "--config")
      o->config = value;
    else if (flag == "--node")
      o->node = value;
    else if (flag == "--mode" &&
             (value == "iamat" || value == "whatsat" || value == "load" || value == "clients"))
      o->mode = value == "iamat"     ? Mode::kIamat
                : value == "whatsat" ? Mode::kWhatsat
                : value == "load"    ? Mode::kLoad
                                     : Mode::kClients;
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
    else if (flag == "--rate")
      ok = absl::SimpleAtod(value, &o->rate) && o->rate > 0;
    else if (flag == "--write-redis-places")
      o->redis_places_file = value;
    else if (flag == "--write-redis-clients")
      o->redis_clients_file = value;
    else
      ok = false;
    if (!ok) std::fprintf(stderr, "herd-bench: bad argument %s %s\n", flag.c_str(), value.c_str());
  }
  if (!ok || o->config.empty() || o->connections < 1 || o->window < 1 || o->clients < 1 ||
      !(o->seconds > 0) || o->markers < 0) {
    std::fprintf(
        stderr,
        "usage: herd-bench --config FILE [--node NAME] [--mode iamat|whatsat|load|clients] "
        "[--fresh] [--connections N] [--seconds S] [--window W] [--clients C] "
        "[--markers M] [--rate R]\n"
        "       herd-bench --config FILE --clients C --write-redis-places FILE\n"
        "       herd-bench --config FILE --clients C --write-redis-clients FILE\n");
    return false;
  }
  return true;
}

bool WriteAll(int fd, const std::string& out) {
  for (size_t off = 0; off < out.size();) {
    ssize_t w = write(fd, out.data() + off, out.size() - off);
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

// Makes `markers` reports at `origin` over gRPC, one at a time with `spacing` between them, and
// returns for each the milliseconds from sending it until a Watch on `far` for the marker
// clients tells of it (markers not seen within 5 s of the last one are left out). A watch rather
// than polling GetLocation: polling adds a round trip of granularity and load of its own.
std::vector<double> MeasurePropagation(herd::v1::LocationService::Stub* origin,
                                       herd::v1::LocationService::Stub* far, int markers,
                                       absl::Duration spacing) {
  if (markers <= 0) return {};
  // Fresh ids per run, so a marker is never older than one a node already holds.
  const std::string prefix = absl::StrCat("bench-marker-", absl::ToUnixNanos(absl::Now()), "-");
  auto marker_id = [&prefix](int m) { return absl::StrCat(prefix, m); };
  herd::v1::WatchRequest watch_request;
  for (int m = 0; m < markers; ++m) watch_request.mutable_clients()->add_client_ids(marker_id(m));
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
  std::unique_ptr<grpc::ClientReader<herd::v1::WatchEvent>> watch =
      far->Watch(&watch_context, watch_request);
  herd::v1::WatchEvent event;
  if (!watch->Read(&event) || event.type() != herd::v1::WatchEvent::READY) {
    std::fprintf(stderr, "herd-bench: the propagation watch did not start: %s\n",
                 watch->Finish().error_message().c_str());
    return {};
  }
  std::vector<absl::Time> sent(markers, absl::InfiniteFuture());
  std::vector<absl::Time> seen(markers, absl::InfiniteFuture());
  std::atomic<int> seen_count{0};
  std::thread reader([&] {
    herd::v1::WatchEvent e;
    while (watch->Read(&e)) {
      const absl::Time now = absl::Now();
      int m = -1;
      const std::string& id = e.stamp().client_id();
      if (id.rfind(prefix, 0) != 0 || !absl::SimpleAtoi(id.substr(prefix.size()), &m) || m < 0 ||
          m >= markers || seen[m] != absl::InfiniteFuture())
        continue;
      seen[m] = now;
      seen_count.fetch_add(1, std::memory_order_release);
    }
  });
  for (int m = 0; m < markers; ++m) {
    if (m > 0) absl::SleepFor(spacing);
    herd::v1::ReportRequest report;
    report.set_client_id(marker_id(m));
    report.set_location("+1+1");
    report.set_client_time(absl::StrCat(absl::ToUnixSeconds(absl::Now()), ".", m));
    herd::v1::ReportResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    sent[m] = absl::Now();
    if (!origin->Report(&context, report, &response).ok()) sent[m] = absl::InfiniteFuture();
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (seen_count.load(std::memory_order_acquire) < markers && absl::Now() < give_up)
    absl::SleepFor(absl::Milliseconds(1));
  watch_context.TryCancel();
  reader.join();
  watch->Finish();
  std::vector<double> millis;
  for (int m = 0; m < markers; ++m) {
    if (sent[m] != absl::InfiniteFuture() && seen[m] != absl::InfiniteFuture())
      millis.push_back(absl::ToDoubleMilliseconds(seen[m] - sent[m]));
  }
  return millis;
}

// Runs `connections` connections (see RunTextLoad); `make_next(i)` makes the request source of
// connection i.
PhaseResult RunPhase(const std::string& address, int connections, int window, bool fresh,
                     absl::Time deadline, ReplyShape shape,
                     const std::function<NextRequest(int)>& make_next, double rate = 0) {
  TextLoad load;
  load.address = address;
  load.connections = connections;
  load.window = window;
  load.fresh = fresh;
  load.rate = rate;
  load.deadline = deadline;
  load.shape = shape;
  std::vector<NextRequest> sources;
  for (int i = 0; i < connections; ++i) sources.push_back(make_next(i));
  return RunTextLoad(load, std::move(sources));
}

// The place of bench client k among `places` places when there are `clients` clients: spread
// evenly over the table (every place once when there are more clients than places).
size_t PlaceOfClient(uint64_t k, uint64_t clients, uint64_t places) {
  return clients <= places ? static_cast<size_t>(k * places / clients)
                           : static_cast<size_t>(k % places);
}

std::string ClientOfPoint(uint64_t k) { return absl::StrCat("bench-point-", k); }

// "+34.068930-118.445127", with leading zeros so each part reads as decimal degrees.
std::string Iso6709(double latitude, double longitude) {
  return absl::StrFormat("%+010.6f%+011.6f", latitude, longitude);
}

std::string Resp(const std::vector<std::string>& args) {
  std::string out = absl::StrCat("*", args.size(), "\r\n");
  for (const std::string& a : args) absl::StrAppend(&out, "$", a.size(), "\r\n", a, "\r\n");
  return out;
}

// Writes every place as "GEOADD places <lng> <lat> <member>" in Redis' protocol (for
// `redis-cli --pipe`); prints how many places and query members there are.
bool WriteRedisPlaces(const herd::places::GeoNamesTable& table, int clients,
                      const std::string& path) {
  const uint64_t n = table.places.size();
  const uint64_t members = std::min<uint64_t>(clients, n);
  std::vector<int64_t> member_of(n, -1);
  for (uint64_t k = 0; k < members; ++k) member_of[PlaceOfClient(k, clients, n)] = k;
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "herd-bench: cannot write %s\n", path.c_str());
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    const auto& place = table.places[i];
    std::string member =
        member_of[i] >= 0 ? absl::StrFormat("%012d", member_of[i]) : absl::StrCat("row-", i);
    std::string command = Resp({"GEOADD", "places", absl::StrFormat("%.6f", place.longitude),
                                absl::StrFormat("%.6f", place.latitude), member});
    std::fwrite(command.data(), 1, command.size(), f);
  }
  bool ok = std::fclose(f) == 0;
  std::printf("redis-places: places=%llu members=%llu file=%s\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(members),
              path.c_str());
  return ok;
}

// Writes the point of each of the C bench clients as "GEOADD clients <lng> <lat> %012d" (the
// member redis-benchmark's __rand_int__ names) in Redis' protocol.
bool WriteRedisClients(const herd::places::GeoNamesTable& table, int clients,
                       const std::string& path) {
  const uint64_t n = table.places.size();
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::fprintf(stderr, "herd-bench: cannot write %s\n", path.c_str());
    return false;
  }
  for (uint64_t k = 0; k < static_cast<uint64_t>(clients); ++k) {
    const auto& place = table.places[PlaceOfClient(k, clients, n)];
    std::string command =
        Resp({"GEOADD", "clients", absl::StrFormat("%.6f", place.longitude),
              absl::StrFormat("%.6f", place.latitude), absl::StrFormat("%012d", k)});
    std::fwrite(command.data(), 1, command.size(), f);
  }
  bool ok = std::fclose(f) == 0;
  std::printf("redis-clients: members=%d file=%s\n", clients, path.c_str());
  return ok;
}

// Keeps `in_flight` SearchClients (50 km, 20) calls in flight at `stub` until `deadline`, each
// centred on a random bench client's point, from one thread on one completion queue, as
// redis-benchmark drives its connections from one event loop: a thread per call made the load
// generator itself switch context at every answer, on the cores the node shares with it.
// `places` counts hits.
PhaseResult RunClientSearches(herd::v1::LocationService::Stub* stub,
                              const herd::places::GeoNamesTable& table, int clients, int in_flight,
                              absl::Time deadline) {
  struct Call {
    grpc::ClientContext context;
    herd::v1::SearchClientsResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<herd::v1::SearchClientsResponse>> reader;
  };
  PhaseResult phase;
  phase.connections.resize(in_flight);
  std::mt19937_64 random(1);
  grpc::CompletionQueue queue;
  std::vector<std::unique_ptr<Call>> calls(in_flight);
  // Slot i's call carries tag i + 1 (a tag is a pointer-sized value; 0 is left unused).
  auto start_call = [&](size_t slot) {
    uint64_t k = random() % static_cast<uint64_t>(clients);
    const auto& place = table.places[PlaceOfClient(k, clients, table.places.size())];
    herd::v1::SearchClientsRequest request;
    request.mutable_location()->set_latitude(std::stod(absl::StrFormat("%.6f", place.latitude)));
    request.mutable_location()->set_longitude(std::stod(absl::StrFormat("%.6f", place.longitude)));
    request.set_radius_km(50);
    request.set_max_results(20);
    calls[slot] = std::make_unique<Call>();
    Call& call = *calls[slot];
    call.context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    call.reader = stub->PrepareAsyncSearchClients(&call.context, request, &queue);
    call.reader->StartCall();
    call.reader->Finish(&call.response, &call.status, reinterpret_cast<void*>(slot + 1));
    ++phase.connections[slot].sent;
  };
  const absl::Time start = absl::Now();
  for (size_t slot = 0; slot < calls.size(); ++slot) start_call(slot);
  size_t outstanding = calls.size();
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && queue.Next(&tag, &ok)) {
    const size_t slot = reinterpret_cast<uintptr_t>(tag) - 1;
    Call& call = *calls[slot];
    ConnectionResult& result = phase.connections[slot];
    if (ok && call.status.ok()) {
      ++result.ok;
      result.places += call.response.hits_size();
    } else {
      ++result.bad;
    }
    if (absl::Now() < deadline) {
      start_call(slot);
    } else {
      calls[slot].reset();
      --outstanding;
    }
  }
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  phase.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (const ConnectionResult& r : phase.connections) phase.total.AddCountsOf(r);
  return phase;
}

// Waits (at most `timeout`) until every node answers GetStatus and one IAMAT through the
// gateway is answered "AT": a node loading its places data is not serving yet, and the gateway
// answers "?" for a node it cannot reach.
bool WaitUntilServing(
    const std::map<std::string, std::unique_ptr<herd::v1::LocationService::Stub>>& stubs,
    const std::string& address, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (const auto& [name, stub] : stubs) {
    for (;;) {
      herd::v1::NodeStatus status;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      if (stub->GetStatus(&context, herd::v1::GetStatusRequest(), &status).ok()) break;
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  for (int attempt = 0; absl::Now() < deadline; ++attempt) {
    ReplyCounter counter(ReplyShape::kIamat);
    int fd = herd::bench::ConnectTcp(address);
    if (fd >= 0) {
      timeval timeout{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      std::string probe = absl::StrCat("IAMAT bench-probe +0+0 ", absl::ToUnixSeconds(absl::Now()),
                                       ".", 100000000 + attempt, "\n");
      char buffer[4096];
      ssize_t r;
      if (WriteAll(fd, probe)) {
        while (counter.ok() + counter.bad() == 0 && (r = read(fd, buffer, sizeof(buffer))) > 0) {
          counter.Feed(absl::string_view(buffer, r));
        }
      }
      close(fd);
      if (counter.ok() == 1) return true;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
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
  // Debian's Abseil checks every Mutex acquisition (gRPC's included) for lock-order cycles, and
  // forgets each destroyed Mutex in a global graph: the load generator shares the herd's cores.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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

  // The bench clients' points are GeoNames places, the same data the herd answers WHATSAT from.
  herd::places::GeoNamesTable table;
  if (o.mode != Mode::kIamat || !o.redis_places_file.empty() || !o.redis_clients_file.empty()) {
    if (!config->proto().places().has_geonames()) {
      std::fprintf(stderr, "herd-bench: --mode %s needs a config with GeoNames places\n",
                   ModeName(o.mode));
      return 2;
    }
    absl::StatusOr<herd::places::GeoNamesTable> loaded =
        herd::places::LoadGeoNamesFile(config->proto().places().geonames().data_file());
    if (!loaded.ok()) {
      std::fprintf(stderr, "herd-bench: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    table = *std::move(loaded);
  }
  if (!o.redis_places_file.empty())
    return WriteRedisPlaces(table, o.clients, o.redis_places_file) ? 0 : 1;
  if (!o.redis_clients_file.empty())
    return WriteRedisClients(table, o.clients, o.redis_clients_file) ? 0 : 1;

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
  const std::string& address = entry->text_address();
  if (!WaitUntilServing(stubs, address, absl::Seconds(60))) {
    std::fprintf(stderr, "herd-bench: the herd is not serving at %s after 60 s\n", address.c_str());
    return 1;
  }
  const int64_t base_time = absl::ToUnixSeconds(absl::Now());

  auto [far, hops] = Farthest(*config, o.node);
  std::vector<double> millis;

  // 1. IAMATs through the gateway: for S seconds, or each point client once.
  PhaseResult iamats;
  if (o.mode == Mode::kIamat) {
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + absl::Seconds(o.seconds);
    std::thread markers;
    if (o.rate > 0) {
      herd::v1::LocationService::Stub* origin = stubs[o.node].get();
      herd::v1::LocationService::Stub* farthest = stubs[far].get();
      markers = std::thread([&, origin, farthest] {
        millis = MeasurePropagation(origin, farthest, o.markers,
                                    absl::Seconds(o.seconds) / (o.markers + 1));
      });
    }
    iamats = RunPhase(
        address, o.connections, o.window, o.fresh, deadline, ReplyShape::kIamat,
        [&o, base_time](int index) -> NextRequest {
          // This connection's share of the C clients: first, first + N, ... below C. With C < N,
          // connection i shares client i % C with a lower one (its reports may then be stale).
          const uint64_t connections = static_cast<uint64_t>(o.connections);
          const uint64_t clients = static_cast<uint64_t>(o.clients);
          const uint64_t first = static_cast<uint64_t>(index) % clients;
          const uint64_t share = (clients - first + connections - 1) / connections;  // >= 1
          return
              [base_time, first, share, connections](std::string* out, ConnectionResult* result) {
                // Times strictly increase per connection, so each report is its client's newest.
                uint64_t n = result->sent;
                result->last_client = absl::StrCat("bench-", first + connections * (n % share));
                result->last_time = absl::StrCat(base_time, ".", 100000000 + n);
                absl::StrAppend(out, "IAMAT ", result->last_client, " +34.068930-118.445127 ",
                                result->last_time, "\n");
                return true;
              };
        },
        o.rate);
    if (markers.joinable()) markers.join();
    if (o.fresh) {
      std::printf(
          "throughput: %llu IAMAT answered AT in %.2f s = %.0f/s through %s's gateway "
          "(one request per connection, %d connections at a time); %llu other replies; "
          "%llu broken connections\n",
          static_cast<unsigned long long>(iamats.total.ok), iamats.seconds,
          iamats.total.ok / iamats.seconds, o.node.c_str(), o.connections,
          static_cast<unsigned long long>(iamats.total.bad),
          static_cast<unsigned long long>(iamats.total.broken));
    } else {
      std::printf(
          "throughput: %llu IAMAT answered AT in %.2f s = %.0f/s through %s's gateway "
          "(%d connections, window %d); %llu other replies; %llu broken connections\n",
          static_cast<unsigned long long>(iamats.total.ok), iamats.seconds,
          iamats.total.ok / iamats.seconds, o.node.c_str(), o.connections, o.window,
          static_cast<unsigned long long>(iamats.total.bad),
          static_cast<unsigned long long>(iamats.total.broken));
    }
  } else {
    std::atomic<uint64_t> next_client{0};
    const uint64_t clients = o.clients, places = table.places.size();
    iamats = RunPhase(address, o.connections, o.mode == Mode::kLoad ? o.window : 64, false,
                      absl::InfiniteFuture(), ReplyShape::kIamat, [&](int) -> NextRequest {
                        return [&](std::string* out, ConnectionResult* result) {
                          uint64_t k = next_client++;
                          if (k >= clients) return false;
                          const auto& place = table.places[PlaceOfClient(k, clients, places)];
                          result->last_client = ClientOfPoint(k);
                          result->last_time = absl::StrCat(base_time, ".", 100000000 + k);
                          absl::StrAppend(out, "IAMAT ", result->last_client, " ",
                                          Iso6709(place.latitude, place.longitude), " ",
                                          result->last_time, "\n");
                          return true;
                        };
                      });
    std::printf(
        "load: %llu clients at %llu GeoNames places reported once each, %llu answered AT in "
        "%.2f s = %.0f/s through %s's gateway; %llu other replies; %llu broken connections\n",
        static_cast<unsigned long long>(clients),
        static_cast<unsigned long long>(std::min(clients, places)),
        static_cast<unsigned long long>(iamats.total.ok), iamats.seconds,
        iamats.total.ok / iamats.seconds, o.node.c_str(),
        static_cast<unsigned long long>(iamats.total.bad),
        static_cast<unsigned long long>(iamats.total.broken));
  }

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
  for (const auto& r : iamats.connections) {
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

  // 1b. WHATSATs about random point clients, once every node holds them all.
  PhaseResult whatsats;
  if (o.mode == Mode::kWhatsat) {
    whatsats =
        RunPhase(address, o.connections, o.window, o.fresh, absl::Now() + absl::Seconds(o.seconds),
                 ReplyShape::kWhatsat, [&o](int index) -> NextRequest {
                   auto random = std::make_shared<std::mt19937_64>(index + 1);
                   return [&o, random](std::string* out, ConnectionResult*) {
                     uint64_t k = (*random)() % static_cast<uint64_t>(o.clients);
                     absl::StrAppend(out, "WHATSAT ", ClientOfPoint(k), " 50 20\n");
                     return true;
                   };
                 });
    std::printf(
        "whatsat: %llu WHATSAT 50 km / 20 answered (AT line, places JSON, blank line) in %.2f s "
        "= %.0f/s through %s's gateway (%s%d connections, window %d); %.1f places per "
        "answer; %llu other replies; %llu broken connections\n",
        static_cast<unsigned long long>(whatsats.total.ok), whatsats.seconds,
        whatsats.total.ok / whatsats.seconds, o.node.c_str(),
        o.fresh ? "one request per connection, " : "", o.connections, o.fresh ? 1 : o.window,
        whatsats.total.ok ? static_cast<double>(whatsats.total.places) / whatsats.total.ok : 0.0,
        static_cast<unsigned long long>(whatsats.total.bad),
        static_cast<unsigned long long>(whatsats.total.broken));
  }

  // 1c. SearchClients around random bench clients' points, once every node holds them all.
  if (o.mode == Mode::kClients) {
    whatsats = RunClientSearches(stubs[o.node].get(), table, o.clients, o.connections,
                                 absl::Now() + absl::Seconds(o.seconds));
    std::printf(
        "clients: %llu SearchClients 50 km / 20 answered in %.2f s = %.0f/s at %s (gRPC, %d "
        "calls in flight from one thread); %.1f clients per answer; %llu failed\n",
        static_cast<unsigned long long>(whatsats.total.ok), whatsats.seconds,
        whatsats.total.ok / whatsats.seconds, o.node.c_str(), o.connections,
        whatsats.total.ok ? static_cast<double>(whatsats.total.places) / whatsats.total.ok : 0.0,
        static_cast<unsigned long long>(whatsats.total.bad));
  }

  // 3. Propagation to the farthest node, one marker at a time (measured during the load with
  //    --rate).
  if (!(o.rate > 0 && o.mode == Mode::kIamat))
    millis =
        MeasurePropagation(stubs[o.node].get(), stubs[far].get(), o.markers, absl::ZeroDuration());
  if (!millis.empty()) {
    std::printf(
        "propagation %s -> %s (%d hops), report to visible, %zu markers%s: p50 %.2f ms, "
        "p99 %.2f ms, max %.2f ms\n",
        o.node.c_str(), far.c_str(), hops, millis.size(),
        o.rate > 0 && o.mode == Mode::kIamat
            ? absl::StrFormat(" during the load at %.0f IAMAT/s", o.rate).c_str()
            : "",
        Percentile(millis, 0.5), Percentile(millis, 0.99), Percentile(millis, 1.0));
  }

  const PhaseResult& measured =
      o.mode == Mode::kWhatsat || o.mode == Mode::kClients ? whatsats : iamats;
  const uint64_t bad = iamats.total.bad + whatsats.total.bad;
  const uint64_t broken = iamats.total.broken + whatsats.total.broken;
  std::printf(
      "result: mode=%s fresh=%d connections=%d window=%d ok=%llu other=%llu broken=%llu "
      "seconds=%.3f per_second=%.1f places_per_reply=%.2f converged=%d stamps=%llu "
      "propagation_p50_ms=%.2f propagation_p99_ms=%.2f\n",
      ModeName(o.mode), o.fresh ? 1 : 0, o.connections, o.fresh ? 1 : o.window,
      static_cast<unsigned long long>(measured.total.ok), static_cast<unsigned long long>(bad),
      static_cast<unsigned long long>(broken), measured.seconds,
      measured.seconds > 0 ? measured.total.ok / measured.seconds : 0.0,
      measured.total.ok ? static_cast<double>(measured.total.places) / measured.total.ok : 0.0,
      converged ? 1 : 0, static_cast<unsigned long long>(stamps),
      millis.empty() ? -1.0 : Percentile(millis, 0.5),
      millis.empty() ? -1.0 : Percentile(millis, 0.99));
  return (broken == 0 && bad == 0 && converged && latest == checked) ? 0 : 1;
}
