// herd-bench itself against a real herd (herd-node processes behind herd-gateway, the places
// fixture): each mode runs, counts only whole replies and says so in its result line.
#include <sys/wait.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/support/test_herd.h"

namespace herd::testing {
namespace {

struct BenchRun {
  int exit_status = -1;
  std::string output;
  std::map<std::string, std::string> result;  // the "result:" line's key=value pairs

  double Number(const std::string& key) const {
    double value = -1;
    auto it = result.find(key);
    if (it == result.end() || !absl::SimpleAtod(it->second, &value)) return -1;
    return value;
  }
};

class HerdBenchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    herd_ =
        new TestHerd(TestHerd::DefaultNames(), TestHerd::DefaultLinks(),
                     absl::StrCat(R"({"geonames": {"dataFile": ")", HERD_PLACES_FIXTURE, R"("}})"));
    herd_->StartAll();
    ASSERT_TRUE(herd_->WaitUntilLinked());
    std::vector<std::string> addresses;
    for (const std::string& name : TestHerd::DefaultNames())
      addresses.push_back(herd_->text_address(name));
    gateway_ =
        StartGateway(herd_->config_path(), "", addresses, herd_->dir() + "/gateway.out").release();
    ASSERT_NE(gateway_, nullptr);
  }

  static void TearDownTestSuite() {
    delete gateway_;
    delete herd_;
  }

