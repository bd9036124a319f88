// The peer link protocol in one process: PeerMesh instances with real gRPC servers on free
// loopback ports (hello, anti-entropy rounds, overflow, cancel), no herd-node processes.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/core/async_log.h"
#include "services/core/config.h"
#include "services/core/stamp.h"
#include "services/node/peer_mesh.h"
#include "services/node/stamp_acceptor.h"
#include "services/node/stamp_store.h"
#include "tests/support/herd_config.h"
#include "tests/support/process.h"

namespace herd {
namespace {

using testing::Eventually;

v1::LocationStamp Stamp(const std::string& client, int64_t time, const std::string& origin) {
  absl::StatusOr<v1::LocationStamp> stamp =
      MakeStamp(client, "+34.068930-118.445127", absl::StrCat(time), origin, Instant{time, 1});
  EXPECT_TRUE(stamp.ok()) << stamp.status();
  return *stamp;
}

// One node's peer layer: store, acceptor, mesh and a gRPC server for its PeerService.
class MeshNode {
 public:
  MeshNode(const std::string& name, const HerdConfig& config, const std::string& log_path,
           PeerMesh::Options options)
      : name_(name) {
    log_ = *AsyncLog::Open(log_path);
    acceptor_ = std::make_unique<StampAcceptor>(&store_, log_.get());
    mesh_ = std::make_unique<PeerMesh>(name, config, &store_, acceptor_.get(), log_.get(), options);
    acceptor_->set_flooder(mesh_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(config.FindNode(name)->grpc_address(),
                             grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(mesh_->service());
    builder.SetMaxReceiveMessageSize(16 << 20);
    server_ = builder.BuildAndStart();
    EXPECT_NE(port, 0) << name;
  }
  ~MeshNode() { Stop(); }

  void Start() { mesh_->Start(); }
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    mesh_->Stop();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    log_->Flush();
  }

  // A client report at this node (merge, log, flood).
  void Report(const v1::LocationStamp& stamp) {
    ASSERT_TRUE(acceptor_->Accept(stamp, StampSource::Client()).ok());
  }

  // Client reports that arrived together (one ReportBatch).
  void ReportBatch(const std::vector<v1::LocationStamp>& stamps) {
    std::vector<const v1::LocationStamp*> pointers;
    for (const v1::LocationStamp& stamp : stamps) pointers.push_back(&stamp);
    std::vector<StampStore::MergeResult> results;
    ASSERT_TRUE(acceptor_->Accept(pointers, StampSource::Client(), &results).ok());
  }

  // A stamp as if `peer` had flooded it here with the covered set `covered`.
  void ReceiveFlood(const v1::LocationStamp& stamp, const std::string& peer, uint64_t covered) {
    std::vector<StampStore::MergeResult> results;
    ASSERT_TRUE(acceptor_->Accept({&stamp}, StampSource::Flood(peer), &results, {covered}).ok());
  }

  StampStore& store() { return store_; }
  PeerMesh& mesh() { return *mesh_; }
  AsyncLog& log() { return *log_; }

 private:
  std::string name_;
  std::unique_ptr<AsyncLog> log_;
  StampStore store_;
  std::unique_ptr<StampAcceptor> acceptor_;
  std::unique_ptr<PeerMesh> mesh_;
  std::unique_ptr<grpc::Server> server_;
  bool stopped_ = false;
};

class LinkProtocolTest : public ::testing::Test {
 protected:
  // A lock-order cycle aborts the test (services/node/README.md gives the order).
  LinkProtocolTest() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort); }

  // Nodes and links of the herd; each node gets a free loopback port.
  void Configure(const std::vector<std::string>& names,
                 std::vector<std::pair<std::string, std::string>> links) {
    testing::HerdSpec spec;
    for (const std::string& name : names) {
      spec.nodes.push_back({name, testing::FreeLoopbackAddress(), "127.0.0.1:0"});
    }
    spec.links = std::move(links);
    spec.log_dir = dir_.path();
    auto config = HerdConfig::Parse(testing::HerdConfigJson(spec), dir_.path());
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = std::make_unique<HerdConfig>(*config);
  }

