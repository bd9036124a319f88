#ifndef HERD_TESTS_NETNS_NETNS_TOPOLOGY_H_
#define HERD_TESTS_NETNS_NETNS_TOPOLOGY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace herd::testing {

// A herd's network made of Linux network namespaces, created and removed by the test (root only).
//
// Each node gets its own namespace and the address 10.77.0.<n+1> on its loopback. Each topology
// link is a veth pair between the two nodes' namespaces (10.79.<k>.1 / .2) with a host route to
// the other node's address through it, so a node reaches exactly its peers, and only over their
// link. A driver namespace holds the test's own end of one veth per node (10.78.<n+1>.0/24), over
// which it reports to and queries every node without carrying peer traffic: cutting topology
// links never cuts the driver off.
class NetnsTopology {
 public:
  using Links = std::vector<std::pair<std::string, std::string>>;

  // Builds the namespaces and links; an error says why (not root, no `ip`, ...).
  static absl::StatusOr<std::unique_ptr<NetnsTopology>> Create(std::vector<std::string> nodes,
                                                               Links links);
  // Removes every namespace it made (their veths go with them).
  ~NetnsTopology();
  NetnsTopology(const NetnsTopology&) = delete;
  NetnsTopology& operator=(const NetnsTopology&) = delete;

  // Moves the calling thread into the driver namespace. Call before any thread or gRPC channel
  // exists: threads made later inherit it.
  absl::Status EnterDriverNamespace();

  // The node's address inside the herd, e.g. "10.77.0.1".
  std::string NodeIp(const std::string& node) const;
  // The namespace to run the node in (for `ip netns exec`).
  std::string NodeNamespace(const std::string& node) const;
  const Links& links() const { return links_; }

  // Takes a link down on both ends, or brings it back with its routes.
  absl::Status SetLinkUp(const std::string& a, const std::string& b, bool up);
  // Every link of `node`, down or up.
  absl::Status SetNodeLinksUp(const std::string& node, bool up);

 private:
  NetnsTopology(std::vector<std::string> nodes, Links links, std::string prefix);
  absl::Status Build();
  int NodeIndex(const std::string& node) const;
  int LinkIndex(const std::string& a, const std::string& b) const;

  std::vector<std::string> nodes_;
  Links links_;
  std::string prefix_;  // namespace names start with it: unique per test process
  std::vector<std::string> created_;
};

// Runs a shell command line; an error with its output when it fails.
absl::Status RunCommand(const std::string& command);

}  // namespace herd::testing

#endif  // HERD_TESTS_NETNS_NETNS_TOPOLOGY_H_