  BenchRun Run(std::vector<std::string> args) {
    static int runs = 0;
    std::string output_path = absl::StrCat(herd_->dir(), "/bench-", runs++, ".out");
    std::vector<std::string> argv = {BinaryPath("herd-bench"), "--config", herd_->config_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    BenchRun run;
    {
      Process bench(argv, output_path);
      int status = bench.Wait(absl::Seconds(120));
      run.exit_status = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    run.output = ReadFile(output_path);
    for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
      if (!absl::ConsumePrefix(&line, "result: ")) continue;
      for (absl::string_view field : absl::StrSplit(line, ' ')) {
        std::pair<std::string, std::string> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
        run.result[kv.first] = kv.second;
      }
    }
    return run;
  }

  static TestHerd* herd_;
  static Process* gateway_;
};

TestHerd* HerdBenchTest::herd_ = nullptr;
Process* HerdBenchTest::gateway_ = nullptr;

TEST_F(HerdBenchTest, PipelinedIamats) {
  BenchRun run = Run({"--seconds", "0.5", "--connections", "4", "--window", "8", "--markers", "3",
                      "--clients", "100"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.result["mode"], "iamat");
  EXPECT_EQ(run.result["fresh"], "0");
  EXPECT_GT(run.Number("ok"), 0) << run.output;
  EXPECT_EQ(run.result["other"], "0");
  EXPECT_EQ(run.result["broken"], "0");
  EXPECT_EQ(run.result["converged"], "1");
  EXPECT_NE(run.output.find("propagation Hands -> Welsh (3 hops)"), std::string::npos)
      << run.output;
}

TEST_F(HerdBenchTest, OneIamatPerConnection) {
  BenchRun run = Run({"--fresh", "--seconds", "0.5", "--connections", "2", "--markers", "0"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.result["fresh"], "1");
  EXPECT_GT(run.Number("ok"), 0) << run.output;
  EXPECT_EQ(run.result["broken"], "0");
  EXPECT_NE(run.output.find("one request per connection, 2 connections at a time"),
            std::string::npos)
      << run.output;
}

// Paced: 200 IAMAT/s over 4 connections for 1 s is 200 requests (the last ones due before the
// end), whatever the herd could take; the markers are made during that load.
TEST_F(HerdBenchTest, PacedIamatsAndPropagationDuringTheLoad) {
  BenchRun run = Run(
      {"--seconds", "1", "--connections", "4", "--window", "1", "--rate", "200", "--markers", "5"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.Number("ok"), 200) << run.output;
  EXPECT_EQ(run.result["broken"], "0");
  EXPECT_NE(run.output.find("5 markers during the load at 200 IAMAT/s"), std::string::npos)
      << run.output;
  EXPECT_NE(Run({"--rate", "0"}).exit_status, 0);
}

TEST_F(HerdBenchTest, WhatsatCountsWholeRepliesAndTheirPlaces) {
  // 40 clients spread over the fixture's 303 places (Los Angeles, the antimeridian, the poles).
  BenchRun run = Run({"--mode", "whatsat", "--clients", "40", "--seconds", "0.5", "--connections",
                      "3", "--window", "2", "--markers", "0"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.result["mode"], "whatsat");
  EXPECT_GT(run.Number("ok"), 0) << run.output;
  EXPECT_EQ(run.result["other"], "0");
  EXPECT_GT(run.Number("places_per_reply"), 1) << run.output;
  EXPECT_LE(run.Number("places_per_reply"), 20) << run.output;
  EXPECT_GE(run.Number("stamps"), 40);
  EXPECT_NE(run.output.find("load: 40 clients at 40 GeoNames places"), std::string::npos)
      << run.output;
}

// Every search is centred on a bench client's own point, so each answer holds that client at
// least, and never more than the 20 asked for.
TEST_F(HerdBenchTest, ClientSearchesKeepTheirCallsInFlightAndCountHits) {
  BenchRun run = Run({"--mode", "clients", "--clients", "40", "--seconds", "0.5", "--connections",
                      "3", "--markers", "0"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.result["mode"], "clients");
  EXPECT_GT(run.Number("ok"), 3) << run.output;
  EXPECT_EQ(run.result["other"], "0") << run.output;
  EXPECT_GE(run.Number("places_per_reply"), 1) << run.output;
  EXPECT_LE(run.Number("places_per_reply"), 20) << run.output;
  EXPECT_NE(run.output.find("(gRPC, 3 calls in flight from one thread)"), std::string::npos)
      << run.output;
}

TEST_F(HerdBenchTest, WhatsatOfFreshConnections) {
  BenchRun run = Run({"--mode", "whatsat", "--fresh", "--clients", "10", "--seconds", "0.3",
                      "--connections", "2", "--markers", "0"});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_EQ(run.result["fresh"], "1");
  EXPECT_GT(run.Number("ok"), 0) << run.output;
}

TEST_F(HerdBenchTest, WritesThePlacesForRedisWithTheClientsAsMembers) {
  std::string path = herd_->dir() + "/places.resp";
  BenchRun run = Run({"--clients", "10", "--write-redis-places", path});
  ASSERT_EQ(run.exit_status, 0) << run.output;
  EXPECT_NE(run.output.find("redis-places: places=303 members=10 "), std::string::npos)
      << run.output;
  std::string commands = ReadFile(path);
  const std::string geoadd = "*5\r\n$6\r\nGEOADD\r\n$6\r\nplaces\r\n";
  size_t geoadds = 0;
  for (size_t at = commands.find(geoadd); at != std::string::npos;
       at = commands.find(geoadd, at + geoadd.size())) {
    ++geoadds;
  }
  EXPECT_EQ(geoadds, 303u);
  // Client k is member %012d of k; client 0 is at the table's first place.
  EXPECT_NE(commands.find("$12\r\n000000000000\r\n"), std::string::npos);
  EXPECT_NE(commands.find("$12\r\n000000000009\r\n"), std::string::npos);
  EXPECT_EQ(commands.find("$12\r\n000000000010\r\n"), std::string::npos);
}

TEST_F(HerdBenchTest, BadArgumentsAreRefused) {
  EXPECT_EQ(Run({"--mode", "sideways"}).exit_status, 2);
  EXPECT_EQ(Run({"--fresh", "--connections"}).exit_status, 2);
  EXPECT_EQ(Run({"--connections", "0"}).exit_status, 2);
}

}  // namespace
}  // namespace herd::testing
