#ifndef HERD_SERVICES_CORE_TRANSPORT_SECURITY_H_
#define HERD_SERVICES_CORE_TRANSPORT_SECURITY_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/core/config.h"

namespace herd {

// How one process's gRPC connections are secured: plain TCP, or TLS 1.2+ with the herd's CA as
// the only trusted issuer and (optionally) a certificate of its own. The one place where server
// and channel credentials are made, for nodes, gateways, the bench and the tests.
class TransportSecurity {
 public:
  // Plain TCP (the insecure mode: a herd on loopback).
  static TransportSecurity Insecure() { return TransportSecurity(); }
  // TLS trusting the CA in `ca_file`, presenting `cert_file`/`key_file` (both empty: present
  // nothing, as a plain API client may). The files are read now; errors name them.
  static absl::StatusOr<TransportSecurity> Tls(const std::string& ca_file,
                                               const std::string& cert_file,
                                               const std::string& key_file);
  // What node `name` of `config` uses: its certificate when the config has `tls`.
  static absl::StatusOr<TransportSecurity> ForNode(const HerdConfig& config,
                                                   absl::string_view name);
  // What the gateway serving `node` uses.
  static absl::StatusOr<TransportSecurity> ForGateway(const HerdConfig& config,
                                                      absl::string_view node);

  bool tls() const { return tls_; }

  // Credentials for a node's listening port. With TLS, a client certificate is verified when
  // presented and, with `require_client_certificates`, required at the handshake.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
      bool require_client_certificates) const;

  // A channel to the node `node_name` at `address`. With TLS the node's certificate must name
  // `node_name` (DNS SAN), whatever host or IP the address has, so a dialer cannot be answered
  // by another node of the herd.
  std::shared_ptr<grpc::Channel> NodeChannel(const std::string& address,
                                             const std::string& node_name,
                                             grpc::ChannelArguments args) const;

 private:
  bool tls_ = false;
  std::string ca_pem_;
  std::string cert_pem_;
  std::string key_pem_;
};

// Whether `host_port` binds loopback only (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(absl::string_view host_port);

// The identities certificates carry: URI SANs herd://node/<name> and herd://gateway/<name>.
inline constexpr absl::string_view kNodeUriPrefix = "herd://node/";
inline constexpr absl::string_view kGatewayUriPrefix = "herd://gateway/";

}  // namespace herd

#endif  // HERD_SERVICES_CORE_TRANSPORT_SECURITY_H_
