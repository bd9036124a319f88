// herdctl as a process against real herd-node processes on free loopback ports.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "rapidjson/document.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::BinaryPath;
using testing::ReadFile;
using testing::TestHerd;

struct CtlRun {
  int exit_code = -1;  // -1: killed after the time limit
  std::string out;
  std::string err;
};

// Runs herdctl with `args`, stdout and stderr captured apart; killed after 30 s.
CtlRun Herdctl(const std::string& dir, std::vector<std::string> args) {
  static int runs = 0;
  std::string out_path = absl::StrCat(dir, "/herdctl-", runs, ".out");
  std::string err_path = absl::StrCat(dir, "/herdctl-", runs++, ".err");
  args.insert(args.begin(), BinaryPath("herdctl"));
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  CtlRun run;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      status = -1;
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (status != -1 && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

std::string Describe(const CtlRun& run) {
  return absl::StrCat("exit ", run.exit_code, "\nstdout:\n", run.out, "stderr:\n", run.err);
}

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << text;
  EXPECT_TRUE(doc.IsObject()) << text;
  return doc;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::string PlacesJson() {
  return absl::StrCat(R"({"geonames": {"dataFile": ")", HERD_PLACES_FIXTURE, R"("}})");
}

// Starts the named nodes and waits until each answers GetStatus (a busy machine can take a
// while between the port opening and the first call being served).
void StartAnswering(TestHerd& herd, const std::vector<std::string>& names) {
  for (const std::string& name : names) herd.Start(name);
  for (const std::string& name : names) {
    ASSERT_TRUE(testing::Eventually([&] { return herd.Status(name).node() == name; })) << name;
  }
}

class HerdctlTest : public ::testing::Test {
 protected:
  HerdctlTest()
      : herd_({"Alpha", "Bravo", "Charlie"}, {{"Alpha", "Bravo"}, {"Bravo", "Charlie"}},
              PlacesJson()) {}

  CtlRun Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", herd_.config_path()});
    return Herdctl(herd_.dir(), std::move(args));
  }

  TestHerd herd_;
};

TEST_F(HerdctlTest, StatusOfAConvergedHerd) {
  StartAnswering(herd_, {"Alpha", "Bravo", "Charlie"});
  ASSERT_TRUE(herd_.WaitUntilLinked());
  CtlRun report =
      Ctl({"--node", "Alpha", "report", "kiwi", "+34.068930-118.445127", "1520023934.5"});
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  ASSERT_TRUE(herd_.WaitUntilConverged());

  CtlRun text = Ctl({"status"});
  ASSERT_EQ(text.exit_code, 0) << Describe(text);
  std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 5u) << text.out;  // header, three nodes, summary
  EXPECT_TRUE(absl::StartsWith(lines[0], "NODE")) << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[2], "Bravo")) << lines[2];
  EXPECT_TRUE(absl::StrContains(lines[2], herd_.grpc_address("Bravo"))) << lines[2];
  EXPECT_TRUE(absl::StrContains(lines[2], " up ")) << lines[2];
  EXPECT_TRUE(absl::StrContains(lines[2], "Alpha,Charlie")) << lines[2];
  EXPECT_TRUE(absl::StartsWith(lines[4], "converged: all 3 nodes hold the same 1 stamps"))
      << lines[4];
  EXPECT_EQ(text.err, "");

  CtlRun json = Ctl({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  rapidjson::Document doc = Json(json.out);
  ASSERT_TRUE(doc["nodes"].IsArray());
  ASSERT_EQ(doc["nodes"].Size(), 3u);
  EXPECT_TRUE(doc["converged"].GetBool());
  std::string digest;
  for (const auto& node : doc["nodes"].GetArray()) {
    EXPECT_TRUE(node["up"].GetBool());
    EXPECT_EQ(node["stampCount"].GetUint64(), 1u);
    if (digest.empty()) digest = node["storeDigest"].GetString();
    EXPECT_EQ(node["storeDigest"].GetString(), digest);
    EXPECT_EQ(std::string(node["storeDigest"].GetString()).size(), 16u);
  }
  const auto& bravo = doc["nodes"][1];
  EXPECT_STREQ(bravo["name"].GetString(), "Bravo");
  ASSERT_EQ(bravo["linkedPeers"].Size(), 2u);
  EXPECT_STREQ(bravo["linkedPeers"][0].GetString(), "Alpha");
  EXPECT_STREQ(bravo["linkedPeers"][1].GetString(), "Charlie");
}

TEST_F(HerdctlTest, ANodeThatIsDownFailsStatusWithOneLineWhy) {
  StartAnswering(herd_, {"Alpha", "Bravo"});
  ASSERT_TRUE(herd_.WaitUntilLinked());
  CtlRun text = Ctl({"status"});
  EXPECT_EQ(text.exit_code, 1) << Describe(text);
  std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 5u) << text.out;
  EXPECT_TRUE(absl::StrContains(lines[3], "Charlie")) << lines[3];
  EXPECT_TRUE(absl::StrContains(lines[3], "DOWN")) << lines[3];
  EXPECT_TRUE(absl::StartsWith(lines[4], "DOWN: Charlie;")) << lines[4];
  ASSERT_EQ(Lines(text.err).size(), 1u) << text.err;
  EXPECT_TRUE(absl::StrContains(
      text.err, "1 of 3 nodes down: Charlie at " + herd_.grpc_address("Charlie") + " (UNAVAILABLE"))
      << text.err;

  CtlRun json = Ctl({"--json", "status"});
  EXPECT_EQ(json.exit_code, 1) << Describe(json);
  rapidjson::Document doc = Json(json.out);
  EXPECT_FALSE(doc["converged"].GetBool());
  EXPECT_FALSE(doc["nodes"][2]["up"].GetBool());
  EXPECT_TRUE(absl::StartsWith(doc["nodes"][2]["error"].GetString(), "UNAVAILABLE"));
  ASSERT_EQ(doc["down"].Size(), 1u);
  EXPECT_STREQ(doc["down"][0].GetString(), "Charlie");

  // get/report move on to the next node when one is down; --node pins one.
  CtlRun report = Ctl({"--json", "report", "kiwi", "+1+1"});
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  EXPECT_STREQ(Json(report.out)["node"].GetString(), "Alpha");
  herd_.Kill("Alpha");
  CtlRun get = Ctl({"--json", "get", "kiwi"});
  ASSERT_EQ(get.exit_code, 0) << Describe(get);
  EXPECT_STREQ(Json(get.out)["node"].GetString(), "Bravo");
  CtlRun pinned = Ctl({"--node", "Charlie", "get", "kiwi"});
  EXPECT_EQ(pinned.exit_code, 1) << Describe(pinned);
  EXPECT_TRUE(absl::StrContains(pinned.err, "UNAVAILABLE")) << pinned.err;
}

