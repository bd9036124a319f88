#ifndef HERD_TESTS_SUPPORT_TEST_HERD_H_
#define HERD_TESTS_SUPPORT_TEST_HERD_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "services/core/transport_security.h"
#include "tests/support/herd_config.h"
#include "tests/support/process.h"

namespace herd::testing {

// How the test herd's processes talk: plain TCP or mutual TLS with certificates made for it.
enum class Transport { kPlain, kTls };
std::string TransportName(const ::testing::TestParamInfo<Transport>& info);

// Runs deploy/herd-certs into `dir` for `nodes` (with extra herd-certs `options` first); true
// when it succeeded. Its output goes to <dir>.out.
bool MakeCertificates(const std::string& dir, const std::vector<NodeAddresses>& nodes,
                      const std::vector<std::string>& options = {});

// A herd of real herd-node processes on free loopback ports, with its config in a temporary
// directory. Processes are stopped when the herd is destroyed.
class TestHerd {
 public:
  using Links = std::vector<std::pair<std::string, std::string>>;

  // `places_json` is the config's "places" object, or "" for none; `request_timeout_ms` the
  // gateway's (0: the default).
  // With kTls, certificates for every node and the gateway are made in <dir>/certs;
  // `customize` may change the spec before the config is written.
  TestHerd(std::vector<std::string> names, Links links, std::string places_json = "",
           int request_timeout_ms = 0, Transport transport = Transport::kPlain,
           const std::function<void(HerdSpec&)>& customize = nullptr);

  // The default topology: Goloman, Hands, Holiday, Welsh, Wilkes.
  static std::vector<std::string> DefaultNames();
  static Links DefaultLinks();

  // Changes the herd's config (e.g. gateway options) and rewrites its file; for processes
  // started afterwards.
  void Configure(const std::function<void(HerdSpec&)>& edit);

  // Starts a node's process and waits until its gRPC port accepts connections (a node with a
  // durable store opens it once the store is loaded).
  void Start(const std::string& name, absl::Duration timeout = absl::Seconds(20));
  void StartAll();
  // Waits until every running node reports a live link to each of its running peers; when it
  // gives up, prints to stderr what the last check saw.
  bool WaitUntilLinked(absl::Duration timeout = absl::Seconds(10));
  // The node's GetStatus answer; NodeStatus with an empty name when the call fails.
  v1::NodeStatus Status(const std::string& name);
  // The GetStatus call itself, with its outcome (2 s deadline).
  grpc::Status CallGetStatus(const std::string& name, v1::NodeStatus* status);
  // Waits until every running node holds the same stamps (equal digests and counts).
  bool WaitUntilConverged(absl::Duration timeout = absl::Seconds(20));
  // SIGKILL: the node vanishes without a goodbye.
  void Kill(const std::string& name);
  bool running(const std::string& name);
  // The node's process, or nullptr before its first Start.
  Process* process(const std::string& name);

  v1::LocationService::Stub& client(const std::string& name);
  std::shared_ptr<grpc::Channel> channel(const std::string& name);
  const std::string& grpc_address(const std::string& name) const;
  const std::string& text_address(const std::string& name) const;
  const std::string& config_path() const { return config_path_; }
  const std::string& dir() const { return dir_.path(); }
  std::string log_path(const std::string& name) const;
  // The node's stdout and stderr.
  std::string output_path(const std::string& name) const;
  const HerdSpec& spec() const { return spec_; }
  bool tls() const { return !spec_.certs_dir.empty(); }
  // <dir>/certs with TLS.
  const std::string& certs_dir() const { return spec_.certs_dir; }
  // What a direct API client of this herd uses: plain, or TLS trusting the herd's CA with no
  // certificate of its own.
  TransportSecurity ClientSecurity() const;

 private:
  TempDir dir_;
  std::string config_path_;
  HerdSpec spec_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::map<std::string, std::unique_ptr<v1::LocationService::Stub>> stubs_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// A TestHerd customization that sets the config's "log" object.
std::function<void(HerdSpec&)> WithLog(std::string log_json);
// A TestHerd customization that adds top-level config members (HerdSpec::extra_json).
std::function<void(HerdSpec&)> WithExtraJson(std::string extra_json);

// A deadline for one test RPC.
void SetDeadline(grpc::ClientContext* context, absl::Duration timeout = absl::Seconds(5));

}  // namespace herd::testing

#endif  // HERD_TESTS_SUPPORT_TEST_HERD_H_
