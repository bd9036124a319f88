#include "services/node/peer_mesh.h"

#include <algorithm>
#include <random>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/node/link_reactors.h"
#include "services/node/node_metrics.h"
#include "services/node/peer_identity.h"

namespace herd {
namespace {

// A peer that comes back is relinked within this much (plus connection set-up).
constexpr absl::Duration kMaxRedialDelay = absl::Milliseconds(200);
constexpr absl::Duration kFirstRedialDelay = absl::Milliseconds(25);
// A peer that refuses us (misconfiguration) is retried slowly: it will not change by itself.
constexpr absl::Duration kRefusedRedialDelay = absl::Seconds(2);

std::shared_ptr<grpc::Channel> PeerChannel(const TransportSecurity& security,
                                           const std::string& address, const std::string& peer) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  // gRPC 1.51 takes this as the shortest time a connection attempt (TCP and TLS handshakes) is
  // given: at 50 ms a loaded host timed attempts out before they could finish and links stayed
  // down. A refused connection still fails at once, so a returning peer is found as quickly.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  // A restarted container comes back on another address under the same name: look the name up
  // again within a second of losing the connection (gRPC's default waits 30 s between lookups).
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 1000);
  // Notice a peer that vanished without closing its connection (a partition).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(16 << 20);
  // Each link gets its own connection, even to the same address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return security.NodeChannel(address, peer, args);
}

}  // namespace

// How often the sync ticker looks for wanted or due rounds, and for links that stopped or
// started keeping up (PublishLinkedPeers).
constexpr absl::Duration kSyncTick = absl::Milliseconds(10);
// How long after a link goes down the node's other links compare stores: time for the news to
// reach the peers that relied on the link (PublishLinkedPeers), so that what they flooded
// before it did is fetched.
constexpr absl::Duration kRoundAfterLinkDown = absl::Milliseconds(100);

PeerMesh::PeerMesh(std::string self, const HerdConfig& config, StampStore* store,
                   StampAcceptor* acceptor, AsyncLog* log, Options options)
    : PeerMesh(std::move(self), config, TransportSecurity::Insecure(), store, acceptor,
               /*validator=*/nullptr, log, options) {}

PeerMesh::PeerMesh(std::string self, const HerdConfig& config, const TransportSecurity& security,
                   StampStore* store, StampAcceptor* acceptor, StampValidator* validator,
                   AsyncLog* log, Options options)
    : self_(std::move(self)),
      tls_(security.tls()),
      store_(store),
      own_validator_(validator == nullptr ? StampValidator::ForConfig(config) : nullptr),
      validator_(validator == nullptr ? own_validator_.get() : validator),
      acceptor_(acceptor),
      log_(log),
      options_(options) {
  std::vector<std::string> names;
  for (const v1::NodeConfig& node : config.proto().nodes()) names.push_back(node.name());
  std::sort(names.begin(), names.end());
  if (names.size() <= 64) {
    for (size_t i = 0; i < names.size(); ++i) cover_bits_[names[i]] = uint64_t{1} << i;
  }
  for (const std::string& peer : config.PeersOf(self_)) {
    auto link = std::make_unique<Link>();
    link->peer = peer;
    // Exactly one end dials, so a link is one stream.
    link->dials = self_ < peer;
    if (link->dials) {
      link->stub = v1::PeerService::NewStub(
          PeerChannel(security, config.FindNode(peer)->grpc_address(), peer));
    }
    if (options_.metrics != nullptr) link->metrics = options_.metrics->peer(peer);
    links_.emplace(peer, std::move(link));
  }
}

PeerMesh::~PeerMesh() { Stop(); }

void PeerMesh::Start() {
  for (auto& [peer, link] : links_) {
    if (link->dials) {
      Link* raw = link.get();
      link->dialer = std::thread([this, raw] { DialLoop(raw); });
    }
  }
  sync_ticker_ = std::thread([this] { SyncLoop(); });
}

void PeerMesh::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stop_requested_) return;
    stop_requested_ = true;
  }
  stopping_.store(true);
  for (auto& [peer, link] : links_) {
    std::vector<LinkEndpoint*> endpoints;
    {
      absl::MutexLock lock(&link->mu);
      for (LinkEndpoint* e : {link->live, link->dialing}) {
        if (e != nullptr && std::find(endpoints.begin(), endpoints.end(), e) == endpoints.end()) {
          e->Ref();
          endpoints.push_back(e);
        }
      }
    }
    for (LinkEndpoint* e : endpoints) {
      e->Cancel();
      e->Unref();
    }
  }
  for (auto& [peer, link] : links_) {
    if (link->dialer.joinable()) link->dialer.join();
  }
  if (sync_ticker_.joinable()) sync_ticker_.join();
  // Pending holds end without a write: their streams are cancelled.
  if (held_writes_ != nullptr) held_writes_->Stop();
}

