#include "services/core/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/support/process.h"

namespace herd {
namespace {

constexpr char kValid[] = R"({
  "nodes": [
    {"name": "Alpha", "grpcAddress": "127.0.0.1:12100", "textAddress": "127.0.0.1:12000"},
    {"name": "Bravo", "grpcAddress": "127.0.0.1:12101", "textAddress": "127.0.0.1:12001"},
    {"name": "Charlie", "grpcAddress": "127.0.0.1:12102", "textAddress": "127.0.0.1:12002"}
  ],
  "links": [{"nodes": ["Alpha", "Bravo"]}, {"nodes": ["Charlie", "Alpha"]}],
  "logDir": "logs",
  "places": {"geonames": {"dataFile": "data/cities.txt"}}
})";

std::string ErrorOf(const std::string& json) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(json, "/base");
  EXPECT_FALSE(config.ok()) << json;
  return config.ok() ? "" : std::string(config.status().message());
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return s.replace(at, from.size(), to);
}

TEST(HerdConfig, ParsesAndResolvesPathsAgainstTheBaseDir) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(kValid, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_dir(), "/base/logs");
  EXPECT_EQ(config->proto().places().geonames().data_file(), "/base/data/cities.txt");
  ASSERT_NE(config->FindNode("Bravo"), nullptr);
  EXPECT_EQ(config->FindNode("Bravo")->grpc_address(), "127.0.0.1:12101");
  EXPECT_EQ(config->FindNode("Zulu"), nullptr);
  EXPECT_EQ(config->PeersOf("Alpha"), (std::vector<std::string>{"Bravo", "Charlie"}));
  EXPECT_EQ(config->PeersOf("Charlie"), (std::vector<std::string>{"Alpha"}));
}

TEST(HerdConfig, StorageAndAntiEntropySettings) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(
      Replace(kValid, R"("logDir": "logs",)",
              R"("logDir": "logs", "storage": {"dataDir": "../data", "fsync": true},
                 "antiEntropy": {"intervalSeconds": 5},)"),
      "/base/deploy");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->proto().storage().data_dir(), "/base/data");
  EXPECT_TRUE(config->proto().storage().fsync());
  EXPECT_EQ(config->proto().anti_entropy().interval_seconds(), 5u);
  // Without a data directory the nodes stay in memory.
  EXPECT_TRUE(HerdConfig::Parse(kValid, "/base")->proto().storage().data_dir().empty());
}

TEST(HerdConfig, HomeAndAbsolutePaths) {
  setenv("HOME", "/home/operator", 1);
  EXPECT_EQ(ResolvePath("~/.cache/x", "/base"), "/home/operator/.cache/x");
  EXPECT_EQ(ResolvePath("/abs/x", "/base"), "/abs/x");
  EXPECT_EQ(ResolvePath("rel/x", "/base"), "/base/rel/x");
  EXPECT_EQ(ResolvePath("../build/logs", "/repo/deploy"), "/repo/build/logs");
}

TEST(HerdConfig, LoadResolvesAgainstTheFilesDirectoryFromAnyWorkingDirectory) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() + "/herd.json", kValid);
  absl::StatusOr<HerdConfig> config = HerdConfig::Load(dir.path() + "/herd.json");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->log_dir(), dir.path() + "/logs");
}

TEST(HerdConfig, ErrorsNameTheBadField) {
  EXPECT_NE(ErrorOf(Replace(kValid, "\"Bravo\", \"grpcAddress", "\"Alpha\", \"grpcAddress"))
                .find("nodes[1].name"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "127.0.0.1:12101", "nowhere")).find("nodes[1].grpcAddress"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, "127.0.0.1:12002", "127.0.0.1:99999")).find("nodes[2].textAddress"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "127.0.0.1:12002", "127.0.0.1:12001")).find("nodes[2]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "[\"Charlie\", \"Alpha\"]", "[\"Charlie\", \"Zulu\"]"))
                .find("links[1].nodes"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, "[\"Charlie\", \"Alpha\"]", "[\"Charlie\"]")).find("links[1].nodes"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "[\"Charlie\", \"Alpha\"]", "[\"Bravo\", \"Alpha\"]"))
                .find("duplicate link"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, "[\"Charlie\", \"Alpha\"]", "[\"Alpha\", \"Alpha\"]")).find("itself"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, "\"Charlie\", \"grpc", "\"Char lie\", \"grpc")).find("nodes[2].name"),
      std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "\"logDir\": \"logs\"", "\"logDir\": \"\"")).find("logDir"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "\"logDir\"", "\"logDirectory\"")).find("logDirectory"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"nodes\": []}").find("nodes"), std::string::npos);
  EXPECT_NE(ErrorOf("not json").find("not a valid herd config"), std::string::npos);
  EXPECT_NE(ErrorOf(Replace(kValid, "{\"geonames\": {\"dataFile\": \"data/cities.txt\"}}",
                            "{\"google\": {\"api\": \"PLACES_NEW\"}}"))
                .find("places.google.apiKeyEnv"),
            std::string::npos);
}

TEST(HerdConfig, MissingFileIsAClearError) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Load("/nonexistent/herd.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/nonexistent/herd.json"), absl::string_view::npos);
}

}  // namespace
}  // namespace herd
