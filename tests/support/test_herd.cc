#include "tests/support/test_herd.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace herd::testing {

std::string TransportName(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::kTls ? "Tls" : "Plain";
}

bool MakeCertificates(const std::string& dir, const std::vector<NodeAddresses>& nodes,
                      const std::vector<std::string>& options) {
  std::vector<std::string> argv = {absl::StrCat(HERD_SOURCE_DIR, "/deploy/herd-certs")};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(dir);
  for (const NodeAddresses& node : nodes) {
    argv.push_back(absl::StrCat(node.name, "=", node.grpc_address));
  }
  Process certs(argv, dir + ".out");
  int status = certs.Wait(absl::Seconds(60));
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    std::fprintf(stderr, "herd-certs failed:\n%s\n", ReadFile(dir + ".out").c_str());
    return false;
  }
  return true;
}

TestHerd::TestHerd(std::vector<std::string> names, Links links, std::string places_json,
                   int request_timeout_ms, Transport transport,
                   const std::function<void(HerdSpec&)>& customize) {
  // Nodes started by tests abort on a lock-order cycle (herd-node turns the check off otherwise).
  setenv("HERD_MUTEX_DEADLOCK_DETECTION", "1", /*overwrite=*/0);
  for (const std::string& name : names) {
    spec_.nodes.push_back({name, FreeLoopbackAddress(), FreeLoopbackAddress()});
  }
  spec_.links = std::move(links);
  spec_.log_dir = "logs";
  spec_.places_json = std::move(places_json);
  spec_.request_timeout_ms = request_timeout_ms;
  if (transport == Transport::kTls) {
    spec_.certs_dir = dir_.path() + "/certs";
    if (!MakeCertificates(spec_.certs_dir, spec_.nodes)) std::abort();
  }
  if (customize) customize(spec_);
  config_path_ = dir_.path() + "/herd.json";
  WriteFile(config_path_, HerdConfigJson(spec_));
}

void TestHerd::Configure(const std::function<void(HerdSpec&)>& edit) {
  edit(spec_);
  WriteFile(config_path_, HerdConfigJson(spec_));
}

const std::string& TestHerd::grpc_address(const std::string& name) const {
  for (const NodeAddresses& node : spec_.nodes) {
    if (node.name == name) return node.grpc_address;
  }
  std::fprintf(stderr, "no node %s in the test herd\n", name.c_str());
  std::abort();
}

const std::string& TestHerd::text_address(const std::string& name) const {
  for (const NodeAddresses& node : spec_.nodes) {
    if (node.name == name) return node.text_address;
  }
  std::fprintf(stderr, "no node %s in the test herd\n", name.c_str());
  std::abort();
}

std::vector<std::string> TestHerd::DefaultNames() {
  return {"Goloman", "Hands", "Holiday", "Welsh", "Wilkes"};
}

TestHerd::Links TestHerd::DefaultLinks() {
  return {{"Goloman", "Hands"}, {"Goloman", "Holiday"}, {"Goloman", "Wilkes"},
          {"Hands", "Wilkes"},  {"Holiday", "Welsh"},   {"Holiday", "Wilkes"}};
}

TransportSecurity TestHerd::ClientSecurity() const {
  if (!tls()) return TransportSecurity::Insecure();
  absl::StatusOr<TransportSecurity> security = TransportSecurity::Tls(
      spec_.ca_file.empty() ? spec_.certs_dir + "/ca.pem" : spec_.ca_file, "", "");
  if (!security.ok()) {
    std::fprintf(stderr, "%s\n", std::string(security.status().message()).c_str());
    std::abort();
  }
  return *std::move(security);
}

std::string TestHerd::output_path(const std::string& name) const {
  return absl::StrCat(dir_.path(), "/", name, ".out");
}

std::string TestHerd::log_path(const std::string& name) const {
  return absl::StrCat(dir_.path(), "/logs/", name, ".log");
}

void TestHerd::Start(const std::string& name, absl::Duration timeout) {
  processes_[name] = std::make_unique<Process>(
      std::vector<std::string>{BinaryPath("herd-node"), "--config", config_path_, "--name", name},
      absl::StrCat(dir_.path(), "/", name, ".out"));
  if (!WaitForTcpPort(grpc_address(name), timeout)) {
    std::fprintf(stderr, "herd-node %s did not start:\n%s\n", name.c_str(),
                 ReadFile(absl::StrCat(dir_.path(), "/", name, ".out")).c_str());
    std::abort();
  }
}

