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
#include "absl/time/time.h"
#include "herd/v1/peer_service.grpc.pb.h"
#include "services/core/async_log.h"
#include "services/core/config.h"
#include "services/core/transport_security.h"
#include "services/node/held_writes.h"
#include "services/node/range_sync.h"
#include "services/node/stamp_acceptor.h"
#include "services/node/stamp_store.h"
#include "services/node/stamp_validator.h"

namespace herd {

class LinkEndpoint;
class NodeMetrics;
struct PeerLinkMetrics;

// The node's links to its configured peers. Each link is one long-lived PeerService.Link stream:
// the node whose name sorts first dials it (and redials when it breaks); the other accepts it.
// Stamps that change the store are flooded to every live link except the one they came from.
// Anti-entropy rounds (RangeSync) run on a link when it comes up, every
// `sync_interval`, and when another link of the node learned stamps by catch-up; a node takes
// part in one round at a time, so a node that rejoins fetches what it missed once, not once per
// link. See services/node/README.md (link lifetime, lock order).
class PeerMesh : public StampFlooder {
 public:
  struct Options {
    absl::Duration sync_interval = absl::Seconds(30);
    // Past this much queued for a peer the link is cut; the round on relink resends.
    size_t max_queued_bytes = 256 << 20;
    // How long a batch from this node's own clients waits before it is written to the peers,
    // for the batches after it to share its messages (FloodConfig.client_hold_us).
    absl::Duration client_flood_hold = absl::ZeroDuration();
    // Counters of every link; null: none kept.
    NodeMetrics* metrics = nullptr;
  };

  // One configured peer.
  struct Link {
    std::string peer;
    bool dials = false;                           // this node opens the stream
    std::unique_ptr<v1::PeerService::Stub> stub;  // when `dials`
    absl::Mutex mu;
    LinkEndpoint* live ABSL_GUARDED_BY(mu) = nullptr;     // stream past its handshake
    LinkEndpoint* dialing ABSL_GUARDED_BY(mu) = nullptr;  // the dialer's current stream
    std::thread dialer;
    // A round is wanted on this link (set from anywhere, acted on by the sync ticker).
    std::atomic<bool> round_wanted{false};
    // No round before this (absl::ToUnixNanos): after a busy peer, and after another link of
    // the node went down (Detach).
    std::atomic<int64_t> retry_after_ns{0};
    // Next periodic round (ticker thread only).
    absl::Time next_periodic = absl::InfiniteFuture();
    PeerLinkMetrics* metrics = nullptr;  // null without metrics
    std::atomic<uint64_t> times_up{0};   // handshakes completed
    // Flooded stamps received on this link and the messages that carried them.
    std::atomic<uint64_t> flood_messages_received{0};
    std::atomic<uint64_t> flood_stamps_received{0};
    // The peer's links as it last reported them (v1::LinkedPeers) on the live stream; 0 while
    // it has not, or the link is down.
    std::atomic<uint64_t> peer_links{0};
  };

  // `security` secures the streams this node dials and tells how callers prove who they are;
  // every stamp a peer sends is checked by `validator` before `acceptor` takes it.
  PeerMesh(std::string self, const HerdConfig& config, const TransportSecurity& security,
           StampStore* store, StampAcceptor* acceptor, StampValidator* validator, AsyncLog* log,
           Options options);
  // Plain TCP, and a validator of the mesh's own made from `config` (in-process tests).
  PeerMesh(std::string self, const HerdConfig& config, StampStore* store, StampAcceptor* acceptor,
           AsyncLog* log, Options options);
  PeerMesh(std::string self, const HerdConfig& config, StampStore* store, StampAcceptor* acceptor,
           AsyncLog* log)
      : PeerMesh(std::move(self), config, store, acceptor, log, Options()) {}
  ~PeerMesh() override;

  // Starts dialing the links this node opens, and the sync ticker.
  void Start();
  // Ends every stream and stops redialing. Idempotent.
  void Stop();

  // StampFlooder: sends each stamp to every live link except the one to `except_peer` ("" for
  // none) and those to nodes in its covered set, and logs it once. What it sends says the stamp
  // now covers that set, this node, `except_peer` and every peer it was queued to, so a stamp
  // crosses a cycle of live links about once instead of both ways. It also says which nodes one
  // step further the other receivers will pass it to: each such node is left to the first
  // receiver (in name order) whose reported links (v1::LinkedPeers) reach it, so it gets the
  // stamp once rather than from every receiver next to it. Writes start only once the
  // whole batch is queued: a link that is idle would otherwise carry the first stamp alone and
  // the rest in a second message after that write completes. A batch with no `except_peer` (from
  // this node's clients) is written `client_flood_hold` later, with whatever joined it.
  void Flood(const std::vector<Item>& items, absl::string_view except_peer) override;
  // The bit of `node` in a covered set (v1::StampBatch.covered); 0 for an unknown node or a herd
  // of more than 64 nodes.
  uint64_t CoverBit(absl::string_view node) const;

