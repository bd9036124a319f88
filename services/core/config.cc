#include "services/core/config.h"

#include <arpa/inet.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/core/log_options.h"

namespace herd {
namespace {

constexpr uint32_t kMaxBatchLingerMicros = 100000;
constexpr uint32_t kMaxClientFloodHoldMicros = 1000000;

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool HasSpace(absl::string_view s) {
  return s.find_first_of(" \t\r\n\v\f") != absl::string_view::npos;
}

// A DNS host name (RFC 1123: dot-separated labels of letters, digits and inner hyphens, as
// container service names are) or an IPv4 literal; both fit this rule.
bool IsHostName(absl::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

// "[...]" holding an IPv6 literal.
bool IsBracketedIpv6(absl::string_view host) {
  if (host.size() < 4 || host.front() != '[' || host.back() != ']') return false;
  in6_addr parsed;
  return inet_pton(AF_INET6, std::string(host.substr(1, host.size() - 2)).c_str(), &parsed) == 1;
}

// host:port: a host name, an IPv4 literal or a bracketed IPv6 literal, and a numeric port in
// 1..65535 (port 0 is allowed for tests that pick one).
absl::Status ValidateAddress(absl::string_view field, absl::string_view address) {
  if (address.empty()) return Invalid(field, "is empty; expected host:port");
  size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return Invalid(field, absl::StrCat("\"", address, "\" is not host:port"));
  }
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return Invalid(field, absl::StrCat("\"", address, "\" has no valid port"));
  }
  absl::string_view host = address.substr(0, colon);
  if (!IsHostName(host) && !IsBracketedIpv6(host)) {
    return Invalid(field, absl::StrCat("\"", address,
                                       "\" has no valid host (a host name, an IPv4 address or "
                                       "[an IPv6 address])"));
  }
  return absl::OkStatus();
}

// ipv4:port: what the metrics HTTP server binds (Debian's civetweb resolves no host names and
// is built without IPv6).
absl::Status ValidateIpv4Address(absl::string_view field, absl::string_view address) {
  if (auto s = ValidateAddress(field, address); !s.ok()) return s;
  absl::string_view host = address.substr(0, address.rfind(':'));
  in_addr ipv4;
  if (inet_pton(AF_INET, std::string(host).c_str(), &ipv4) == 1) return absl::OkStatus();
  return Invalid(field, absl::StrCat("\"", address,
                                     "\" must be an IPv4 address and port (e.g. 127.0.0.1:12200 "
                                     "or 0.0.0.0:12200), not a host name or IPv6"));
}

// Resolves a PEM path that TLS requires; the files themselves are read when a process starts.
absl::Status ResolveRequired(absl::string_view field, std::string* path,
                             const std::string& base_dir) {
  if (path->empty()) return Invalid(field, "is required when tls is set");
  *path = ResolvePath(*path, base_dir);
  return absl::OkStatus();
}

// Certificate and key come in pairs: both or neither.
absl::Status ResolvePair(const std::string& cert_field, const std::string& key_field,
                         std::string* cert, std::string* key, const std::string& base_dir) {
  if (cert->empty() != key->empty()) {
    return Invalid(cert->empty() ? cert_field : key_field,
                   "is required with its certificate/key counterpart");
  }
  *cert = ResolvePath(*cert, base_dir);
  *key = ResolvePath(*key, base_dir);
  return absl::OkStatus();
}

absl::Status ValidateTls(v1::HerdConfig& config, const std::string& base_dir) {
  if (!config.has_tls()) {
    for (int i = 0; i < config.nodes_size(); ++i) {
      const v1::NodeConfig& node = config.nodes(i);
      if (!node.cert_file().empty() || !node.key_file().empty() ||
          !node.gateway_cert_file().empty() || !node.gateway_key_file().empty()) {
        return Invalid(absl::StrCat("nodes[", i, "]"),
                       "has certificate files but the config has no \"tls\" section");
      }
    }
    if (!config.gateway().cert_file().empty() || !config.gateway().key_file().empty()) {
      return Invalid("gateway", "has certificate files but the config has no \"tls\" section");
    }
    return absl::OkStatus();
  }
  v1::TlsConfig* tls = config.mutable_tls();
  if (auto s = ResolveRequired("tls.caFile", tls->mutable_ca_file(), base_dir); !s.ok()) return s;
  v1::GatewayConfig* gateway = config.mutable_gateway();
  if (auto s = ResolvePair("gateway.certFile", "gateway.keyFile", gateway->mutable_cert_file(),
                           gateway->mutable_key_file(), base_dir);
      !s.ok()) {
    return s;
  }
  const bool herd_wide_gateway = !gateway->cert_file().empty();
  for (int i = 0; i < config.nodes_size(); ++i) {
    v1::NodeConfig* node = config.mutable_nodes(i);
    std::string field = absl::StrCat("nodes[", i, "].");
    if (auto s = ResolveRequired(field + "certFile", node->mutable_cert_file(), base_dir);
        !s.ok()) {
      return s;
    }
    if (auto s = ResolveRequired(field + "keyFile", node->mutable_key_file(), base_dir); !s.ok()) {
      return s;
    }
    if (auto s = ResolvePair(field + "gatewayCertFile", field + "gatewayKeyFile",
                             node->mutable_gateway_cert_file(), node->mutable_gateway_key_file(),
                             base_dir);
        !s.ok()) {
      return s;
    }
    if (!herd_wide_gateway && node->gateway_cert_file().empty()) {
      return Invalid(field + "gatewayCertFile",
                     "is required when tls is set and gateway.certFile is not");
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(v1::HerdConfig& config, const std::string& base_dir) {
  if (config.nodes().empty()) return Invalid("nodes", "at least one node is required");
  std::set<std::string> names;
  std::set<std::string> addresses;
  for (int i = 0; i < config.nodes_size(); ++i) {
    const v1::NodeConfig& node = config.nodes(i);
    std::string field = absl::StrCat("nodes[", i, "]");
    if (node.name().empty()) return Invalid(field + ".name", "is empty");
    if (HasSpace(node.name())) return Invalid(field + ".name", "contains white space");
    if (!names.insert(node.name()).second) {
      return Invalid(field + ".name", absl::StrCat("duplicate node name \"", node.name(), "\""));
    }
    if (auto s = ValidateAddress(field + ".grpcAddress", node.grpc_address()); !s.ok()) return s;
    if (auto s = ValidateAddress(field + ".textAddress", node.text_address()); !s.ok()) return s;
    // Listen addresses default to the dial addresses. They may repeat across nodes (each
    // container binds its own 0.0.0.0:12100).
    if (!node.grpc_listen_address().empty()) {
      if (auto s = ValidateAddress(field + ".grpcListenAddress", node.grpc_listen_address());
          !s.ok()) {
        return s;
      }
    } else {
      config.mutable_nodes(i)->set_grpc_listen_address(node.grpc_address());
    }
    if (!node.text_listen_address().empty()) {
      if (auto s = ValidateAddress(field + ".textListenAddress", node.text_listen_address());
          !s.ok()) {
        return s;
      }
    } else {
      config.mutable_nodes(i)->set_text_listen_address(node.text_address());
    }
    for (auto [name, address] :
         {std::pair{".metricsAddress", &node.metrics_address()},
          std::pair{".gatewayMetricsAddress", &node.gateway_metrics_address()}}) {
      if (address->empty()) continue;
      if (auto s = ValidateIpv4Address(field + name, *address); !s.ok()) return s;
    }
    // Metrics addresses are bind addresses: like listen addresses they may repeat (containers).
    for (const std::string* address : {&node.grpc_address(), &node.text_address()}) {
      if (!absl::EndsWith(*address, ":0") && !addresses.insert(*address).second) {
        return Invalid(field, absl::StrCat("address ", *address, " is used twice"));
      }
    }
  }
  for (int i = 0; i < config.nodes_size(); ++i) {
    const v1::NodeConfig& node = config.nodes(i);
    std::set<std::string> fallbacks;
    for (int j = 0; j < node.gateway_fallbacks_size(); ++j) {
      const std::string& fallback = node.gateway_fallbacks(j);
      std::string field = absl::StrCat("nodes[", i, "].gatewayFallbacks[", j, "]");
      if (!names.count(fallback)) {
        return Invalid(field, absl::StrCat("unknown node \"", fallback, "\""));
      }
      if (fallback == node.name()) return Invalid(field, "names the node itself");
      if (!fallbacks.insert(fallback).second) {
        return Invalid(field, absl::StrCat("\"", fallback, "\" is named twice"));
      }
    }
  }
  std::set<std::pair<std::string, std::string>> links;
  for (int i = 0; i < config.links_size(); ++i) {
    const v1::LinkConfig& link = config.links(i);
    std::string field = absl::StrCat("links[", i, "].nodes");
    if (link.nodes_size() != 2) return Invalid(field, "must name exactly two nodes");
    for (const std::string& name : link.nodes()) {
      if (!names.count(name)) return Invalid(field, absl::StrCat("unknown node \"", name, "\""));
    }
    if (link.nodes(0) == link.nodes(1)) return Invalid(field, "links a node to itself");
    auto key = std::minmax(link.nodes(0), link.nodes(1));
    if (!links.insert({key.first, key.second}).second) {
      return Invalid(field, "duplicate link");
    }
  }
  if (absl::Status s = ValidateTls(config, base_dir); !s.ok()) return s;
  if (config.gateway().batch_linger_us() > kMaxBatchLingerMicros) {
    return Invalid("gateway.batchLingerUs", absl::StrCat("is above ", kMaxBatchLingerMicros));
  }
  if (config.flood().client_hold_us() > kMaxClientFloodHoldMicros) {
    return Invalid("flood.clientHoldUs", absl::StrCat("is above ", kMaxClientFloodHoldMicros));
  }
  if (config.log_dir().empty()) return Invalid("logDir", "is empty");
  config.set_log_dir(ResolvePath(config.log_dir(), base_dir));
  if (auto s = ValidateLogConfig(config.log()); !s.ok()) return s;
  if (!config.storage().data_dir().empty()) {
    config.mutable_storage()->set_data_dir(ResolvePath(config.storage().data_dir(), base_dir));
  }

  v1::PlacesConfig* places = config.mutable_places();
  if (places->has_geonames()) {
    if (places->geonames().data_file().empty()) {
      return Invalid("places.geonames.dataFile", "is empty");
    }
    places->mutable_geonames()->set_data_file(
        ResolvePath(places->geonames().data_file(), base_dir));
  } else if (places->has_google()) {
    const v1::GooglePlacesConfig& google = places->google();
    if (google.api() == v1::GooglePlacesConfig::API_UNSPECIFIED) {
      return Invalid("places.google.api", "choose NEARBY_SEARCH_LEGACY or PLACES_NEW");
    }
    if (google.api_key_env().empty()) {
      return Invalid("places.google.apiKeyEnv",
                     "name the environment variable that holds the API key");
    }
    if (!google.base_url().empty() && !absl::StartsWith(google.base_url(), "http://") &&
        !absl::StartsWith(google.base_url(), "https://")) {
      return Invalid("places.google.baseUrl", "must start with http:// or https://");
    }
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Absolute(const std::string& dir) {
  if (!dir.empty() && dir[0] == '/') return dir;
  char* cwd = getcwd(nullptr, 0);
  std::string result = cwd ? std::string(cwd) : std::string(".");
  free(cwd);
  if (dir != ".") result = absl::StrCat(result, "/", dir);
  return result;
}

}  // namespace

std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty()) return path;
  std::string joined;
  if (path[0] == '/') {
    joined = path;
  } else if (absl::StartsWith(path, "~/")) {
    const char* home = std::getenv("HOME");
    joined = absl::StrCat(home ? home : "", path.substr(1));
  } else {
    joined = absl::StrCat(base_dir, "/", path);
  }
  return std::filesystem::path(joined).lexically_normal().string();
}

absl::StatusOr<HerdConfig> HerdConfig::Parse(absl::string_view json, const std::string& base_dir) {
  HerdConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config.proto_, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid herd config: ", status.message().as_string()));
  }
  if (absl::Status s = Validate(config.proto_, base_dir); !s.ok()) return s;
  return config;
}

absl::StatusOr<HerdConfig> HerdConfig::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<HerdConfig> config = Parse(buffer.str(), Absolute(DirectoryOf(path)));
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

absl::Duration HerdConfig::gateway_batch_linger() const {
  if (!proto_.gateway().has_batch_linger_us()) return kDefaultGatewayBatchLinger;
  return absl::Microseconds(proto_.gateway().batch_linger_us());
}

absl::Duration HerdConfig::client_flood_hold() const {
  if (!proto_.flood().has_client_hold_us()) return kDefaultClientFloodHold;
  return absl::Microseconds(proto_.flood().client_hold_us());
}

absl::Duration HerdConfig::max_client_time_ahead() const {
  if (!proto_.stamps().has_max_client_time_ahead_seconds()) return kDefaultMaxClientTimeAhead;
  return absl::Seconds(proto_.stamps().max_client_time_ahead_seconds());
}

std::string HerdConfig::GatewayCertFile(absl::string_view node) const {
  const v1::NodeConfig* entry = FindNode(node);
  if (entry != nullptr && !entry->gateway_cert_file().empty()) return entry->gateway_cert_file();
  return proto_.gateway().cert_file();
}

std::string HerdConfig::GatewayKeyFile(absl::string_view node) const {
  const v1::NodeConfig* entry = FindNode(node);
  if (entry != nullptr && !entry->gateway_key_file().empty()) return entry->gateway_key_file();
  return proto_.gateway().key_file();
}

const v1::NodeConfig* HerdConfig::FindNode(absl::string_view name) const {
  for (const v1::NodeConfig& node : proto_.nodes()) {
    if (node.name() == name) return &node;
  }
  return nullptr;
}

std::vector<std::string> HerdConfig::PeersOf(absl::string_view name) const {
  std::vector<std::string> peers;
  for (const v1::LinkConfig& link : proto_.links()) {
    if (link.nodes(0) == name) peers.push_back(link.nodes(1));
    if (link.nodes(1) == name) peers.push_back(link.nodes(0));
  }
  return peers;
}

}  // namespace herd
