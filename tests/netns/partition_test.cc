// Faults between real hosts: each node of the default herd runs in its own network namespace, its
// peers reachable only over a veth pair per topology link (see NetnsTopology). Every scenario
// ends with equal digests at every node and every acknowledged report present everywhere (its
// stamp, or a later one of the same client that was really sent).
//
// Root only (as CI runs): without the rights to make namespaces every test is skipped with the
// reason. Times to converge are printed as "MEASURED ..." lines (the README's Guarantees).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "tests/gateway/text_client.h"
#include "tests/netns/netns_topology.h"
#include "tests/support/herd_config.h"
#include "tests/support/process.h"
#include "tests/support/test_herd.h"

namespace herd::testing {
namespace {

NetnsTopology* topology = nullptr;  // made in main(), before any thread
std::string skip_reason;

constexpr int kGrpcPort = 12000;

// The `ip` binary's path (Process runs argv[0] as a path).
std::string IpCommand() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "/usr/sbin/ip";
}
constexpr int kClients = 300;  // reports from both sides of a cut hit the same clients

// The default herd, one node per namespace, durable stores, anti-entropy every 2 s.
class NetnsHerd {
 public:
  NetnsHerd() {
    HerdSpec spec;
    for (const std::string& name : TestHerd::DefaultNames()) {
      const std::string ip = topology->NodeIp(name);
      spec.nodes.push_back({name, absl::StrCat(ip, ":", kGrpcPort), absl::StrCat(ip, ":12100")});
    }
    spec.links = TestHerd::DefaultLinks();
    spec.log_dir = dir_.path();
    spec.extra_json = R"("storage": {"dataDir": "data"}, "antiEntropy": {"intervalSeconds": 2})";
    config_path_ = absl::StrCat(dir_.path(), "/herd.json");
    WriteFile(config_path_, HerdConfigJson(spec));
    for (const NodeAddresses& node : spec.nodes) {
      auto channel = grpc::CreateChannel(node.grpc_address, grpc::InsecureChannelCredentials());
      stubs_[node.name] = v1::LocationService::NewStub(channel);
      addresses_[node.name] = node.grpc_address;
    }
  }

  void Start(const std::string& name) {
    processes_[name] = std::make_unique<Process>(
        std::vector<std::string>{IpCommand(), "netns", "exec", topology->NodeNamespace(name),
                                 BinaryPath("herd-node"), "--config", config_path_, "--name", name},
        absl::StrCat(dir_.path(), "/", name, ".out"));
    ASSERT_TRUE(WaitForTcpPort(addresses_[name], absl::Seconds(30)))
        << name << ":\n"
        << ReadFile(absl::StrCat(dir_.path(), "/", name, ".out"));
  }
  void StartAll() {
    for (const std::string& name : TestHerd::DefaultNames()) Start(name);
  }
  // The node's text-protocol gateway, in the node's namespace, on <node ip>:12100.
  void StartGateway(const std::string& name) {
    gateways_[name] = std::make_unique<Process>(
        std::vector<std::string>{IpCommand(), "netns", "exec", topology->NodeNamespace(name),
                                 BinaryPath("herd-gateway"), "--config", config_path_, "--node",
                                 name},
        absl::StrCat(dir_.path(), "/gateway-", name, ".out"));
    ASSERT_TRUE(WaitForTcpPort(TextAddress(name), absl::Seconds(30)))
        << ReadFile(absl::StrCat(dir_.path(), "/gateway-", name, ".out"));
  }
  bool gateway_running(const std::string& name) { return gateways_[name]->running(); }
  std::string TextAddress(const std::string& name) {
    return absl::StrCat(topology->NodeIp(name), ":12100");
  }
  std::string GatewayOutput(const std::string& name) {
    return ReadFile(absl::StrCat(dir_.path(), "/gateway-", name, ".out"));
  }

  void Kill(const std::string& name) { processes_[name]->Kill(); }
  bool running(const std::string& name) { return processes_[name]->running(); }

