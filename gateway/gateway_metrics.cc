#include "gateway/gateway_metrics.h"

#include "gateway/node_client.h"
#include "services/core/metrics_server.h"

namespace herd::gateway {
namespace {

constexpr char kLinesHelp[] =
    "Text lines read, by command: IAMAT, WHATSAT or malformed (answered \"?\"); blank lines and "
    "lines over the limit are not counted here.";
constexpr char kInvalidHelp[] =
    "\"?\" replies, by reason: malformed line, line over the limit, IAMAT refused or unanswered "
    "by the node, WHATSAT that could not be answered (unknown client, node down, no places).";
constexpr char kRequestHelp[] =
    "From a line's arrival to its reply being ready, by command (IAMATs include batching).";

prometheus::Counter* CounterOf(prometheus::Registry& registry, const std::string& name,
                               const std::string& help, const prometheus::Labels& labels) {
  return &prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Gauge* GaugeOf(prometheus::Registry& registry, const std::string& name,
                           const std::string& help, const prometheus::Labels& labels) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Histogram* HistogramOf(prometheus::Registry& registry, const std::string& name,
                                   const std::string& help, const prometheus::Labels& labels) {
  return &prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add(
      labels, LatencyBuckets());
}

}  // namespace

ConnectionMetrics* GatewayMetrics::ForServedNode(const std::string& node) {
  auto [it, inserted] = served_.try_emplace(node);
  ConnectionMetrics& m = it->second;
  if (!inserted) return &m;
  prometheus::Registry& r = *registry_;
  auto with = [&node](const char* key, const char* value) {
    return prometheus::Labels{{"node", node}, {key, value}};
  };
  const prometheus::Labels just_node = {{"node", node}};
  m.open_connections = GaugeOf(r, "herd_gateway_open_connections",
                               "Text connections open on the node's text address.", just_node);
  m.paused_connections = GaugeOf(r, "herd_gateway_paused_connections",
                                 "Connections not reading now: too many replies pending or "
                                 "unsent (backpressure).",
                                 just_node);
  m.backpressure_pauses =
      CounterOf(r, "herd_gateway_backpressure_pauses_total",
                "Times a connection stopped reading for backpressure.", just_node);
  m.lines_iamat = CounterOf(r, "herd_gateway_lines_total", kLinesHelp, with("command", "IAMAT"));
  m.lines_whatsat =
      CounterOf(r, "herd_gateway_lines_total", kLinesHelp, with("command", "WHATSAT"));
  m.lines_malformed =
      CounterOf(r, "herd_gateway_lines_total", kLinesHelp, with("command", "malformed"));
  m.lines_over_limit = CounterOf(r, "herd_gateway_lines_over_limit_total",
                                 "Lines longer than gateway.maxLineBytes (answered \"?\", then "
                                 "the connection is closed).",
                                 just_node);
  m.invalid_malformed =
      CounterOf(r, "herd_gateway_invalid_replies_total", kInvalidHelp, with("reason", "malformed"));
  m.invalid_over_limit = CounterOf(r, "herd_gateway_invalid_replies_total", kInvalidHelp,
                                   with("reason", "over_limit"));
  m.invalid_iamat =
      CounterOf(r, "herd_gateway_invalid_replies_total", kInvalidHelp, with("reason", "iamat"));
  m.invalid_whatsat =
      CounterOf(r, "herd_gateway_invalid_replies_total", kInvalidHelp, with("reason", "whatsat"));
  m.iamat_seconds = HistogramOf(r, "herd_gateway_request_duration_seconds", kRequestHelp,
                                with("command", "IAMAT"));
  m.whatsat_seconds = HistogramOf(r, "herd_gateway_request_duration_seconds", kRequestHelp,
                                  with("command", "WHATSAT"));
  return &m;
}

std::vector<prometheus::MetricFamily> NodeClientCollector::Collect() const {
  using prometheus::MetricType;
  prometheus::MetricFamily up = ScrapedFamily(
      "herd_gateway_node_up",
      "1 while the gateway counts the node as reachable, 0 once it has been unreachable for "
      "gateway.nodeDownGraceMs (its lines then go to a fallback or are answered \"?\").",
      MetricType::Gauge);
  prometheus::MetricFamily reports =
      ScrapedFamily("herd_gateway_reports_sent_total",
                    "IAMAT reports sent to the node (in ReportBatch calls).", MetricType::Counter);
  prometheus::MetricFamily batches =
      ScrapedFamily("herd_gateway_report_batches_sent_total", "ReportBatch calls sent to the node.",
                    MetricType::Counter);
  for (const NodeClient* client : clients_) {
    prometheus::ClientMetric::Label node{"node", client->node_name()};
    AddSample(&up, {node}, client->down() ? 0 : 1);
    AddSample(&reports, {node}, static_cast<double>(client->reports_sent()));
    AddSample(&batches, {node}, static_cast<double>(client->batches_sent()));
  }
  return {std::move(up), std::move(reports), std::move(batches)};
}

}  // namespace herd::gateway
