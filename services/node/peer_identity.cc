#include "services/node/peer_identity.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/core/transport_security.h"

namespace herd {
namespace {

// Every URI SAN of the peer's certificate that names a herd node. gRPC lists URI SANs under
// "peer_uri" and, with all other SANs, under "x509_subject_alternative_name".
std::set<std::string> NodeNamesInCertificate(const grpc::AuthContext& auth) {
  std::set<std::string> names;
  for (const char* property : {GRPC_PEER_URI_PROPERTY_NAME, GRPC_X509_SAN_PROPERTY_NAME}) {
    for (const grpc::string_ref& value : auth.FindPropertyValues(property)) {
      absl::string_view san(value.data(), value.size());
      if (absl::StartsWith(san, kNodeUriPrefix) && san.size() > kNodeUriPrefix.size()) {
        names.insert(std::string(san.substr(kNodeUriPrefix.size())));
      }
    }
  }
  return names;
}

std::string Describe(const grpc::AuthContext& auth) {
  std::vector<std::string> sans;
  for (const grpc::string_ref& value : auth.FindPropertyValues(GRPC_X509_SAN_PROPERTY_NAME)) {
    sans.emplace_back(value.data(), value.size());
  }
  return sans.empty() ? "no subject alternative names" : absl::StrJoin(sans, ",");
}

}  // namespace

absl::StatusOr<std::string> IdentifyPeerNode(const grpc::ServerContextBase& context, bool tls) {
  if (!tls) {
    const auto& metadata = context.client_metadata();
    auto it = metadata.find(kPeerNodeMetadata);
    return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::PermissionDeniedError("no client certificate: peers must present one");
  }
  std::set<std::string> names = NodeNamesInCertificate(*auth);
  if (names.size() != 1) {
    return absl::PermissionDeniedError(absl::StrCat("the client certificate names ",
                                                    names.empty() ? "no" : "more than one",
                                                    " herd node (", Describe(*auth), ")"));
  }
  return *names.begin();
}

}  // namespace herd
