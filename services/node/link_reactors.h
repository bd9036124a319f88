#ifndef HERD_SERVICES_NODE_LINK_REACTORS_H_
#define HERD_SERVICES_NODE_LINK_REACTORS_H_

#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "herd/v1/peer_service.grpc.pb.h"
#include "services/node/link_endpoint.h"

namespace herd {

// The accepting end of a link.
class ServerLinkReactor : public grpc::ServerBidiReactor<v1::PeerMessage, v1::PeerMessage>,
                          public LinkEndpoint {
 public:
  ServerLinkReactor(PeerMesh* mesh, PeerMesh::Link* link);

  void OnReadDone(bool ok) override { HandleReadDone(ok); }
  void OnWriteDone(bool ok) override { HandleWriteDone(ok); }
  void OnDone() override;
  void Cancel() override;

 private:
  void StartReadOp(v1::PeerMessage* message) override { StartRead(message); }
  void StartWriteOp(const v1::PeerMessage* message) override { StartWrite(message); }
  void CloseStream() override;

  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);
};

// Answers a stream this node will not serve (unknown caller, shutting down) with `status`.
class RejectingLinkReactor : public grpc::ServerBidiReactor<v1::PeerMessage, v1::PeerMessage> {
 public:
  explicit RejectingLinkReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// What the dialer learns when its stream ends.
struct DialOutcome {
  grpc::Status status;
  bool linked = false;  // the handshake completed
  absl::Notification done;
};

// The dialing end of a link.
class ClientLinkReactor : public grpc::ClientBidiReactor<v1::PeerMessage, v1::PeerMessage>,
                          public LinkEndpoint {
 public:
  ClientLinkReactor(PeerMesh* mesh, PeerMesh::Link* link, DialOutcome* outcome);
  // Binds to a new stream and starts it.
  void Start();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override { HandleWriteDone(ok); }
  void OnDone(const grpc::Status& status) override;
  void Cancel() override { context_.TryCancel(); }

 private:
  void StartReadOp(v1::PeerMessage* message) override { StartRead(message); }
  void StartWriteOp(const v1::PeerMessage* message) override { StartWrite(message); }
  void CloseStream() override;

  grpc::ClientContext context_;
  DialOutcome* const outcome_;
  bool hold_released_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_LINK_REACTORS_H_