  // Creates (but does not start) a node; a previous one of that name is stopped first. With
  // `config`, the node runs on it instead of the herd's (for a node that refuses a link).
  MeshNode& Create(const std::string& name, PeerMesh::Options options = {},
                   const HerdConfig* config = nullptr) {
    nodes_.erase(name);
    log_paths_[name] = absl::StrCat(dir_.path(), "/", name, "-", ++generation_, ".log");
    auto node = std::make_unique<MeshNode>(name, config != nullptr ? *config : *config_,
                                           log_paths_[name], options);
    return *(nodes_[name] = std::move(node));
  }
  MeshNode& node(const std::string& name) { return *nodes_.at(name); }

  bool Linked(const std::string& a, const std::string& b) {
    auto peers = node(a).mesh().LivePeers();
    return std::find(peers.begin(), peers.end(), b) != peers.end();
  }
  bool Converged(const std::vector<std::string>& names) {
    for (const std::string& name : names) {
      if (node(name).store().Digest() != node(names[0]).store().Digest() ||
          node(name).store().size() != node(names[0]).store().size()) {
        return false;
      }
    }
    return true;
  }
  // Waits until every round under way has ended (the node-wide slot is free).
  bool Idle(const std::string& name) {
    uint64_t rounds = node(name).mesh().sync_counters().rounds;
    absl::SleepFor(absl::Milliseconds(100));
    return node(name).mesh().sync_counters().rounds == rounds;
  }
  std::string Log(const std::string& name) {
    node(name).log().Flush();
    return testing::ReadFile(log_paths_.at(name));
  }

  testing::TempDir dir_;
  std::unique_ptr<HerdConfig> config_;
  std::map<std::string, std::unique_ptr<MeshNode>> nodes_;
  std::map<std::string, std::string> log_paths_;
  int generation_ = 0;
};

TEST_F(LinkProtocolTest, HelloLinksBothEndsAndEqualStoresExchangeOnlyARoot) {
  Configure({"A", "B"}, {{"A", "B"}});
  Create("A");
  Create("B");
  for (int i = 0; i < 5000; ++i) {
    node("A").store().Merge(Stamp(absl::StrCat("c", i), 100 + i, "A"));
    node("B").store().Merge(Stamp(absl::StrCat("c", i), 100 + i, "A"));
  }
  node("A").Start();
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return Linked("A", "B") && Linked("B", "A"); }));
  ASSERT_TRUE(Eventually([&] {
    return node("A").mesh().sync_counters().rounds == 1 &&
           node("B").mesh().sync_counters().rounds == 1;
  }));
  PeerMesh::SyncCounters a = node("A").mesh().sync_counters();
  PeerMesh::SyncCounters b = node("B").mesh().sync_counters();
  // The dialer sends the root and its done; the other end only its done.
  EXPECT_EQ(a.messages_sent, 2u);
  EXPECT_EQ(b.messages_sent, 1u);
  EXPECT_EQ(a.catch_up_sent + b.catch_up_sent, 0u);
  EXPECT_NE(Log("A").find("sync B: stores equal"), std::string::npos);
}