  // The PeerService implementation to register with the node's server.
  grpc::Service* service() { return &service_; }

  // Peers whose link is up, sorted.
  std::vector<std::string> LivePeers() const;

  // Each link's state, for metrics: up, and bytes queued for the peer (0 when down).
  struct LinkState {
    std::string peer;
    bool up = false;
    size_t queued_bytes = 0;
    uint64_t flood_messages_received = 0;  // since the node started
    uint64_t flood_stamps_received = 0;
    uint64_t peer_links = 0;  // Link::peer_links
  };
  std::vector<LinkState> LinkStates();

  struct SyncCounters {
    uint64_t rounds = 0, catch_up_sent = 0, catch_up_received = 0, messages_sent = 0;
  };
  SyncCounters sync_counters() const;

  // --- Used by the link endpoints. ---
  const std::string& self() const { return self_; }
  const Options& options() const { return options_; }
  StampStore& store() { return *store_; }
  StampAcceptor& acceptor() { return *acceptor_; }
  AsyncLog& log() { return *log_; }
  StampValidator& validator() { return *validator_; }
  bool stopping() const { return stopping_.load(); }
  // Ends the holds of client floods; null when they are not held (client_flood_hold zero).
  HeldWrites* held_writes() { return held_writes_.get(); }
  // The handshake finished / the stream ended.
  void Attach(Link* link, LinkEndpoint* endpoint);
  void Detach(Link* link, LinkEndpoint* endpoint);
  // Tells the peers which links are up and keeping up (v1::LinkedPeers) if that changed since
  // they were last told, and `joined` in any case (a link that just came up).
  void PublishLinkedPeers(LinkEndpoint* joined = nullptr);
  // The node-wide round slot: one round at a time. Never blocks.
  bool TryAcquireSyncSlot(LinkEndpoint* endpoint);
  void ReleaseSyncSlot(LinkEndpoint* endpoint);
  // Asks for a round on `link` (after a short random delay when the peer was busy), or on every
  // link but the one to `except_peer`. Only set flags: safe under an endpoint's lock.
  void WantRound(Link* link, bool after_busy = false);
  void WantRoundsExcept(absl::string_view except_peer);
  void CountRound(const RangeSync::RoundStats& stats);

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
  // Starts the rounds that are wanted or due, every few milliseconds.
  void SyncLoop();
  // The live endpoint of `link` with a reference taken, or nullptr.
  LinkEndpoint* LiveEndpoint(Link* link);

  const std::string self_;
  const bool tls_;
  StampStore* const store_;
  // Set when the mesh made its own validator (see the constructors).
  std::unique_ptr<StampValidator> own_validator_;
  StampValidator* const validator_;
  StampAcceptor* const acceptor_;
  AsyncLog* const log_;
  const Options options_;
  const std::unique_ptr<HeldWrites> held_writes_ = options_.client_flood_hold > absl::ZeroDuration()
                                                       ? std::make_unique<HeldWrites>()
                                                       : nullptr;
  std::map<std::string, std::unique_ptr<Link>, std::less<>> links_;
  // Every node's bit in covered sets, by name (empty for a herd of more than 64 nodes).
  std::map<std::string, uint64_t, std::less<>> cover_bits_;
  Service service_{this};
  std::atomic<bool> stopping_{false};
  absl::Mutex stop_mu_;
  bool stop_requested_ ABSL_GUARDED_BY(stop_mu_) = false;
  std::thread sync_ticker_;

  // What the peers were last told of this node's links (PublishLinkedPeers). Held while they are
  // told, so that they hear the changes in order.
  absl::Mutex linked_mu_;
  uint64_t linked_published_ ABSL_GUARDED_BY(linked_mu_) = 0;

  absl::Mutex sync_mu_;
  LinkEndpoint* sync_holder_ ABSL_GUARDED_BY(sync_mu_) = nullptr;
  SyncCounters counters_ ABSL_GUARDED_BY(sync_mu_);
};

}  // namespace herd

#endif  // HERD_SERVICES_NODE_PEER_MESH_H_