  v1::LocationService::Stub& client(const std::string& name) { return *stubs_[name]; }

  v1::NodeStatus Status(const std::string& name) {
    v1::NodeStatus status;
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(2));
    if (!client(name).GetStatus(&context, v1::GetStatusRequest(), &status).ok()) return {};
    return status;
  }

  bool Linked() {
    for (const std::string& name : TestHerd::DefaultNames()) {
      size_t peers = 0;
      for (const auto& [a, b] : TestHerd::DefaultLinks()) peers += (a == name || b == name);
      if (static_cast<size_t>(Status(name).linked_peers_size()) != peers) return false;
    }
    return true;
  }

  bool Converged() {
    std::set<std::pair<uint64_t, uint64_t>> states;
    for (const std::string& name : TestHerd::DefaultNames()) {
      v1::NodeStatus status = Status(name);
      if (status.node() != name) return false;
      states.insert({status.store_digest(), status.stamp_count()});
    }
    return states.size() == 1;
  }

  // Waits for equal digests; prints and returns how long it took since `healed` (Infinite if
  // never).
  absl::Duration TimeToConverge(const std::string& what, absl::Time healed,
                                absl::Duration timeout) {
    const absl::Time start = healed;
    if (!Eventually([&] { return Converged(); }, timeout)) {
      std::printf("MEASURED %s: not converged after %s\n", what.c_str(),
                  absl::FormatDuration(timeout).c_str());
      return absl::InfiniteDuration();
    }
    const absl::Duration took = absl::Now() - start;
    std::printf("MEASURED %s: converged %lld ms after the heal\n", what.c_str(),
                static_cast<long long>(absl::ToInt64Milliseconds(took)));
    return took;
  }

  // Resident memory of the node's process, in KiB (0 if unknown).
  long RssKib(const std::string& name) {
    std::ifstream status(absl::StrCat("/proc/", processes_[name]->pid(), "/status"));
    std::string line;
    while (std::getline(status, line)) {
      long kib = 0;
      if (line.rfind("VmRSS:", 0) == 0 && absl::SimpleAtoi(line.substr(6, line.size() - 9), &kib)) {
        return kib;
      }
    }
    return 0;
  }

 private:
  TempDir dir_;
  std::string config_path_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, std::unique_ptr<v1::LocationService::Stub>> stubs_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::map<std::string, std::unique_ptr<Process>> gateways_;
};

// What was sent and what was acknowledged, across every reporter.
class Ledger {
 public:
  int64_t NextTime() { return 1600000000 + next_.fetch_add(1); }
  void Sent(const std::string& client, int64_t time) {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.insert({client, time});
  }
  void Acked(const std::string& client, int64_t time) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& latest = latest_acked_[client];
    latest = std::max(latest, time);
    ++acked_;
  }
  uint64_t acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return acked_;
  }
  std::map<std::string, int64_t> latest_acked() {
    std::lock_guard<std::mutex> lock(mu_);
    return latest_acked_;
  }
  bool WasSent(const std::string& client, int64_t time) {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_.count({client, time}) > 0;
  }

 private:
  std::atomic<int64_t> next_{0};
  std::mutex mu_;
  std::set<std::pair<std::string, int64_t>> sent_;
  std::map<std::string, int64_t> latest_acked_;
  uint64_t acked_ = 0;
};

