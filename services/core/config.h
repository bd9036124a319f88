#ifndef HERD_SERVICES_CORE_CONFIG_H_
#define HERD_SERVICES_CORE_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "herd/v1/config.pb.h"

namespace herd {

// A validated herd configuration with its paths made absolute.
class HerdConfig {
 public:
  // Reads JSON from `path`, validates it and resolves relative paths against the file's
  // directory. Errors name the file and the bad field, e.g. "nodes[2].grpc_address: ...".
  static absl::StatusOr<HerdConfig> Load(const std::string& path);
  // Same for JSON text; relative paths resolve against `base_dir`.
  static absl::StatusOr<HerdConfig> Parse(absl::string_view json, const std::string& base_dir);

  const v1::HerdConfig& proto() const { return proto_; }
  // nullptr when no node has that name.
  const v1::NodeConfig* FindNode(absl::string_view name) const;
  // Names of the nodes linked to `name`, in config order.
  std::vector<std::string> PeersOf(absl::string_view name) const;
  // Absolute log directory.
  const std::string& log_dir() const { return proto_.log_dir(); }
  // Whether the herd runs mutual TLS (the config has a `tls` section).
  bool tls() const { return proto_.has_tls(); }
  // The gateway certificate and key for the gateway serving `node` (its own, else the herd's).
  std::string GatewayCertFile(absl::string_view node) const;
  std::string GatewayKeyFile(absl::string_view node) const;
  // How far ahead of a node's clock a client time may be; zero: no bound.
  absl::Duration max_client_time_ahead() const;
  static constexpr absl::Duration kDefaultMaxClientTimeAhead = absl::Hours(24);
  // How long the gateway lets an IAMAT wait for company in its call to the node.
  absl::Duration gateway_batch_linger() const;
  static constexpr absl::Duration kDefaultGatewayBatchLinger = absl::Microseconds(700);
  // How long a node holds its own clients' stamps before flooding them (FloodConfig).
  absl::Duration client_flood_hold() const;
  static constexpr absl::Duration kDefaultClientFloodHold = absl::Milliseconds(1);

 private:
  v1::HerdConfig proto_;
};

// Resolves `path` against `base_dir` ("~/" against $HOME); absolute paths are returned as is.
std::string ResolvePath(const std::string& path, const std::string& base_dir);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_CONFIG_H_