TEST_F(HerdctlTest, ReportGetAndNearRoundTrip) {
  StartAnswering(herd_, {"Alpha", "Bravo", "Charlie"});
  ASSERT_TRUE(herd_.WaitUntilLinked());
  CtlRun report = Ctl({"--node", "Alpha", "report", "kiwi.cs.ucla.edu", "+34.068930-118.445127",
                       "1520023934.918963997"});
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  std::vector<std::string> lines = Lines(report.out);
  ASSERT_EQ(lines.size(), 2u) << report.out;
  EXPECT_TRUE(absl::StartsWith(lines[0], "AT Alpha "));
  EXPECT_TRUE(
      absl::EndsWith(lines[0], " kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"));
  EXPECT_TRUE(absl::StartsWith(lines[1], "stored"));

  ASSERT_TRUE(herd_.WaitUntilConverged());
  CtlRun get = Ctl({"--node", "Charlie", "--json", "get", "kiwi.cs.ucla.edu"});
  ASSERT_EQ(get.exit_code, 0) << Describe(get);
  rapidjson::Document doc = Json(get.out);
  EXPECT_STREQ(doc["node"].GetString(), "Charlie");
  EXPECT_STREQ(doc["stamp"]["origin"].GetString(), "Alpha");
  EXPECT_STREQ(doc["stamp"]["clientTime"].GetString(), "1520023934.918963997");
  EXPECT_DOUBLE_EQ(doc["stamp"]["latitude"].GetDouble(), 34.068930);
  EXPECT_EQ(std::string(doc["stamp"]["atLine"].GetString()), lines[0]);
  CtlRun get_text = Ctl({"--node", "Charlie", "get", "kiwi.cs.ucla.edu"});
  EXPECT_EQ(get_text.out, lines[0] + "\n");

  // An older report is answered but not stored.
  CtlRun stale = Ctl({"--json", "report", "kiwi.cs.ucla.edu", "+1+1", "1000"});
  ASSERT_EQ(stale.exit_code, 0) << Describe(stale);
  EXPECT_FALSE(Json(stale.out)["stored"].GetBool());

  // TIME defaults to now.
  double before = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  CtlRun now = Ctl({"--json", "report", "walker", "+10+20"});
  ASSERT_EQ(now.exit_code, 0) << Describe(now);
  double reported = std::stod(Json(now.out)["stamp"]["clientTime"].GetString());
  EXPECT_GE(reported, before - 1);
  EXPECT_LE(reported, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) + 1);

  for (const std::string& center :
       {std::string("kiwi.cs.ucla.edu"), std::string("34.0689,-118.4451")}) {
    CtlRun near = Ctl({"--json", "near", center, "10", "3"});
    ASSERT_EQ(near.exit_code, 0) << Describe(near);
    rapidjson::Document places = Json(near.out);
    EXPECT_EQ(places.HasMember("stamp"), center == "kiwi.cs.ucla.edu");
    ASSERT_TRUE(places["places"].IsArray());
    ASSERT_GE(places["places"].Size(), 1u) << near.out;
    EXPECT_LE(places["places"].Size(), 3u);
    for (const auto& place : places["places"].GetArray()) {
      EXPECT_LE(place["distanceM"].GetDouble(), 10000);
      EXPECT_TRUE(place["name"].IsString());
    }
    CtlRun near_text = Ctl({"near", center, "10", "3"});
    ASSERT_EQ(near_text.exit_code, 0) << Describe(near_text);
    EXPECT_TRUE(absl::StrContains(near_text.out, " places within 10 km")) << near_text.out;
  }
}