LinkEndpoint* PeerMesh::LiveEndpoint(Link* link) {
  absl::MutexLock lock(&link->mu);
  if (link->live != nullptr) link->live->Ref();
  return link->live;
}

void PeerMesh::SyncLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&stop_mu_);
      if (stop_mu_.AwaitWithTimeout(absl::Condition(&stop_requested_), kSyncTick)) return;
    }
    PublishLinkedPeers();
    absl::Time now = absl::Now();
    for (auto& [peer, link] : links_) {
      if (link->dials && link->next_periodic == absl::InfiniteFuture()) {
        absl::MutexLock lock(&link->mu);
        if (link->live != nullptr) link->next_periodic = now + options_.sync_interval;
      }
      bool due = link->dials && now >= link->next_periodic;
      if (!due && !link->round_wanted.load()) continue;
      if (absl::ToUnixNanos(now) < link->retry_after_ns.load()) continue;
      LinkEndpoint* endpoint = LiveEndpoint(link.get());
      if (endpoint == nullptr) {
        // The first round of the next stream covers it.
        link->round_wanted.store(false);
        link->next_periodic = absl::InfiniteFuture();
        continue;
      }
      if (!link->dials) {
        link->round_wanted.store(false);
        endpoint->AskPeerForRound();
      } else if (endpoint->TryBeginRound()) {
        link->round_wanted.store(false);
        link->next_periodic = now + options_.sync_interval;
      } else {
        // Busy here (this link or another is in a round): keep it wanted.
        link->round_wanted.store(true);
      }
      endpoint->Unref();
    }
  }
}

bool PeerMesh::TryAcquireSyncSlot(LinkEndpoint* endpoint) {
  absl::MutexLock lock(&sync_mu_);
  if (sync_holder_ != nullptr) return sync_holder_ == endpoint;
  sync_holder_ = endpoint;
  return true;
}

void PeerMesh::ReleaseSyncSlot(LinkEndpoint* endpoint) {
  absl::MutexLock lock(&sync_mu_);
  if (sync_holder_ == endpoint) sync_holder_ = nullptr;
}

void PeerMesh::WantRound(Link* link, bool after_busy) {
  if (after_busy) {
    // A random pause, so two nodes that keep finding each other busy drift apart.
    thread_local std::minstd_rand random(std::random_device{}());
    int64_t pause_ms = 5 + random() % 40;
    link->retry_after_ns.store(absl::ToUnixNanos(absl::Now() + absl::Milliseconds(pause_ms)));
  }
  link->round_wanted.store(true);
}

void PeerMesh::WantRoundsExcept(absl::string_view except_peer) {
  for (auto& [peer, link] : links_) {
    if (peer != except_peer) link->round_wanted.store(true);
  }
}

void PeerMesh::CountRound(const RangeSync::RoundStats& stats) {
  absl::MutexLock lock(&sync_mu_);
  ++counters_.rounds;
  counters_.catch_up_sent += stats.sent;
  counters_.catch_up_received += stats.received;
  counters_.messages_sent += stats.messages_sent;
}

PeerMesh::SyncCounters PeerMesh::sync_counters() const {
  absl::MutexLock lock(const_cast<absl::Mutex*>(&sync_mu_));
  return counters_;
}

void PeerMesh::DialLoop(Link* link) {
  absl::Duration delay = kFirstRedialDelay;
  // Why the last dial failed, logged once per distinct reason (a failed TLS handshake says here
  // what was wrong with the certificate), not once per retry.
  std::string last_failure;
  while (!stopping_.load()) {
    DialOutcome outcome;
    auto* reactor = new ClientLinkReactor(this, link, &outcome);
    {
      absl::MutexLock lock(&link->mu);
      reactor->Ref();
      link->dialing = reactor;
    }
    reactor->Start();
    if (stopping_.load()) reactor->Cancel();
    outcome.done.WaitForNotification();
    {
      absl::MutexLock lock(&link->mu);
      link->dialing = nullptr;
    }
    // Destroyed here, not on a gRPC callback thread: its ClientContext may hold the last
    // reference to the channel, and a channel destroyed on one of those threads can tear down
    // gRPC 1.51's callback thread pool from inside it, which then crashes the process
    // (grpc/grpc#32584).
    reactor->UnrefLast();

    absl::Duration wait;
    if (outcome.linked) {
      last_failure.clear();
      delay = kFirstRedialDelay;
      wait = delay;
    } else if (outcome.status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      log_->Write(absl::StrCat("link ", link->peer, " refused: ", outcome.status.error_message()));
      wait = kRefusedRedialDelay;
    } else {
      if (!stopping_.load() && outcome.status.error_message() != last_failure) {
        last_failure = outcome.status.error_message();
        log_->Write(absl::StrCat("link ", link->peer, " dial failed: ", last_failure));
      }
      wait = delay;
      delay = std::min(delay * 2, kMaxRedialDelay);
    }
    absl::MutexLock lock(&stop_mu_);
    stop_mu_.AwaitWithTimeout(absl::Condition(&stop_requested_), wait);
  }
}