TEST_F(LinkProtocolTest, ARoundSendsOnlyTheStampsThatDifferBothWays) {
  Configure({"A", "B"}, {{"A", "B"}});
  Create("A");
  Create("B");
  const int kShared = 50000;
  for (int i = 0; i < kShared; ++i) {
    v1::LocationStamp stamp = Stamp(absl::StrCat("c", i), 100, "A");
    node("A").store().Merge(stamp);
    node("B").store().Merge(stamp);
  }
  // A is newer for 300 clients, B for 200; each holds 100 clients the other never saw.
  for (int i = 0; i < 300; ++i) node("A").store().Merge(Stamp(absl::StrCat("c", i), 200, "A"));
  for (int i = 300; i < 500; ++i) node("B").store().Merge(Stamp(absl::StrCat("c", i), 200, "B"));
  for (int i = 0; i < 100; ++i) {
    node("A").store().Merge(Stamp(absl::StrCat("only-a-", i), 5, "A"));
    node("B").store().Merge(Stamp(absl::StrCat("only-b-", i), 5, "B"));
  }
  node("A").Start();
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B"}); }));
  EXPECT_EQ(node("A").store().size(), kShared + 200u);
  EXPECT_EQ(node("B").store().Get("c7")->client_time_text(), "200");
  EXPECT_EQ(node("A").store().Get("c333")->origin(), "B");
  EXPECT_TRUE(node("A").store().Get("only-b-99").has_value());
  EXPECT_TRUE(node("B").store().Get("only-a-99").has_value());
  ASSERT_TRUE(Eventually([&] { return Idle("A") && Idle("B"); }));
  // Each side received what it lacked plus, at most, the other side's older versions of the
  // clients where it was newer: never the store.
  PeerMesh::SyncCounters a = node("A").mesh().sync_counters();
  PeerMesh::SyncCounters b = node("B").mesh().sync_counters();
  EXPECT_GE(a.catch_up_received, 300u);  // 200 newer at B + 100 only at B
  EXPECT_LE(a.catch_up_received, 600u);
  EXPECT_GE(b.catch_up_received, 400u);
  EXPECT_LE(b.catch_up_received, 800u);
  EXPECT_NE(Log("A").find("sync B: "), std::string::npos);
  EXPECT_EQ(Log("A").find("recv AT"), std::string::npos);  // catch-up is not logged per stamp
}

TEST_F(LinkProtocolTest, AnEmptyNodeFetchesTheStoreOnceThoughThreeLinks) {
  Configure({"A", "B", "C", "D"}, {{"A", "D"}, {"B", "D"}, {"C", "D"}});
  for (const char* name : {"A", "B", "C", "D"}) Create(name);
  const int kStamps = 30000;
  for (const char* name : {"A", "B", "C"}) {
    for (int i = 0; i < kStamps; ++i) {
      node(name).store().Merge(Stamp(absl::StrCat("c", i), 100, "A"));
    }
  }
  for (const char* name : {"A", "B", "C", "D"}) node(name).Start();
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B", "C", "D"}); }));
  ASSERT_TRUE(Eventually([&] { return Idle("D"); }));
  // One round at a time per node: D fetched the store from one peer, then found the others
  // equal.
  EXPECT_EQ(node("D").mesh().sync_counters().catch_up_received, static_cast<uint64_t>(kStamps));
}

TEST_F(LinkProtocolTest, FloodsReachThePeerAndADivergenceHealsAtTheNextPeriodicRound) {
  Configure({"A", "B"}, {{"A", "B"}});
  PeerMesh::Options options;
  options.sync_interval = absl::Milliseconds(300);
  Create("A", options);
  Create("B", options);
  node("A").Start();
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return Linked("A", "B") && Linked("B", "A"); }));
  node("A").Report(Stamp("flooded", 1, "A"));
  ASSERT_TRUE(Eventually([&] { return node("B").store().Get("flooded").has_value(); }));
  // A stamp that reaches A's store without being flooded (a lost queue, a bug).
  node("A").store().Merge(Stamp("lost", 2, "A"));
  ASSERT_TRUE(Eventually([&] { return node("B").store().Get("lost").has_value(); }));
  EXPECT_TRUE(Converged({"A", "B"}));
}

int CountLines(const std::string& log, absl::string_view part) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) lines += absl::StrContains(line, part);
  return lines;
}

