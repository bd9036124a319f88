#include "services/node/link_reactors.h"

#include "services/node/peer_identity.h"

namespace herd {

ServerLinkReactor::ServerLinkReactor(PeerMesh* mesh, PeerMesh::Link* link)
    : LinkEndpoint(mesh, link) {
  Begin();
}

void ServerLinkReactor::CloseStream() {
  grpc::Status status;
  {
    absl::MutexLock lock(&mu_);
    // Finish only once, and only after the write in flight completes (HandleWriteDone calls
    // back here).
    if (finished_ || write_in_flight_) return;
    finished_ = true;
    status = final_status_;
  }
  Finish(status);
}

void ServerLinkReactor::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    final_status_ = grpc::Status(grpc::StatusCode::ABORTED, "link closed by " + mesh_->self());
  }
  CloseStream();
}

void ServerLinkReactor::OnDone() {
  HandleDone();
  Unref();
}

ClientLinkReactor::ClientLinkReactor(PeerMesh* mesh, PeerMesh::Link* link, DialOutcome* outcome)
    : LinkEndpoint(mesh, link), outcome_(outcome) {
  // How a dialer names itself in the insecure mode; with TLS its certificate does.
  context_.AddMetadata(kPeerNodeMetadata, mesh->self());
}

void ClientLinkReactor::Start() {
  link_->stub->async()->Link(&context_, this);
  // Stamps are written from flooding threads, outside reactions: hold the stream open until
  // it can carry no more messages.
  AddHold();
  Begin();
  StartCall();
}

void ClientLinkReactor::OnReadDone(bool ok) { HandleReadDone(ok); }

void ClientLinkReactor::CloseStream() {
  {
    absl::MutexLock lock(&mu_);
    if (hold_released_) return;
    hold_released_ = true;
  }
  RemoveHold();
}

void ClientLinkReactor::OnDone(const grpc::Status& status) {
  HandleDone();
  outcome_->status = status;
  outcome_->linked = handshake_done();
  outcome_->done.Notify();
  Unref();
}

}  // namespace herd
