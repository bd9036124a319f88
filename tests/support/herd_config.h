#ifndef HERD_TESTS_SUPPORT_HERD_CONFIG_H_
#define HERD_TESTS_SUPPORT_HERD_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

namespace herd::testing {

struct NodeAddresses {
  std::string name;
  std::string grpc_address;
  std::string text_address;
  std::vector<std::string> gateway_fallbacks = {};
  // /metrics of the node and of the gateway serving it; empty: none.
  std::string metrics_address = {};
  std::string gateway_metrics_address = {};
};

struct HerdSpec {
  std::vector<NodeAddresses> nodes;
  std::vector<std::pair<std::string, std::string>> links;
  std::string log_dir;
  int max_line_bytes = 0;      // 0: the default
  int request_timeout_ms = 0;  // 0: the default
  int node_down_grace_ms = 0;  // 0: the default
  bool refuse_connections_when_down = false;
  std::string places_json;  // raw JSON value of "places", empty for none
  std::string log_json;     // raw JSON value of "log", empty for none
  // TLS: when set, the config has a "tls" section and every node and the gateway use the
  // certificates deploy/herd-certs made in this directory (node-<name>.pem, gateway-gateway.pem).
  std::string certs_dir;
  std::string ca_file;  // default: <certs_dir>/ca.pem
  bool require_client_certificates = false;
  std::string stamps_json;  // raw JSON value of "stamps", empty for none
  std::string extra_json;   // more top-level members, e.g. R"("storage": {...})", or empty
};

// The herd config JSON for `spec`.
std::string HerdConfigJson(const HerdSpec& spec);

}  // namespace herd::testing

#endif  // HERD_TESTS_SUPPORT_HERD_CONFIG_H_