// Reports at `node` in batches of 20 until `stop` (or 3 minutes), clients drawn from one pool.
void ReportUntil(NetnsHerd* herd, const std::string& node, Ledger* ledger,
                 const std::atomic<bool>* stop) {
  const absl::Time give_up = absl::Now() + absl::Minutes(3);
  for (int round = 0; !stop->load() && absl::Now() < give_up; ++round) {
    v1::ReportBatchRequest batch;
    for (int i = 0; i < 20; ++i) {
      v1::ReportRequest* report = batch.add_reports();
      const int64_t time = ledger->NextTime();
      report->set_client_id(absl::StrCat("client-", (round * 20 + i * 7 + node.size()) % kClients));
      report->set_location("+34.068930-118.445127");
      report->set_client_time(absl::StrCat(time));
      ledger->Sent(report->client_id(), time);
    }
    v1::ReportBatchResponse results;
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(2));
    if (!herd->client(node).ReportBatch(&context, batch, &results).ok()) {
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    for (int i = 0; i < results.results_size() && i < batch.reports_size(); ++i) {
      if (results.results(i).code() != 0) continue;
      int64_t time = 0;
      ASSERT_TRUE(absl::SimpleAtoi(batch.reports(i).client_time(), &time));
      ledger->Acked(batch.reports(i).client_id(), time);
    }
  }
}

constexpr absl::Duration kIamatSpacing = absl::Milliseconds(20);

// A legacy client at `node`'s gateway: one connection, one IAMAT at a time, each answered before
// the next and 20 ms apart, until `stop`. Counts AT replies; any other outcome is a test failure.
void IamatUntil(NetnsHerd* herd, const std::string& node, Ledger* ledger,
                const std::atomic<bool>* stop, int* answered) {
  absl::StatusOr<TextClient> connection = TextClient::Connect(herd->TextAddress(node));
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::string client = absl::StrCat("walker-", node);
  const absl::Time give_up = absl::Now() + absl::Minutes(3);
  while (!stop->load() && absl::Now() < give_up) {
    const int64_t time = ledger->NextTime();
    ledger->Sent(client, time);
    ASSERT_TRUE(
        connection->Send(absl::StrCat("IAMAT ", client, " +34.068930-118.445127 ", time, ".0\n"))
            .ok())
        << node << "'s gateway";
    absl::StatusOr<std::string> reply = connection->ReadLines(1);
    ASSERT_TRUE(reply.ok()) << node << "'s gateway: " << reply.status();
    ASSERT_EQ(reply->rfind("AT ", 0), 0u) << *reply;
    ledger->Acked(client, time);
    ++*answered;
    // Paced: back to back, the two walkers changed the stores every millisecond or so, and five
    // equal digests were seen only when a gap happened to open, seconds apart at random.
    absl::SleepFor(kIamatSpacing);
  }
}

// Reporters at `nodes` while `fault` runs, then stopped.
void UnderLoad(NetnsHerd* herd, const std::vector<std::string>& nodes, Ledger* ledger,
               const std::function<void()>& fault) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> reporters;
  for (const std::string& node : nodes) {
    reporters.emplace_back(ReportUntil, herd, node, ledger, &stop);
  }
  fault();
  stop = true;
  for (std::thread& reporter : reporters) reporter.join();
}

// Every node answers every client with its latest acknowledged stamp or a later one that was
// really sent; nothing else.
void ExpectEveryAcknowledgedStampEverywhere(NetnsHerd& herd, Ledger& ledger) {
  const std::map<std::string, int64_t> latest = ledger.latest_acked();
  ASSERT_FALSE(latest.empty());
  for (const std::string& node : TestHerd::DefaultNames()) {
    int stale = 0, invented = 0, missing = 0;
    for (const auto& [client, time] : latest) {
      v1::GetLocationRequest request;
      request.set_client_id(client);
      v1::LocationStamp stamp;
      grpc::ClientContext context;
      SetDeadline(&context, absl::Seconds(2));
      if (!herd.client(node).GetLocation(&context, request, &stamp).ok()) {
        ++missing;
        continue;
      }
      const int64_t held = stamp.client_time().seconds();
      if (held < time) ++stale;
      if (!ledger.WasSent(client, held)) ++invented;
    }
    EXPECT_EQ(missing, 0) << node << " of " << latest.size() << " clients";
    EXPECT_EQ(stale, 0) << node << " holds older stamps than acknowledged";
    EXPECT_EQ(invented, 0) << node << " holds stamps nobody sent";
  }
}

class PartitionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (topology == nullptr) GTEST_SKIP() << skip_reason;
    herd_ = std::make_unique<NetnsHerd>();
    herd_->StartAll();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(Eventually([&] { return herd_->Linked(); }, absl::Seconds(20)));
  }
  std::unique_ptr<NetnsHerd> herd_;
  Ledger ledger_;
  absl::Time healed = absl::InfiniteFuture();  // when the fault ended
};

// Goloman is cut off for 5 s (its peer streams survive: TCP retransmits once healed) and then
// for 20 s (keepalive ends the streams: the links are dialled again and anti-entropy catches up),
// while API reports and legacy IAMATs through the gateways at Goloman and Hands flow throughout.
TEST_F(PartitionTest, GolomanCutOffWhileBothSidesTakeReportsThenHealed) {
  herd_->StartGateway("Goloman");
  herd_->StartGateway("Hands");
  std::atomic<bool> stop_iamats{false};
  int answered_goloman = 0, answered_hands = 0;
  std::thread iamat_goloman(IamatUntil, herd_.get(), "Goloman", &ledger_, &stop_iamats,
                            &answered_goloman);
  std::thread iamat_hands(IamatUntil, herd_.get(), "Hands", &ledger_, &stop_iamats,
                          &answered_hands);
  for (const int seconds : {5, 20}) {
    const std::string what = absl::StrCat("Goloman cut off ", seconds, " s");
    UnderLoad(herd_.get(), {"Goloman", "Hands", "Welsh"}, &ledger_, [&] {
      absl::SleepFor(absl::Seconds(1));
      ASSERT_TRUE(topology->SetNodeLinksUp("Goloman", false).ok());
      absl::SleepFor(absl::Seconds(seconds));
      // Both sides went on: Goloman alone, the rest without it.
      EXPECT_FALSE(herd_->Converged());
      ASSERT_TRUE(topology->SetNodeLinksUp("Goloman", true).ok());
      healed = absl::Now();
    });
    if (seconds == 20) stop_iamats = true;
    EXPECT_LT(herd_->TimeToConverge(what, healed, absl::Seconds(30)), absl::InfiniteDuration());
  }
  iamat_goloman.join();
  iamat_hands.join();
  std::printf("MEASURED Goloman cut off: %llu reports acknowledged, %d + %d IAMATs answered\n",
              static_cast<unsigned long long>(ledger_.acked()), answered_goloman, answered_hands);
  EXPECT_GT(answered_goloman, 0);
  EXPECT_GT(answered_hands, 0);
  for (const char* gateway : {"Goloman", "Hands"}) {
    EXPECT_TRUE(herd_->gateway_running(gateway)) << herd_->GatewayOutput(gateway);
  }
  ExpectEveryAcknowledgedStampEverywhere(*herd_, ledger_);
}

TEST_F(PartitionTest, LinkFlappingEvery200MsFor30SecondsUnderLoad) {
  long rss_before = 0;
  for (const std::string& node : TestHerd::DefaultNames()) rss_before += herd_->RssKib(node);
  UnderLoad(herd_.get(), {"Goloman", "Holiday"}, &ledger_, [&] {
    const absl::Time end = absl::Now() + absl::Seconds(30);
    bool up = true;
    while (absl::Now() < end) {
      up = !up;
      ASSERT_TRUE(topology->SetLinkUp("Goloman", "Holiday", up).ok());
      absl::SleepFor(absl::Milliseconds(200));
    }
    ASSERT_TRUE(topology->SetLinkUp("Goloman", "Holiday", true).ok());
    healed = absl::Now();
  });
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_TRUE(herd_->running(node)) << node << " died";
  }
  long rss_after = 0;
  for (const std::string& node : TestHerd::DefaultNames()) rss_after += herd_->RssKib(node);
  std::printf("MEASURED flapping 30 s: resident memory of the five nodes %ld -> %ld KiB\n",
              rss_before, rss_after);
  // A few hundred clients' stamps and RocksDB's memtables: a node far above this would be a
  // leak or a queue gone wild. AddressSanitizer adds its quarantine of freed memory (256 MiB)
  // and its shadow memory (an eighth of the heap) on top; the reporters are not paced, so on a
  // fast machine the memtables churn enough to fill the quarantine.