TEST_F(HerdctlTest, ClientsAndWatchArea) {
  StartAnswering(herd_, {"Alpha", "Bravo", "Charlie"});
  ASSERT_TRUE(herd_.WaitUntilLinked());
  for (const auto& [client, location] :
       std::vector<std::pair<std::string, std::string>>{{"kiwi", "+34.068930-118.445127"},
                                                        {"near", "+34.070000-118.445127"},
                                                        {"far", "+34.500000-118.445127"}}) {
    CtlRun report = Ctl({"--node", "Alpha", "report", client, location, "100"});
    ASSERT_EQ(report.exit_code, 0) << Describe(report);
  }
  ASSERT_TRUE(herd_.WaitUntilConverged());
  CtlRun clients = Ctl({"--node", "Charlie", "--json", "clients", "kiwi", "10", "5"});
  ASSERT_EQ(clients.exit_code, 0) << Describe(clients);
  rapidjson::Document doc = Json(clients.out);
  EXPECT_STREQ(doc["center"]["clientId"].GetString(), "kiwi");
  ASSERT_EQ(doc["clients"].Size(), 1u) << clients.out;
  EXPECT_STREQ(doc["clients"][0]["stamp"]["clientId"].GetString(), "near");
  EXPECT_NEAR(doc["clients"][0]["distanceM"].GetDouble(), 118, 2);
  CtlRun text = Ctl({"clients", "34.0689,-118.4451", "100", "5"});
  ASSERT_EQ(text.exit_code, 0) << Describe(text);
  std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 4u) << text.out;
  EXPECT_EQ(lines[0], "3 clients within 100 km");
  EXPECT_TRUE(absl::StrContains(lines[1], " kiwi ")) << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[3], " far ")) << lines[3];
  CtlRun bad = Ctl({"clients", "34.0689,-118.4451", "5000", "5"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_TRUE(absl::StrContains(bad.err, "INVALID_ARGUMENT")) << bad.err;

  // watch-area at Charlie while "walker" goes in and out of the circle at Alpha.
  std::atomic<bool> done{false};
  CtlRun watch;
  std::thread watcher([&] {
    watch = Ctl({"--node", "Charlie", "--count", "2", "watch-area", "34.0689,-118.4451", "5"});
    done = true;
  });
  for (int step = 1; !done && step < 200; ++step) {
    Ctl({"--node", "Alpha", "report", "walker",
         step % 2 ? "+34.070000-118.445127" : "+35.000000-118.445127", absl::StrCat(step)});
    absl::SleepFor(absl::Milliseconds(100));
  }
  watcher.join();
  ASSERT_EQ(watch.exit_code, 0) << Describe(watch);
  lines = Lines(watch.out);
  ASSERT_EQ(lines.size(), 3u) << watch.out;
  EXPECT_EQ(lines[0], "watching 5 km around 34.0689,-118.4451 at Charlie");
  EXPECT_NE(absl::StartsWith(lines[1], "ENTER "), absl::StartsWith(lines[2], "ENTER "))
      << watch.out;
  EXPECT_NE(absl::StartsWith(lines[1], "EXIT "), absl::StartsWith(lines[2], "EXIT ")) << watch.out;
  EXPECT_TRUE(absl::StrContains(lines[1], " walker ")) << watch.out;
}

TEST_F(HerdctlTest, FailedCallsAndBadArguments) {
  StartAnswering(herd_, {"Alpha", "Bravo", "Charlie"});
  CtlRun unknown = Ctl({"get", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1) << Describe(unknown);
  EXPECT_EQ(unknown.out, "");
  EXPECT_EQ(Lines(unknown.err).size(), 1u);
  EXPECT_TRUE(absl::StrContains(unknown.err, "NOT_FOUND")) << unknown.err;
  CtlRun unknown_json = Ctl({"--json", "get", "nobody"});
  EXPECT_EQ(unknown_json.exit_code, 1);
  EXPECT_STREQ(Json(unknown_json.out)["error"]["code"].GetString(), "NOT_FOUND");

  CtlRun bad_location = Ctl({"report", "kiwi", "north-ish"});
  EXPECT_EQ(bad_location.exit_code, 1) << Describe(bad_location);
  EXPECT_TRUE(absl::StrContains(bad_location.err, "INVALID_ARGUMENT: location"))
      << bad_location.err;
  CtlRun bad_radius = Ctl({"near", "0,0", "500", "3"});
  EXPECT_EQ(bad_radius.exit_code, 1) << Describe(bad_radius);
  EXPECT_TRUE(absl::StrContains(bad_radius.err, "radius_km")) << bad_radius.err;

  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"get"},
                                             {"get", "a", "b"},
                                             {"report", "kiwi"},
                                             {"near", "kiwi", "ten", "3"},
                                             {"near", "kiwi", "10", "three"},
                                             {"--timeout", "soon", "status"},
                                             {"--timeout", "0", "status"},
                                             {"--interval", "0.001", "watch"},
                                             {"--count", "2", "status"},
                                             {"--node", "Zulu", "status"},
                                             {"--address", "127.0.0.1:1", "status"},
                                             {"status", "--config"}}) {
    CtlRun run = Ctl(args);
    EXPECT_EQ(run.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << Describe(run);
    EXPECT_TRUE(absl::StartsWith(run.err, "herdctl: ")) << run.err;
  }
  CtlRun missing = Herdctl(herd_.dir(), {"--config", herd_.dir() + "/nope.json", "status"});
  EXPECT_EQ(missing.exit_code, 2) << Describe(missing);
  EXPECT_TRUE(absl::StrContains(missing.err, "nope.json")) << missing.err;
  CtlRun help = Herdctl(herd_.dir(), {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(help.out, "usage: herdctl")) << help.out;
}

TEST_F(HerdctlTest, WatchRefreshesAndSingleAddress) {
  StartAnswering(herd_, {"Alpha", "Bravo", "Charlie"});
  ASSERT_TRUE(herd_.WaitUntilLinked());
  CtlRun watch = Ctl({"--json", "watch", "--interval", "0.2", "--count", "3"});
  ASSERT_EQ(watch.exit_code, 0) << Describe(watch);
  std::vector<std::string> frames = Lines(watch.out);
  ASSERT_EQ(frames.size(), 3u) << watch.out;
  for (const std::string& frame : frames) EXPECT_EQ(Json(frame)["nodes"].Size(), 3u);

  CtlRun text = Ctl({"watch", "--interval", "0.2", "--count", "2"});
  ASSERT_EQ(text.exit_code, 0) << Describe(text);
  std::vector<std::string> headers = absl::StrSplit(text.out, "herdctl watch, every");
  EXPECT_EQ(headers.size(), 3u) << text.out;  // "" before the first header, then two frames

  CtlRun single =
      Herdctl(herd_.dir(), {"--address", herd_.grpc_address("Bravo"), "--json", "status"});
  ASSERT_EQ(single.exit_code, 0) << Describe(single);
  rapidjson::Document doc = Json(single.out);
  ASSERT_EQ(doc["nodes"].Size(), 1u);
  EXPECT_STREQ(doc["nodes"][0]["name"].GetString(), "Bravo");

  // A watch stopped by SIGINT exits by itself.
  std::vector<std::string> args = {BinaryPath("herdctl"), "--config", herd_.config_path(), "watch",
                                   "--interval",          "0.2"};
  testing::Process process(args, herd_.dir() + "/watch.out");
  ASSERT_TRUE(testing::Eventually(
      [&] { return absl::StrContains(ReadFile(herd_.dir() + "/watch.out"), "converged"); }));
  int status = process.Signal(SIGINT);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(Herdctl, StoresThatDifferExitWithThree) {
  TestHerd herd({"Alpha", "Bravo"}, {});  // no link: a stamp stays where it was reported
  StartAnswering(herd, {"Alpha", "Bravo"});
  CtlRun report = Herdctl(herd.dir(), {"--config", herd.config_path(), "--node", "Alpha", "report",
                                       "kiwi", "+1+1", "5"});
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  CtlRun status = Herdctl(herd.dir(), {"--config", herd.config_path(), "status"});
  EXPECT_EQ(status.exit_code, 3) << Describe(status);
  std::vector<std::string> lines = Lines(status.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(absl::StartsWith(lines.back(), "NOT converged: stores differ: Alpha (1 stamps, "))
      << lines.back();
  EXPECT_TRUE(absl::StrContains(lines.back(), "| Bravo (0 stamps, ")) << lines.back();
  CtlRun json = Herdctl(herd.dir(), {"--config", herd.config_path(), "--json", "status"});
  EXPECT_EQ(json.exit_code, 3);
  rapidjson::Document doc = Json(json.out);
  EXPECT_FALSE(doc["converged"].GetBool());
  EXPECT_EQ(doc["groups"].Size(), 2u);
}

// A port that accepts connections and never says a word: every call must end at its deadline.
TEST(Herdctl, ASilentNodeCannotMakeItHang) {
  testing::TempDir dir;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string address = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"status"}, {"get", "kiwi"}, {"report", "k", "+1+1"}}) {
    std::vector<std::string> args = {"--address", address, "--timeout", "300"};
    args.insert(args.end(), command.begin(), command.end());
    absl::Time start = absl::Now();
    CtlRun run = Herdctl(dir.path(), args);
    EXPECT_EQ(run.exit_code, 1) << Describe(run);
    EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << command[0];
    EXPECT_TRUE(absl::StrContains(run.err, "DEADLINE_EXCEEDED") ||
                absl::StrContains(run.err, "UNAVAILABLE"))
        << run.err;
  }
  close(fd);
}