void PeerMesh::Attach(Link* link, LinkEndpoint* endpoint) {
  LinkEndpoint* replaced;
  {
    absl::MutexLock lock(&link->mu);
    replaced = link->live;
    if (replaced != nullptr) replaced->Ref();
    link->live = endpoint;
    // Until the peer tells this stream what its links are, it is relied on for none.
    link->peer_links.store(0, std::memory_order_relaxed);
  }
  log_->Write(absl::StrCat("link ", link->peer, " up"));
  if (link->times_up.fetch_add(1, std::memory_order_relaxed) > 0 && link->metrics != nullptr) {
    link->metrics->relinks->Increment();
  }
  if (replaced != nullptr) {
    // The peer reconnected before we noticed its old stream break.
    replaced->Cancel();
    replaced->Unref();
  }
  if (stopping_.load()) {
    endpoint->Cancel();
    return;
  }
  PublishLinkedPeers(endpoint);
}

void PeerMesh::Detach(Link* link, LinkEndpoint* endpoint) {
  {
    absl::MutexLock lock(&link->mu);
    if (link->live != endpoint) return;
    link->live = nullptr;
    link->peer_links.store(0, std::memory_order_relaxed);
  }
  log_->Write(absl::StrCat("link ", link->peer, " down"));
  if (stopping_.load()) return;
  PublishLinkedPeers();
  // A peer may have left to this link stamps it flooded before it heard the link was down (see
  // Flood): fetch them from the other links once that news has spread.
  const int64_t not_before = absl::ToUnixNanos(absl::Now() + kRoundAfterLinkDown);
  for (auto& [peer, other] : links_) {
    if (other.get() == link) continue;
    other->retry_after_ns.store(std::max(other->retry_after_ns.load(), not_before));
    other->round_wanted.store(true);
  }
}

void PeerMesh::PublishLinkedPeers(LinkEndpoint* joined) {
  absl::InlinedVector<LinkEndpoint*, 8> told;
  {
    // Queued under the lock, so that each peer hears the changes in the order they happened.
    absl::MutexLock publish_lock(&linked_mu_);
    const absl::Time now = absl::Now();
    uint64_t linked = 0;
    absl::InlinedVector<LinkEndpoint*, 8> live;
    for (auto& [peer, link] : links_) {
      LinkEndpoint* endpoint = LiveEndpoint(link.get());
      if (endpoint == nullptr) continue;
      live.push_back(endpoint);
      if (endpoint->KeepingUp(now)) linked |= CoverBit(peer);
    }
    const bool changed = linked != linked_published_;
    linked_published_ = linked;
    for (LinkEndpoint* endpoint : live) {
      if (changed || endpoint == joined) {
        endpoint->QueueLinkedPeers(linked);
        told.push_back(endpoint);
      } else {
        endpoint->Unref();
      }
    }
  }
  // Writes start with no lock held (gRPC is never called under one).
  for (LinkEndpoint* endpoint : told) {
    endpoint->StartQueuedWrite();
    endpoint->Unref();
  }
}

uint64_t PeerMesh::CoverBit(absl::string_view node) const {
  auto it = cover_bits_.find(node);
  return it == cover_bits_.end() ? 0 : it->second;
}