// In a triangle a stamp crosses each link once: the origin's peers know the other one has it
// on its way (the covered set), so neither sends it on.
TEST_F(LinkProtocolTest, AFloodCrossesATriangleOnceAndReachesEveryNode) {
  Configure({"A", "B", "C"}, {{"A", "B"}, {"B", "C"}, {"A", "C"}});
  for (const char* name : {"A", "B", "C"}) Create(name);
  for (const char* name : {"A", "B", "C"}) node(name).Start();
  ASSERT_TRUE(Eventually([&] {
    return Linked("A", "B") && Linked("A", "C") && Linked("B", "C") && Linked("B", "A") &&
           Linked("C", "A") && Linked("C", "B");
  }));
  for (int i = 0; i < 50; ++i) node("A").Report(Stamp(absl::StrCat("tri", i), 10 + i, "A"));
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B", "C"}); }));
  EXPECT_EQ(node("C").store().size(), 50u);
  EXPECT_EQ(CountLines(Log("A"), " send AT A "), 50);
  EXPECT_EQ(CountLines(Log("A"), "to B,C"), 50);
  for (const char* name : {"B", "C"}) {
    EXPECT_EQ(CountLines(Log(name), " recv AT A "), 50) << name;
    EXPECT_EQ(CountLines(Log(name), " send "), 0) << name;
  }
}

// A node sends a flooded stamp on to exactly the live peers outside its covered set.
TEST_F(LinkProtocolTest, AFloodGoesOnToThePeersItsCoveredSetLacks) {
  Configure({"A", "B", "C"}, {{"A", "B"}, {"B", "C"}, {"A", "C"}});
  for (const char* name : {"A", "B", "C"}) Create(name);
  for (const char* name : {"A", "B", "C"}) node(name).Start();
  ASSERT_TRUE(Eventually([&] { return Linked("B", "C") && Linked("C", "B"); }));
  const uint64_t a = node("B").mesh().CoverBit("A"), b = node("B").mesh().CoverBit("B"),
                 c = node("B").mesh().CoverBit("C");
  ASSERT_EQ(a | b | c, 7u);  // names in byte order: A, B, C
  // From A, which did not reach C (say its link to C was down): B sends it to C.
  node("B").ReceiveFlood(Stamp("uncovered", 1, "A"), "A", a);
  ASSERT_TRUE(Eventually([&] { return node("C").store().Get("uncovered").has_value(); }));
  EXPECT_EQ(CountLines(Log("B"), "uncovered +34.068930-118.445127 1 to C"), 1);
  // From A, which queued it to C as well: B keeps it.
  node("B").ReceiveFlood(Stamp("covered", 2, "A"), "A", a | c);
  EXPECT_TRUE(node("B").store().Get("covered").has_value());
  EXPECT_EQ(CountLines(Log("B"), " covered "), 1);  // the recv line, no send line
  // An old peer sends no covered set: everything but the sender.
  node("B").ReceiveFlood(Stamp("old-peer", 3, "A"), "A", 0);
  ASSERT_TRUE(Eventually([&] { return node("C").store().Get("old-peer").has_value(); }));
}

PeerMesh::LinkState StateOfLink(MeshNode& node, const std::string& peer) {
  for (const PeerMesh::LinkState& state : node.mesh().LinkStates()) {
    if (state.peer == peer) return state;
  }
  ADD_FAILURE() << "no link to " << peer;
  return {};
}

