// A node that serves gRPC on a non-loopback address without TLS says so loudly at start: a
// WARNING line on stderr and in its log. Real herd-node processes; the non-loopback ones run in
// a network namespace of their own (unshare --net), where 0.0.0.0 reaches nothing but that
// namespace's own (down) loopback.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::BinaryPath;
using testing::Eventually;
using testing::Process;
using testing::ReadFile;
using testing::TempDir;

constexpr char kWarning[] = "WARNING: node Goloman serves gRPC on ";
constexpr char kUnshare[] = "/usr/bin/unshare";  // util-linux

bool CanMakeNetworkNamespaces() {
  return std::system(absl::StrCat(kUnshare, " --net true 2>/dev/null").c_str()) == 0;
}

// A one-node herd binding `listen`; with TLS when `certs` is not empty.
std::string OneNodeConfig(const TempDir& dir, const std::string& listen, const std::string& certs) {
  std::string port = listen.substr(listen.rfind(':') + 1);
  std::string node =
      absl::StrCat(R"({"name": "Goloman", "grpcAddress": "127.0.0.1:)", port,
                   R"(", "textAddress": "127.0.0.1:1", "grpcListenAddress": ")", listen, "\"");
  std::string tls;
  if (!certs.empty()) {
    absl::StrAppend(&node, R"(, "certFile": ")", certs, R"(/node-Goloman.pem", "keyFile": ")",
                    certs, R"(/node-Goloman.key")");
    tls = absl::StrCat(R"(, "tls": {"caFile": ")", certs, R"(/ca.pem"}, "gateway": {"certFile": ")",
                       certs, R"(/gateway-gateway.pem", "keyFile": ")", certs,
                       R"(/gateway-gateway.key"})");
  }
  std::string path = dir.path() + "/herd.json";
  testing::WriteFile(path, absl::StrCat(R"({"nodes": [)", node, R"(}], "links": [], "logDir": ")",
                                        dir.path(), R"(/logs")", tls, "}"));
  return path;
}

struct Started {
  std::string output;  // stdout and stderr
  std::string log;
};

// Runs the node (in a network namespace of its own when `own_namespace`) until its log says it
// listens, then stops it.
Started RunUntilListening(const TempDir& dir, const std::string& config, bool own_namespace) {
  std::vector<std::string> argv = {BinaryPath("herd-node"), "--config", config, "--name",
                                   "Goloman"};
  if (own_namespace) argv.insert(argv.begin(), {kUnshare, "--net"});
  const std::string log_path = dir.path() + "/logs/Goloman.log";
  Started started;
  {
    Process node(argv, dir.path() + "/node.out");
    EXPECT_TRUE(
        Eventually([&] { return ReadFile(log_path).find("listening on") != std::string::npos; },
                   absl::Seconds(20)))
        << ReadFile(dir.path() + "/node.out");
  }
  started.output = ReadFile(dir.path() + "/node.out");
  started.log = ReadFile(log_path);
  return started;
}

TEST(ListenWarning, PlainGrpcOnANonLoopbackAddressWarnsOnStderrAndInTheLog) {
  if (!CanMakeNetworkNamespaces()) GTEST_SKIP() << "cannot make a network namespace (not root?)";
  TempDir dir;
  Started node = RunUntilListening(dir, OneNodeConfig(dir, "0.0.0.0:12100", ""), true);
  const std::string warning =
      absl::StrCat(kWarning,
                   "0.0.0.0:12100 WITHOUT TLS: any host that reaches this address can "
                   "pose as a peer node.");
  EXPECT_NE(node.output.find(absl::StrCat("herd-node ", warning)), std::string::npos)
      << node.output;
  EXPECT_NE(node.log.find(warning), std::string::npos) << node.log;
  EXPECT_NE(node.log.find("listening on 0.0.0.0:12100 (port 12100, plain TCP)"), std::string::npos)
      << node.log;
}

TEST(ListenWarning, TlsOnANonLoopbackAddressDoesNotWarn) {
  if (!CanMakeNetworkNamespaces()) GTEST_SKIP() << "cannot make a network namespace (not root?)";
  TempDir dir;
  const std::string certs = dir.path() + "/certs";
  ASSERT_TRUE(testing::MakeCertificates(certs, {{"Goloman", "127.0.0.1:12100", ""}}));
  Started node = RunUntilListening(dir, OneNodeConfig(dir, "0.0.0.0:12100", certs), true);
  EXPECT_EQ(node.output.find("WARNING"), std::string::npos) << node.output;
  EXPECT_EQ(node.log.find("WARNING"), std::string::npos) << node.log;
  EXPECT_NE(node.log.find("listening on 0.0.0.0:12100 (port 12100, TLS)"), std::string::npos)
      << node.log;
}

TEST(ListenWarning, PlainGrpcOnLoopbackDoesNotWarn) {
  TempDir dir;
  Started node = RunUntilListening(dir, OneNodeConfig(dir, testing::FreeLoopbackAddress(), ""),
                                   /*own_namespace=*/false);
  EXPECT_EQ(node.output.find("WARNING"), std::string::npos) << node.output;
  EXPECT_EQ(node.log.find("WARNING"), std::string::npos) << node.log;
  EXPECT_NE(node.log.find("plain TCP"), std::string::npos) << node.log;
}

}  // namespace
}  // namespace herd