void PeerMesh::Flood(const std::vector<Item>& items, absl::string_view except_peer) {
  // The live endpoint of every link but `except_peer`'s, held for the batch. At most one
  // endpoint per link; a herd node has few links.
  struct Target {
    absl::string_view peer;
    uint64_t bit;
    LinkEndpoint* endpoint;
    uint64_t peer_links;  // what the peer last said of its links
    bool queued;          // something of this batch was queued to it
    uint64_t passes_to;   // for the stamp at hand: the nodes this peer is relied on to reach
  };
  absl::InlinedVector<Target, 8> targets;
  for (auto& [peer, link] : links_) {
    if (peer == except_peer) continue;
    absl::MutexLock lock(&link->mu);
    if (link->live == nullptr) continue;
    link->live->Ref();
    targets.push_back({peer, CoverBit(peer), link->live,
                       link->peer_links.load(std::memory_order_relaxed), false, 0});
  }
  const uint64_t known = CoverBit(self_) | CoverBit(except_peer);
  const absl::Time now = absl::Now();
  std::string sent_to;
  AsyncLog::Batch log_lines(log_);
  for (const Item& item : items) {
    const uint64_t covered = item.covered | known;
    // Only peers whose streams keep up count as covered; a stalled one may never deliver.
    uint64_t covered_after = covered;
    for (const Target& target : targets) {
      if ((covered & target.bit) == 0 && target.endpoint->KeepingUp(now))
        covered_after |= target.bit;
    }
    // Each node one step beyond the receivers is left to one of them: the first (in name order)
    // that keeps up and reports a link to it. The others are told it is covered. Two receivers
    // next to the same node would otherwise both pass the stamp to it.
    uint64_t relied_on = 0;
    for (Target& target : targets) {
      const bool receives = (covered & target.bit) == 0 && (covered_after & target.bit) != 0;
      target.passes_to = receives ? target.peer_links & ~covered_after & ~relied_on : 0;
      relied_on |= target.passes_to;
    }
    sent_to.clear();
    for (Target& target : targets) {
      if ((covered & target.bit) != 0) continue;
      target.endpoint->Enqueue(*item.stamp, covered_after | (relied_on & ~target.passes_to));
      target.queued = true;
      absl::StrAppend(&sent_to, sent_to.empty() ? "" : ",", target.peer);
    }
    // One line per stamp, however many peers it goes to.
    if (!sent_to.empty()) log_lines.Add({"send ", item.at_line, " to ", sent_to});
  }
  log_lines.Commit();
  // A batch from this node's own clients may wait for the next ones (FloodConfig.client_hold_us);
  // what peers send is passed on at once.
  const absl::Duration hold =
      except_peer.empty() ? options_.client_flood_hold : absl::ZeroDuration();
  for (Target& target : targets) {
    if (target.queued) target.endpoint->StartQueuedWriteAfter(hold);
    target.endpoint->Unref();
  }
}

std::vector<std::string> PeerMesh::LivePeers() const {
  std::vector<std::string> peers;
  for (const auto& [peer, link] : links_) {
    absl::MutexLock lock(&link->mu);
    if (link->live != nullptr) peers.push_back(peer);
  }
  return peers;
}

std::vector<PeerMesh::LinkState> PeerMesh::LinkStates() {
  std::vector<LinkState> states;
  for (auto& [peer, link] : links_) {
    LinkState& state = states.emplace_back();
    state.peer = peer;
    state.flood_messages_received = link->flood_messages_received.load(std::memory_order_relaxed);
    state.flood_stamps_received = link->flood_stamps_received.load(std::memory_order_relaxed);
    state.peer_links = link->peer_links.load(std::memory_order_relaxed);
    // The endpoint's lock is taken after the link's is released (lock order).
    LinkEndpoint* endpoint = LiveEndpoint(link.get());
    if (endpoint == nullptr) continue;
    state.up = true;
    state.queued_bytes = endpoint->queued_bytes();
    endpoint->Unref();
  }
  return states;
}

grpc::ServerBidiReactor<v1::PeerMessage, v1::PeerMessage>* PeerMesh::Service::Link(
    grpc::CallbackServerContext* context) {
  absl::StatusOr<std::string> identity = IdentifyPeerNode(*context, mesh_->tls_);
  if (!identity.ok()) {
    mesh_->log().Write(
        absl::StrCat("link refused from ", context->peer(), ": ", identity.status().message()));
    return new RejectingLinkReactor(grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                                                 std::string(identity.status().message())));
  }
  const std::string& caller = *identity;
  auto link = mesh_->links_.find(caller);
  if (link == mesh_->links_.end()) {
    mesh_->log().Write(absl::StrCat("link refused from ", context->peer(), ": \"", caller,
                                    "\" is not a configured peer of ", mesh_->self()));
    return new RejectingLinkReactor(
        grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                     absl::StrCat("\"", caller, "\" is not a configured peer of ", mesh_->self())));
  }
  if (mesh_->stopping()) {
    return new RejectingLinkReactor(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, mesh_->self() + " is shutting down"));
  }
  return new ServerLinkReactor(mesh_, link->second.get());
}

}  // namespace herd