// A diamond: A's two peers B and C both reach D. Every stamp crosses 3 links, not 4.
class DiamondTest : public LinkProtocolTest {
 protected:
  void SetUp() override {
    Configure({"A", "B", "C", "D"}, {{"A", "B"}, {"A", "C"}, {"B", "D"}, {"C", "D"}});
    // No periodic rounds: a stamp that reaches D does so by the flood.
    options_.sync_interval = absl::Hours(1);
  }
  // Starts the four nodes and waits until A has heard from B and C that both reach D.
  void StartAll() {
    for (const char* name : {"A", "B", "C", "D"}) Create(name, options_);
    for (const char* name : {"A", "B", "C", "D"}) node(name).Start();
    ASSERT_TRUE(Eventually([&] {
      return AHeardLinks("B", {"A", "D"}) && AHeardLinks("C", {"A", "D"});
    }));
  }
  // Whether A has heard from `peer` which nodes it is linked to, and that is `linked`.
  bool AHeardLinks(const std::string& peer, const std::vector<std::string>& linked) {
    uint64_t expected = 0;
    for (const std::string& name : linked) expected |= node("A").mesh().CoverBit(name);
    return StateOfLink(node("A"), peer).peer_links == expected;
  }
  void ReportAtA(const std::string& prefix, int count) {
    std::vector<v1::LocationStamp> batch;
    for (int i = 0; i < count; ++i) batch.push_back(Stamp(absl::StrCat(prefix, i), 10 + i, "A"));
    node("A").ReportBatch(batch);
  }
  uint64_t FloodedToD(const std::string& from) {
    return StateOfLink(node("D"), from).flood_stamps_received;
  }

  PeerMesh::Options options_;
};

TEST_F(DiamondTest, TheFarNodeGetsEachStampOnceFromTheFirstPeerLinkedToIt) {
  StartAll();
  ReportAtA("once", 50);
  ASSERT_TRUE(Eventually([&] { return node("D").store().size() == 50; }));
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B", "C", "D"}); }));
  absl::SleepFor(absl::Milliseconds(200));  // a second copy would have come by now
  EXPECT_EQ(FloodedToD("B"), 50u);
  EXPECT_EQ(FloodedToD("C"), 0u);
  EXPECT_EQ(CountLines(Log("B"), " to D"), 50);
  EXPECT_EQ(CountLines(Log("C"), " send "), 0);
}

// Stamps a peer may have dropped for D (it was relied on and its link to D broke first) are
// fetched over D's other links once the break is seen, not at the next periodic round.
TEST_F(DiamondTest, ALinkThatBreaksMakesTheFarEndCompareStoresOverItsOtherLinks) {
  StartAll();
  ASSERT_TRUE(Eventually([&] { return Linked("D", "B") && Linked("D", "C") && Idle("D"); }));
  // A stamp C holds and D lacks, as if it had been flooded to D by B only and lost there.
  node("C").store().Merge(Stamp("dropped-for-d", 5, "A"));
  node("B").Stop();
  ASSERT_TRUE(Eventually([&] { return !Linked("D", "B"); }));
  EXPECT_TRUE(Eventually([&] { return node("D").store().Get("dropped-for-d").has_value(); },
                         absl::Seconds(5)));
}

// D comes back refusing B: B tells A its link to D is down, and A relies on C for D instead.
TEST_F(DiamondTest, WhenTheFirstPeerLosesItsLinkTheOtherPassesTheStampsOn) {
  StartAll();
  ReportAtA("before", 20);
  ASSERT_TRUE(Eventually([&] { return node("D").store().size() == 20; }));

  testing::HerdSpec spec;
  for (const char* name : {"A", "B", "C", "D"}) {
    spec.nodes.push_back({name, config_->FindNode(name)->grpc_address(), "127.0.0.1:0"});
  }
  spec.links = {{"A", "B"}, {"A", "C"}, {"C", "D"}};
  spec.log_dir = dir_.path();
  absl::StatusOr<HerdConfig> without_b =
      HerdConfig::Parse(testing::HerdConfigJson(spec), dir_.path());
  ASSERT_TRUE(without_b.ok()) << without_b.status();
  Create("D", options_, &*without_b);
  node("D").Start();
  ASSERT_TRUE(Eventually([&] { return Linked("C", "D") && Linked("D", "C"); }));
  ASSERT_TRUE(Eventually([&] { return AHeardLinks("B", {"A"}) && AHeardLinks("C", {"A", "D"}); }));
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B", "C", "D"}) && Idle("D"); }));

  ReportAtA("after", 30);
  ASSERT_TRUE(Eventually([&] { return node("D").store().size() == 50; }));
  EXPECT_EQ(FloodedToD("C"), 30u);
}