void TestHerd::StartAll() {
  for (const NodeAddresses& node : spec_.nodes) Start(node.name);
}

grpc::Status TestHerd::CallGetStatus(const std::string& name, v1::NodeStatus* status) {
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(2));
  return client(name).GetStatus(&context, v1::GetStatusRequest(), status);
}

v1::NodeStatus TestHerd::Status(const std::string& name) {
  v1::NodeStatus status;
  if (!CallGetStatus(name, &status).ok()) return v1::NodeStatus();
  return status;
}

bool TestHerd::WaitUntilLinked(absl::Duration timeout) {
  std::string last_mismatch;  // what the last check saw, for the failure message
  bool linked_everywhere = Eventually(
      [&] {
        std::map<std::string, std::vector<std::string>> expected;
        for (const auto& [a, b] : spec_.links) {
          if (!running(a) || !running(b)) continue;
          expected[a].push_back(b);
          expected[b].push_back(a);
        }
        for (auto& [name, peers] : expected) {
          std::sort(peers.begin(), peers.end());
          v1::NodeStatus status;
          if (grpc::Status call = CallGetStatus(name, &status); !call.ok()) {
            last_mismatch = absl::StrCat(name, ": GetStatus failed: ", call.error_code(), " ",
                                         call.error_message());
            return false;
          }
          std::vector<std::string> linked(status.linked_peers().begin(),
                                          status.linked_peers().end());
          if (linked != peers) {
            last_mismatch = absl::StrCat(name, " is linked to [", absl::StrJoin(linked, ","),
                                         "], not [", absl::StrJoin(peers, ","), "]");
            return false;
          }
        }
        return true;
      },
      timeout);
  if (!linked_everywhere) std::fprintf(stderr, "not linked: %s\n", last_mismatch.c_str());
  return linked_everywhere;
}

bool TestHerd::WaitUntilConverged(absl::Duration timeout) {
  return Eventually(
      [&] {
        bool first = true;
        uint64_t digest = 0, count = 0;
        for (const NodeAddresses& node : spec_.nodes) {
          if (!running(node.name)) continue;
          v1::NodeStatus status = Status(node.name);
          if (status.node() != node.name) return false;
          if (first) {
            digest = status.store_digest();
            count = status.stamp_count();
            first = false;
          } else if (status.store_digest() != digest || status.stamp_count() != count) {
            return false;
          }
        }
        return true;
      },
      timeout);
}

Process* TestHerd::process(const std::string& name) {
  auto it = processes_.find(name);
  return it == processes_.end() ? nullptr : it->second.get();
}

void TestHerd::Kill(const std::string& name) { processes_.at(name)->Kill(); }

bool TestHerd::running(const std::string& name) {
  auto it = processes_.find(name);
  return it != processes_.end() && it->second->running();
}

std::shared_ptr<grpc::Channel> TestHerd::channel(const std::string& name) {
  auto& channel = channels_[name];
  if (!channel) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    // gRPC 1.51 also takes this as the time a connection attempt is given (as in PeerChannel):
    // at 50 ms a loaded machine timed every attempt out ("tcp handshaker shutdown") and a
    // restarted node stayed unreachable to the test. A refused connection still fails at once.
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 2000);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    channel = ClientSecurity().NodeChannel(grpc_address(name), name, args);
  }
  return channel;
}

v1::LocationService::Stub& TestHerd::client(const std::string& name) {
  auto& stub = stubs_[name];
  if (!stub) stub = v1::LocationService::NewStub(channel(name));
  return *stub;
}

std::function<void(HerdSpec&)> WithExtraJson(std::string extra_json) {
  return [extra_json = std::move(extra_json)](HerdSpec& spec) { spec.extra_json = extra_json; };
}

std::function<void(HerdSpec&)> WithLog(std::string log_json) {
  return [log_json = std::move(log_json)](HerdSpec& spec) { spec.log_json = log_json; };
}

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

}  // namespace herd::testing
