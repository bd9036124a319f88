#ifndef HERD_TESTS_SUPPORT_TEST_HERD_H_
#define HERD_TESTS_SUPPORT_TEST_HERD_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "tests/support/herd_config.h"
#include "tests/support/process.h"

namespace herd::testing {

// A herd of real herd-node processes on free loopback ports, with its config in a temporary
// directory. Processes are stopped when the herd is destroyed.
class TestHerd {
 public:
  using Links = std::vector<std::pair<std::string, std::string>>;

  // `places_json` is the config's "places" object, or "" for none; `request_timeout_ms` the
  // gateway's (0: the default).
  // `extra_json`: more top-level config members (HerdSpec::extra_json).
  TestHerd(std::vector<std::string> names, Links links, std::string places_json = "",
           int request_timeout_ms = 0, std::string extra_json = "");

  // The default topology: Goloman, Hands, Holiday, Welsh, Wilkes.
  static std::vector<std::string> DefaultNames();
  static Links DefaultLinks();

  // Starts a node's process and waits until its gRPC port accepts connections (a node with a
  // durable store opens it once the store is loaded).
  void Start(const std::string& name, absl::Duration timeout = absl::Seconds(20));
  void StartAll();
  // Waits until every running node reports a live link to each of its running peers.
  bool WaitUntilLinked(absl::Duration timeout = absl::Seconds(10));
  // The node's GetStatus answer; NodeStatus with an empty name when the call fails.
  v1::NodeStatus Status(const std::string& name);
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

 private:
  TempDir dir_;
  std::string config_path_;
  HerdSpec spec_;
  std::map<std::string, std::unique_ptr<Process>> processes_;
  std::map<std::string, std::unique_ptr<v1::LocationService::Stub>> stubs_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// A deadline for one test RPC.
void SetDeadline(grpc::ClientContext* context, absl::Duration timeout = absl::Seconds(5));

}  // namespace herd::testing

#endif  // HERD_TESTS_SUPPORT_TEST_HERD_H_
