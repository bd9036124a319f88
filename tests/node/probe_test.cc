// herd-probe against real herd-node processes: over TLS with the herd's credentials (as the
// container healthchecks run it) and over plain TCP.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::BinaryPath;
using testing::Process;
using testing::ReadFile;
using testing::TestHerd;
using testing::Transport;

struct ProbeRun {
  int exit_code = -1;
  std::string output;
};

ProbeRun RunProbe(const TestHerd& herd, std::vector<std::string> args) {
  args.insert(args.begin(), {BinaryPath("herd-probe"), "--timeout-ms", "5000"});
  const std::string out = herd.dir() + "/probe.out";
  ProbeRun run;
  {
    Process probe(args, out);
    int status = probe.Wait(absl::Seconds(20));
    if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  }
  run.output = ReadFile(out);
  return run;
}

TEST(HerdProbe, SpeaksTlsAsTheNodeTheConfigNames) {
  TestHerd herd({"A", "B"}, {{"A", "B"}}, "", 0, Transport::kTls);
  herd.StartAll();
  ASSERT_TRUE(herd.WaitUntilLinked());
  const std::string a = herd.grpc_address("A");

  ProbeRun tls =
      RunProbe(herd, {"--config", herd.config_path(), "--node", "A", "health", a, "status", a});
  EXPECT_EQ(tls.exit_code, 0) << tls.output;
  EXPECT_EQ(tls.output.rfind("A 0 ", 0), 0u) << tls.output;
  EXPECT_NE(tls.output.find(" B\n"), std::string::npos) << tls.output;

  // The same files given one by one.
  const std::string certs = herd.certs_dir();
  ProbeRun files = RunProbe(herd, {"--ca", certs + "/ca.pem", "--cert", certs + "/node-A.pem",
                                   "--key", certs + "/node-A.key", "--node", "A", "health", a});
  EXPECT_EQ(files.exit_code, 0) << files.output;

  // Plain text to a TLS port fails; so does TLS to a node that is not the one named.
  ProbeRun plain = RunProbe(herd, {"health", a});
  EXPECT_EQ(plain.exit_code, 1) << plain.output;
  ProbeRun other = RunProbe(herd, {"--config", herd.config_path(), "--node", "B", "health", a});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_NE(other.output.find("(TLS, node B)"), std::string::npos) << other.output;
}

TEST(HerdProbe, TlsSettingsThatCannotWorkAreUsageErrors) {
  TestHerd herd({"A"}, {}, "", 0, Transport::kTls);
  const std::string a = herd.grpc_address("A");
  ProbeRun no_node = RunProbe(herd, {"--config", herd.config_path(), "health", a});
  EXPECT_EQ(no_node.exit_code, 2) << no_node.output;
  EXPECT_NE(no_node.output.find("TLS needs --node NAME"), std::string::npos) << no_node.output;
  ProbeRun unknown = RunProbe(herd, {"--config", herd.config_path(), "--node", "Z", "health", a});
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("no node \"Z\""), std::string::npos) << unknown.output;
  ProbeRun missing_ca =
      RunProbe(herd, {"--ca", herd.dir() + "/none.pem", "--node", "A", "health", a});
  EXPECT_EQ(missing_ca.exit_code, 2) << missing_ca.output;
  EXPECT_NE(missing_ca.output.find("none.pem"), std::string::npos) << missing_ca.output;
}

TEST(HerdProbe, AConfigWithoutTlsMeansPlainTcp) {
  TestHerd herd({"A"}, {});
  herd.StartAll();
  const std::string a = herd.grpc_address("A");
  ProbeRun run = RunProbe(herd, {"--config", herd.config_path(), "--node", "A", "health", a});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_EQ(RunProbe(herd, {"health", a}).exit_code, 0);
}

}  // namespace
}  // namespace herd