// Stamps that arrive together leave together: one message per peer and hop, not the first stamp
// alone and the rest after that write completes.
TEST_F(LinkProtocolTest, ABatchOfReportsCrossesEachHopInOneMessage) {
  Configure({"A", "B", "C"}, {{"A", "B"}, {"B", "C"}});
  for (const char* name : {"A", "B", "C"}) Create(name);
  for (const char* name : {"A", "B", "C"}) node(name).Start();
  ASSERT_TRUE(Eventually([&] {
    return Linked("A", "B") && Linked("B", "A") && Linked("B", "C") && Linked("C", "B");
  }));
  // The rounds that start with each link end first: a round still under way when the batch
  // lands would carry part of it as catch-up, which is not flooded on.
  ASSERT_TRUE(Eventually([&] {
    return node("A").mesh().sync_counters().rounds >= 1 &&
           node("B").mesh().sync_counters().rounds >= 2 &&
           node("C").mesh().sync_counters().rounds >= 1;
  }));
  std::vector<v1::LocationStamp> batch;
  for (int i = 0; i < 100; ++i) batch.push_back(Stamp(absl::StrCat("batch", i), 10 + i, "A"));
  node("A").ReportBatch(batch);
  ASSERT_TRUE(Eventually([&] { return node("C").store().size() == 100; }));
  PeerMesh::LinkState b_from_a = StateOfLink(node("B"), "A");
  EXPECT_EQ(b_from_a.flood_stamps_received, 100u);
  EXPECT_EQ(b_from_a.flood_messages_received, 1u);
  PeerMesh::LinkState c_from_b = StateOfLink(node("C"), "B");
  EXPECT_EQ(c_from_b.flood_stamps_received, 100u);
  EXPECT_EQ(c_from_b.flood_messages_received, 1u);
  EXPECT_TRUE(Converged({"A", "B", "C"}));
}

TEST_F(LinkProtocolTest, AnOverflowingQueueCutsTheLinkAndTheRelinkCatchesUp) {
  Configure({"A", "B"}, {{"A", "B"}});
  PeerMesh::Options tiny;
  tiny.max_queued_bytes = 4096;
  Create("A", tiny);
  Create("B");
  node("A").Start();
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return Linked("A", "B") && Linked("B", "A"); }));
  for (int i = 0; i < 20000; ++i) node("A").Report(Stamp(absl::StrCat("burst", i), 7, "A"));
  EXPECT_TRUE(Eventually(
      [&] { return Log("A").find("outbound queue full; cutting link") != std::string::npos; }));
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B"}); }, absl::Seconds(20)));
  EXPECT_EQ(node("B").store().size(), 20000u);
}

TEST_F(LinkProtocolTest, StoppingANodeMidRoundEndsItsLinksAndARestartConverges) {
  Configure({"A", "B"}, {{"A", "B"}});
  Create("A");
  Create("B");
  for (int i = 0; i < 200000; ++i) node("A").store().Merge(Stamp(absl::StrCat("c", i), 3, "A"));
  node("A").Start();
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return node("B").store().size() > 0; }));
  // Cancel the streams while the catch-up is under way: Stop must return promptly.
  absl::Time stop_started = absl::Now();
  node("B").Stop();
  EXPECT_LT(absl::Now() - stop_started, absl::Seconds(5));
  EXPECT_TRUE(Eventually([&] { return !Linked("A", "B"); }));
  Create("B");
  node("B").Start();
  ASSERT_TRUE(Eventually([&] { return Converged({"A", "B"}); }, absl::Seconds(20)));
  EXPECT_EQ(node("B").store().size(), 200000u);
}

}  // namespace
}  // namespace herd