// A herd with TLS: herdctl trusts the config's CA and checks each node's name; a bare --address
// needs --ca and --node; a plain herdctl (no CA) cannot talk to it.
TEST(Herdctl, TalksToATlsHerdWithItsCa) {
  TestHerd herd({"Alpha", "Bravo"}, {{"Alpha", "Bravo"}}, "", 0, testing::Transport::kTls);
  StartAnswering(herd, {"Alpha", "Bravo"});
  ASSERT_TRUE(herd.WaitUntilLinked());

  CtlRun status = Herdctl(herd.dir(), {"--config", herd.config_path(), "status"});
  EXPECT_EQ(status.exit_code, 0) << Describe(status);
  CtlRun report = Herdctl(herd.dir(), {"--config", herd.config_path(), "--node", "Bravo", "report",
                                       "tls-client", "+34.068930-118.445127"});
  EXPECT_EQ(report.exit_code, 0) << Describe(report);

  const std::string ca = absl::StrCat(herd.certs_dir(), "/ca.pem");
  CtlRun direct = Herdctl(herd.dir(), {"--address", herd.grpc_address("Alpha"), "--ca", ca,
                                       "--node", "Alpha", "get", "tls-client"});
  EXPECT_EQ(direct.exit_code, 0) << Describe(direct);
  EXPECT_NE(direct.out.find("tls-client"), std::string::npos) << Describe(direct);

  // The certificate at Alpha's address names Alpha, not Bravo: refused, one line why.
  CtlRun wrong_name = Herdctl(herd.dir(), {"--address", herd.grpc_address("Alpha"), "--ca", ca,
                                           "--node", "Bravo", "get", "tls-client"});
  EXPECT_EQ(wrong_name.exit_code, 1) << Describe(wrong_name);
  EXPECT_EQ(Lines(wrong_name.err).size(), 1u) << Describe(wrong_name);

  CtlRun plain = Herdctl(herd.dir(), {"--address", herd.grpc_address("Alpha"), "get", "x"});
  EXPECT_EQ(plain.exit_code, 1) << Describe(plain);

  CtlRun no_name = Herdctl(
      herd.dir(), {"--address", herd.grpc_address("Alpha"), "--ca", ca, "get", "tls-client"});
  EXPECT_EQ(no_name.exit_code, 2) << Describe(no_name);
  CtlRun missing_ca = Herdctl(herd.dir(), {"--address", herd.grpc_address("Alpha"), "--ca",
                                           "/nonexistent/ca.pem", "--node", "Alpha", "status"});
  EXPECT_NE(missing_ca.exit_code, 0) << Describe(missing_ca);
  EXPECT_NE(missing_ca.err.find("/nonexistent/ca.pem"), std::string::npos) << Describe(missing_ca);
}

}  // namespace
}  // namespace herd
