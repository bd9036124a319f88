#include "tests/netns/netns_topology.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace herd::testing {

absl::Status RunCommand(const std::string& command) {
  FILE* pipe = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot run: ", command));
  std::string output;
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("`", command, "` failed (status ", status, "): ", output));
  }
  return absl::OkStatus();
}

NetnsTopology::NetnsTopology(std::vector<std::string> nodes, Links links, std::string prefix)
    : nodes_(std::move(nodes)), links_(std::move(links)), prefix_(std::move(prefix)) {}

absl::StatusOr<std::unique_ptr<NetnsTopology>> NetnsTopology::Create(std::vector<std::string> nodes,
                                                                     Links links) {
  if (geteuid() != 0) return absl::FailedPreconditionError("network namespaces need root");
  std::unique_ptr<NetnsTopology> topology(
      new NetnsTopology(std::move(nodes), std::move(links), absl::StrCat("herd", getpid(), "-")));
  absl::Status built = topology->Build();
  if (!built.ok()) return built;  // the destructor removes what was made
  return topology;
}

NetnsTopology::~NetnsTopology() {
  for (const std::string& ns : created_) (void)RunCommand(absl::StrCat("ip netns del ", ns));
}

int NetnsTopology::NodeIndex(const std::string& node) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == node) return static_cast<int>(i);
  }
  return -1;
}

int NetnsTopology::LinkIndex(const std::string& a, const std::string& b) const {
  for (size_t k = 0; k < links_.size(); ++k) {
    if ((links_[k].first == a && links_[k].second == b) ||
        (links_[k].first == b && links_[k].second == a)) {
      return static_cast<int>(k);
    }
  }
  return -1;
}

std::string NetnsTopology::NodeIp(const std::string& node) const {
  return absl::StrCat("10.77.0.", NodeIndex(node) + 1);
}

std::string NetnsTopology::NodeNamespace(const std::string& node) const {
  return absl::StrCat(prefix_, NodeIndex(node));
}

absl::Status NetnsTopology::Build() {
  const std::string driver = absl::StrCat(prefix_, "driver");
  std::vector<std::string> namespaces = {driver};
  for (const std::string& node : nodes_) namespaces.push_back(NodeNamespace(node));
  for (const std::string& ns : namespaces) {
    absl::Status added = RunCommand(absl::StrCat("ip netns add ", ns));
    if (!added.ok()) return added;
    created_.push_back(ns);
    absl::Status lo = RunCommand(absl::StrCat("ip -n ", ns, " link set lo up"));
    if (!lo.ok()) return lo;
  }
  // A node's address on its loopback, and the driver's veth to it.
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const std::string ns = NodeNamespace(nodes_[n]);
    const std::string subnet = absl::StrCat("10.78.", n + 1, ".");
    for (const std::string& command : {
             absl::StrCat("ip -n ", ns, " addr add ", NodeIp(nodes_[n]), "/32 dev lo"),
             absl::StrCat("ip link add d", n, " netns ", driver, " type veth peer name d", n,
                          " netns ", ns),
             absl::StrCat("ip -n ", driver, " addr add ", subnet, "1/24 dev d", n),
             absl::StrCat("ip -n ", ns, " addr add ", subnet, "2/24 dev d", n),
             absl::StrCat("ip -n ", driver, " link set d", n, " up"),
             absl::StrCat("ip -n ", ns, " link set d", n, " up"),
             absl::StrCat("ip -n ", driver, " route add ", NodeIp(nodes_[n]), "/32 via ", subnet,
                          "2"),
         }) {
      absl::Status done = RunCommand(command);
      if (!done.ok()) return done;
    }
  }
  for (size_t k = 0; k < links_.size(); ++k) {
    const std::string& a = links_[k].first;
    const std::string& b = links_[k].second;
    if (NodeIndex(a) < 0 || NodeIndex(b) < 0) {
      return absl::InvalidArgumentError(absl::StrCat("link ", a, "-", b, ": unknown node"));
    }
    for (const std::string& command : {
             absl::StrCat("ip link add l", k, " netns ", NodeNamespace(a), " type veth peer name l",
                          k, " netns ", NodeNamespace(b)),
             absl::StrCat("ip -n ", NodeNamespace(a), " addr add 10.79.", k, ".1/24 dev l", k),
             absl::StrCat("ip -n ", NodeNamespace(b), " addr add 10.79.", k, ".2/24 dev l", k),
         }) {
      absl::Status done = RunCommand(command);
      if (!done.ok()) return done;
    }
    absl::Status up = SetLinkUp(a, b, true);
    if (!up.ok()) return up;
  }
  return absl::OkStatus();
}

absl::Status NetnsTopology::SetLinkUp(const std::string& a, const std::string& b, bool up) {
  const int k = LinkIndex(a, b);
  if (k < 0) return absl::InvalidArgumentError(absl::StrCat("no link ", a, "-", b));
  const std::string& first = links_[k].first;
  const std::string& second = links_[k].second;
  const char* state = up ? "up" : "down";
  for (const std::string& ns : {NodeNamespace(first), NodeNamespace(second)}) {
    absl::Status done = RunCommand(absl::StrCat("ip -n ", ns, " link set l", k, " ", state));
    if (!done.ok()) return done;
  }
  if (!up) return absl::OkStatus();
  // Taking a device down drops the routes through it: put them back.
  for (const std::string& command : {
           absl::StrCat("ip -n ", NodeNamespace(first), " route replace ", NodeIp(second),
                        "/32 via 10.79.", k, ".2 dev l", k),
           absl::StrCat("ip -n ", NodeNamespace(second), " route replace ", NodeIp(first),
                        "/32 via 10.79.", k, ".1 dev l", k),
       }) {
    absl::Status done = RunCommand(command);
    if (!done.ok()) return done;
  }
  return absl::OkStatus();
}

absl::Status NetnsTopology::SetNodeLinksUp(const std::string& node, bool up) {
  for (const auto& [a, b] : links_) {
    if (a != node && b != node) continue;
    absl::Status done = SetLinkUp(a, b, up);
    if (!done.ok()) return done;
  }
  return absl::OkStatus();
}

absl::Status NetnsTopology::EnterDriverNamespace() {
  const std::string path = absl::StrCat("/var/run/netns/", prefix_, "driver");
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("cannot open ", path));
  const int entered = setns(fd, CLONE_NEWNET);
  close(fd);
  if (entered != 0) return absl::FailedPreconditionError("setns into the driver namespace failed");
  return absl::OkStatus();
}

}  // namespace herd::testing