#if defined(__SANITIZE_ADDRESS__)
  constexpr long kBoundKib = (512 + 256) * 1024 * 9 / 8;
#else
  constexpr long kBoundKib = 512 * 1024;
#endif
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_LT(herd_->RssKib(node), kBoundKib) << node;
  }
  EXPECT_LT(herd_->TimeToConverge("link flapping 30 s", healed, absl::Seconds(30)),
            absl::InfiniteDuration());
  ExpectEveryAcknowledgedStampEverywhere(*herd_, ledger_);
}

TEST_F(PartitionTest, NodeKilledUnderLoadAndRestarted) {
  UnderLoad(herd_.get(), {"Hands", "Holiday", "Wilkes"}, &ledger_, [&] {
    absl::SleepFor(absl::Seconds(2));
    herd_->Kill("Hands");  // SIGKILL while its reporter is mid-batch
    absl::SleepFor(absl::Seconds(2));
    herd_->Start("Hands");
    healed = absl::Now();
    absl::SleepFor(absl::Seconds(1));
  });
  EXPECT_LT(herd_->TimeToConverge("Hands killed and restarted", healed, absl::Seconds(30)),
            absl::InfiniteDuration());
  ExpectEveryAcknowledgedStampEverywhere(*herd_, ledger_);
}

TEST_F(PartitionTest, SplitHalvesBothTakeReportsForTheSameClientsThenHealToOneAnswer) {
  // {Goloman, Hands, Wilkes} | {Holiday, Welsh}: the links between them go down.
  const std::vector<std::pair<std::string, std::string>> between = {{"Goloman", "Holiday"},
                                                                    {"Holiday", "Wilkes"}};
  UnderLoad(herd_.get(), {"Hands", "Welsh"}, &ledger_, [&] {
    for (const auto& [a, b] : between) ASSERT_TRUE(topology->SetLinkUp(a, b, false).ok());
    absl::SleepFor(absl::Seconds(5));
    const uint64_t left = herd_->Status("Hands").store_digest();
    const uint64_t right = herd_->Status("Welsh").store_digest();
    EXPECT_NE(left, right) << "the halves should have diverged";
    for (const auto& [a, b] : between) ASSERT_TRUE(topology->SetLinkUp(a, b, true).ok());
    healed = absl::Now();
  });
  EXPECT_LT(herd_->TimeToConverge("split halves 5 s", healed, absl::Seconds(30)),
            absl::InfiniteDuration());
  // One answer per client everywhere, the latest acknowledged on either side or later.
  ExpectEveryAcknowledgedStampEverywhere(*herd_, ledger_);
}

}  // namespace
}  // namespace herd::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Namespaces first, then this thread moves into the driver's: every thread and channel made
  // afterwards lives there.
  if (::testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();
  auto made = herd::testing::NetnsTopology::Create(herd::testing::TestHerd::DefaultNames(),
                                                   herd::testing::TestHerd::DefaultLinks());
  std::unique_ptr<herd::testing::NetnsTopology> topology;
  if (made.ok()) {
    topology = std::move(*made);
    absl::Status entered = topology->EnterDriverNamespace();
    if (entered.ok()) {
      herd::testing::topology = topology.get();
    } else {
      herd::testing::skip_reason = std::string(entered.message());
    }
  } else {
    herd::testing::skip_reason = std::string(made.status().message());
  }
  if (herd::testing::topology == nullptr) {
    std::printf("SKIPPED network-namespace tests: %s\n", herd::testing::skip_reason.c_str());
  }
  const int result = RUN_ALL_TESTS();
  return result;
}
