#ifndef HERD_SERVICES_NODE_PEER_IDENTITY_H_
#define HERD_SERVICES_NODE_PEER_IDENTITY_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"

namespace herd {

// The node name a caller of PeerService proves. With TLS it is the one URI SAN
// herd://node/<name> of the certificate the caller presented at the handshake (the handshake has
// already checked the issuer and the validity dates); metadata is ignored. PERMISSION_DENIED when
// there is no certificate or it names no node (e.g. a gateway's) or more than one.
//
// Without TLS (the insecure mode) the caller names itself in the `x-herd-node` metadata, which
// nothing checks: that mode is for a herd on loopback only.
absl::StatusOr<std::string> IdentifyPeerNode(const grpc::ServerContextBase& context, bool tls);

// The metadata key a dialer names itself with in the insecure mode.
inline constexpr char kPeerNodeMetadata[] = "x-herd-node";

}  // namespace herd

#endif  // HERD_SERVICES_NODE_PEER_IDENTITY_H_
