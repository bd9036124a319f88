#include "services/core/transport_security.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace herd {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string pem = buffer.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is not PEM"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<TransportSecurity> TransportSecurity::Tls(const std::string& ca_file,
                                                         const std::string& cert_file,
                                                         const std::string& key_file) {
  TransportSecurity security;
  security.tls_ = true;
  absl::StatusOr<std::string> ca = ReadPem(ca_file, "CA certificate");
  if (!ca.ok()) return ca.status();
  security.ca_pem_ = *std::move(ca);
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("a certificate needs its key and a key its certificate");
  }
  if (!cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem(cert_file, "certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem(key_file, "private key");
    if (!key.ok()) return key.status();
    security.cert_pem_ = *std::move(cert);
    security.key_pem_ = *std::move(key);
  }
  return security;
}

absl::StatusOr<TransportSecurity> TransportSecurity::ForNode(const HerdConfig& config,
                                                             absl::string_view name) {
  if (!config.tls()) return Insecure();
  const v1::NodeConfig* node = config.FindNode(name);
  if (node == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no node \"", name, "\" in the config"));
  }
  return Tls(config.proto().tls().ca_file(), node->cert_file(), node->key_file());
}

absl::StatusOr<TransportSecurity> TransportSecurity::ForGateway(const HerdConfig& config,
                                                                absl::string_view node) {
  if (!config.tls()) return Insecure();
  return Tls(config.proto().tls().ca_file(), config.GatewayCertFile(node),
             config.GatewayKeyFile(node));
}

std::shared_ptr<grpc::ServerCredentials> TransportSecurity::ServerCredentials(
    bool require_client_certificates) const {
  if (!tls_) return grpc::InsecureServerCredentials();
  // One port serves clients and peers: verify any certificate presented (another CA or an
  // expired one fails the handshake) and let PeerService refuse a stream without one.
  grpc::SslServerCredentialsOptions options(
      require_client_certificates ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                  : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca_pem_;
  options.pem_key_cert_pairs.push_back({key_pem_, cert_pem_});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::Channel> TransportSecurity::NodeChannel(const std::string& address,
                                                              const std::string& node_name,
                                                              grpc::ChannelArguments args) const {
  if (!tls_) return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca_pem_;
  options.pem_cert_chain = cert_pem_;
  options.pem_private_key = key_pem_;
  args.SetSslTargetNameOverride(node_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(options), args);
}

bool IsLoopbackAddress(absl::string_view host_port) {
  size_t colon = host_port.rfind(':');
  absl::string_view host = host_port.substr(0, colon == absl::string_view::npos ? 0 : colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  absl::ConsumePrefix(&host, "::ffff:");  // an IPv4-mapped IPv6 address
  return absl::StartsWith(host, "127.") || host == "::1" || host == "localhost";
}

}  // namespace herd
