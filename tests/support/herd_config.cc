#include "tests/support/herd_config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace herd::testing {

std::string HerdConfigJson(const HerdSpec& spec) {
  std::vector<std::string> nodes;
  for (const NodeAddresses& node : spec.nodes) {
    std::string fallbacks;
    if (!node.gateway_fallbacks.empty()) {
      fallbacks = absl::StrCat(R"(, "gatewayFallbacks": [")",
                               absl::StrJoin(node.gateway_fallbacks, R"(", ")"), R"("])");
    }
    nodes.push_back(absl::StrCat(
        R"({"name": ")", node.name, R"(", "grpcAddress": ")", node.grpc_address,
        R"(", "textAddress": ")", node.text_address,
        spec.certs_dir.empty()
            ? std::string()
            : absl::StrCat(R"(", "certFile": ")", spec.certs_dir, "/node-", node.name,
                           R"(.pem", "keyFile": ")", spec.certs_dir, "/node-", node.name, ".key"),
        R"(")", fallbacks,
        node.metrics_address.empty()
            ? std::string()
            : absl::StrCat(R"(, "metricsAddress": ")", node.metrics_address, R"(")"),
        node.gateway_metrics_address.empty()
            ? std::string()
            : absl::StrCat(R"(, "gatewayMetricsAddress": ")", node.gateway_metrics_address, R"(")"),
        "}"));
  }
  std::vector<std::string> links;
  for (const auto& [a, b] : spec.links) {
    links.push_back(absl::StrCat(R"({"nodes": [")", a, R"(", ")", b, R"("]})"));
  }
  std::vector<std::string> gateway;
  if (spec.max_line_bytes > 0)
    gateway.push_back(absl::StrCat(R"("maxLineBytes": )", spec.max_line_bytes));
  if (spec.request_timeout_ms > 0) {
    gateway.push_back(absl::StrCat(R"("requestTimeoutMs": )", spec.request_timeout_ms));
  }
  if (spec.node_down_grace_ms > 0) {
    gateway.push_back(absl::StrCat(R"("nodeDownGraceMs": )", spec.node_down_grace_ms));
  }
  if (spec.refuse_connections_when_down) {
    gateway.push_back(R"("refuseConnectionsWhenDown": true)");
  }
  if (!spec.certs_dir.empty()) {
    gateway.push_back(absl::StrCat(R"("certFile": ")", spec.certs_dir, R"(/gateway-gateway.pem", )",
                                   R"("keyFile": ")", spec.certs_dir, R"(/gateway-gateway.key")"));
  }
  std::string json =
      absl::StrCat("{\n  \"nodes\": [", absl::StrJoin(nodes, ",\n    "), "],\n  \"links\": [",
                   absl::StrJoin(links, ", "), "],\n  \"logDir\": \"", spec.log_dir,
                   "\",\n  \"gateway\": {", absl::StrJoin(gateway, ", "), "}");
  if (!spec.places_json.empty()) absl::StrAppend(&json, ",\n  \"places\": ", spec.places_json);
  if (!spec.log_json.empty()) absl::StrAppend(&json, ",\n  \"log\": ", spec.log_json);
  if (!spec.certs_dir.empty()) {
    absl::StrAppend(&json, ",\n  \"tls\": {\"caFile\": \"",
                    spec.ca_file.empty() ? spec.certs_dir + "/ca.pem" : spec.ca_file,
                    "\", \"requireClientCertificates\": ",
                    spec.require_client_certificates ? "true" : "false", "}");
  }
  if (!spec.stamps_json.empty()) absl::StrAppend(&json, ",\n  \"stamps\": ", spec.stamps_json);
  if (!spec.extra_json.empty()) absl::StrAppend(&json, ",\n  ", spec.extra_json);
  absl::StrAppend(&json, "\n}\n");
  return json;
}

}  // namespace herd::testing
