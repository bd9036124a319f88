#include "services/node/node_metrics.h"

#include <cinttypes>
#include <cstdio>

#include "herd/v1/location_service.pb.h"
#include "services/core/metrics_server.h"
#include "services/node/peer_mesh.h"
#include "services/node/stamp_store.h"
#include "services/places/places_provider.h"

namespace herd {
namespace {

constexpr char kReportsHelp[] =
    "Stamps that entered the store's merge, by source: client (Report/ReportBatch), peer "
    "(flooded by a peer), catch_up (anti-entropy).";
constexpr char kMergesHelp[] =
    "Merges into the store by result: stored (newer than what the node held) or stale.";

// The series `labels` of the counter family `name` (registered on first use; the registry
// merges families of the same name and help).
prometheus::Counter& CounterOf(prometheus::Registry& registry, const std::string& name,
                               const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
}

}  // namespace

NodeMetrics::NodeMetrics(std::shared_ptr<prometheus::Registry> registry,
                         const std::vector<std::string>& peers)
    : registry_(std::move(registry)),
      reports_client(CounterOf(*registry_, "herd_node_reports_received_total", kReportsHelp,
                               {{"source", "client"}})),
      reports_peer(CounterOf(*registry_, "herd_node_reports_received_total", kReportsHelp,
                             {{"source", "peer"}})),
      reports_catch_up(CounterOf(*registry_, "herd_node_reports_received_total", kReportsHelp,
                                 {{"source", "catch_up"}})),
      merges_stored(
          CounterOf(*registry_, "herd_node_merges_total", kMergesHelp, {{"result", "stored"}})),
      merges_stale(
          CounterOf(*registry_, "herd_node_merges_total", kMergesHelp, {{"result", "stale"}})),
      digest_changes(CounterOf(*registry_, "herd_node_store_digest_changes_total",
                               "Accepted batches of stamps that changed the store, and so its "
                               "digest.")),
      places_seconds(prometheus::BuildHistogram()
                         .Name("herd_places_search_duration_seconds")
                         .Help("Places searches (WHATSAT, SearchNearby), from the request to "
                               "the provider's answer.")
                         .Register(*registry_)
                         .Add({}, LatencyBuckets())),
      places_errors(CounterOf(*registry_, "herd_places_errors_total",
                              "Places searches that failed in the provider.")),
      rpc_seconds(prometheus::BuildHistogram()
                      .Name("herd_rpc_duration_seconds")
                      .Help("Unary LocationService calls, from the call's start to its status "
                            "being sent.")
                      .Register(*registry_)) {
  for (const std::string& name : peers) {
    prometheus::Labels peer = {{"peer", name}};
    PeerLinkMetrics& link = peers_[name];
    link.stamps_sent = &CounterOf(*registry_, "herd_peer_stamps_sent_total",
                                  "Flooded stamps written to the peer's stream.", peer);
    link.stamp_messages_sent =
        &CounterOf(*registry_, "herd_peer_stamp_messages_sent_total",
                   "Messages of flooded stamps written to the peer's stream.", peer);
    link.stamps_received = &CounterOf(*registry_, "herd_peer_stamps_received_total",
                                      "Flooded stamps read from the peer's stream.", peer);
    link.catch_up_sent = &CounterOf(*registry_, "herd_peer_catch_up_stamps_sent_total",
                                    "Anti-entropy (catch-up) stamps written to the peer.", peer);
    link.catch_up_received = &CounterOf(*registry_, "herd_peer_catch_up_stamps_received_total",
                                        "Anti-entropy (catch-up) stamps read from the peer.", peer);
    link.bytes_sent = &CounterOf(*registry_, "herd_peer_bytes_sent_total",
                                 "Serialized link messages written to the peer.", peer);
    link.bytes_received = &CounterOf(*registry_, "herd_peer_bytes_received_total",
                                     "Serialized link messages read from the peer.", peer);
    link.relinks = &CounterOf(*registry_, "herd_peer_relinks_total",
                              "Times the link came up again after its first time.", peer);
  }
}

PeerLinkMetrics* NodeMetrics::peer(absl::string_view name) {
  auto it = peers_.find(name);
  return it == peers_.end() ? nullptr : &it->second;
}

std::vector<std::string> TimedLocationServiceMethods() {
  std::vector<std::string> methods;
  const google::protobuf::ServiceDescriptor* service =
      v1::ReportRequest::descriptor()->file()->FindServiceByName("LocationService");
  for (int i = 0; i < service->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* method = service->method(i);
    if (method->client_streaming() || method->server_streaming()) continue;
    methods.push_back("/" + service->full_name() + "/" + method->name());
  }
  return methods;
}

}  // namespace herd

namespace herd {

std::vector<prometheus::MetricFamily> NodeStateCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;

  prometheus::MetricFamily stamps = ScrapedFamily(
      "herd_node_stamps", "Clients whose latest stamp the node holds.", MetricType::Gauge);
  AddSample(&stamps, {}, static_cast<double>(store_->size()));
  families.push_back(std::move(stamps));

  // The digest as a label: nodes holding the same stamps show the same value.
  prometheus::MetricFamily digest = ScrapedFamily(
      "herd_node_store_digest_info",
      "Always 1; label digest: the store's digest (hex), equal on nodes holding the same stamps.",
      MetricType::Gauge);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, store_->Digest());
  AddSample(&digest, {{"digest", hex}}, 1);
  families.push_back(std::move(digest));

  prometheus::MetricFamily up =
      ScrapedFamily("herd_peer_link_up", "1 while the link's stream to the peer is up, else 0.",
                    MetricType::Gauge);
  prometheus::MetricFamily queued = ScrapedFamily(
      "herd_peer_outbound_queue_bytes",
      "Bytes queued for the peer and not yet handed to the stream (estimated wire size).",
      MetricType::Gauge);
  for (const PeerMesh::LinkState& link : mesh_->LinkStates()) {
    AddSample(&up, {{"peer", link.peer}}, link.up ? 1 : 0);
    AddSample(&queued, {{"peer", link.peer}}, static_cast<double>(link.queued_bytes));
  }
  families.push_back(std::move(up));
  families.push_back(std::move(queued));

  PeerMesh::SyncCounters sync = mesh_->sync_counters();
  prometheus::MetricFamily rounds = ScrapedFamily(
      "herd_sync_rounds_total", "Anti-entropy rounds this node took part in.", MetricType::Counter);
  AddSample(&rounds, {}, static_cast<double>(sync.rounds));
  families.push_back(std::move(rounds));

  prometheus::MetricFamily dropped =
      ScrapedFamily("herd_node_dropped_peer_stamps_total",
                    "Stamps from peers that failed validation and were neither stored nor flooded.",
                    MetricType::Counter);
  AddSample(&dropped, {}, static_cast<double>(mesh_->validator().dropped()));
  families.push_back(std::move(dropped));

  if (places_ != nullptr) {
    prometheus::MetricFamily hits = ScrapedFamily(
        "herd_places_cache_hits_total",
        "Places searches answered from the provider's response cache (Google Places; the "
        "embedded GeoNames index has no cache and stays 0).",
        MetricType::Counter);
    AddSample(&hits, {}, static_cast<double>(places_->cache_hits()));
    families.push_back(std::move(hits));
  }
  return families;
}

}  // namespace herd
