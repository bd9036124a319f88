#ifndef HERD_SERVICES_NODE_PEER_MESH_H_
#define HERD_SERVICES_NODE_PEER_MESH_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "herd/v1/peer_service.grpc.pb.h"
#include "services/core/async_log.h"
#include "services/core/config.h"
#include "services/core/transport_security.h"
#include "services/node/stamp_store.h"
#include "services/node/stamp_validator.h"

namespace herd {

class LinkEndpoint;

// The node's links to its configured peers. Each link is one long-lived PeerService.Link stream:
// the node whose name sorts first dials it (and redials when it breaks); the other accepts it.
// Stamps that change the store are flooded to every live link except the one they came from.
class PeerMesh {
 public:
  // One configured peer.
  struct Link {
    std::string peer;
    bool dials = false;                           // this node opens the stream
    std::unique_ptr<v1::PeerService::Stub> stub;  // when `dials`
    absl::Mutex mu;
    LinkEndpoint* live ABSL_GUARDED_BY(mu) = nullptr;     // stream past its handshake
    LinkEndpoint* dialing ABSL_GUARDED_BY(mu) = nullptr;  // the dialer's current stream
    std::thread dialer;
  };

  // `security` secures the streams this node dials and tells how callers prove who they are;
  // `validator` checks every stamp a peer sends before it is stored.
  PeerMesh(std::string self, const HerdConfig& config, const TransportSecurity& security,
           StampStore* store, StampValidator* validator, AsyncLog* log);
  ~PeerMesh();

  // Starts dialing the links this node opens.
  void Start();
  // Ends every stream and stops redialing. Idempotent.
  void Stop();

  // Sends `stamp` to every live link except the one to `except_peer` ("" for none) and logs it
  // once; `at_line` is FormatAtLine(stamp), which the caller has already made for its own log.
  void Flood(const v1::LocationStamp& stamp, absl::string_view at_line,
             absl::string_view except_peer);

  // The PeerService implementation to register with the node's server.
  grpc::Service* service() { return &service_; }

  // Peers whose link is up, sorted.
  std::vector<std::string> LivePeers() const;

  const std::string& self() const { return self_; }
  StampStore& store() { return *store_; }
  AsyncLog& log() { return *log_; }
  StampValidator& validator() { return *validator_; }
  bool stopping() const { return stopping_.load(); }

  // Called by endpoints: the handshake finished / the stream ended.
  void Attach(Link* link, LinkEndpoint* endpoint);
  void Detach(Link* link, LinkEndpoint* endpoint);

 private:
  class Service : public v1::PeerService::CallbackService {
   public:
    explicit Service(PeerMesh* mesh) : mesh_(mesh) {}
    grpc::ServerBidiReactor<v1::PeerMessage, v1::PeerMessage>* Link(
        grpc::CallbackServerContext* context) override;

   private:
    PeerMesh* mesh_;
  };

  void DialLoop(Link* link);

  const std::string self_;
  const bool tls_;
  StampStore* const store_;
  StampValidator* const validator_;
  AsyncLog* const log_;
  std::map<std::string, std::unique_ptr<Link>, std::less<>> links_;
  Service service_{this};
  std::atomic<bool> stopping_{false};
  absl::Mutex stop_mu_;
  bool stop_requested_ ABSL_GUARDED_BY(stop_mu_) = false;
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_PEER_MESH_H_
