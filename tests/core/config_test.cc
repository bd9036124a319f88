#include "services/core/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

TEST(HerdConfig, MetricsAddressesAreIpv4AndPortAndMayRepeatLikeListenAddresses) {
  const std::string bravo = R"("textAddress": "127.0.0.1:12001")";
  absl::StatusOr<HerdConfig> config =
      HerdConfig::Parse(Replace(kValid, bravo,
                                bravo + R"(, "metricsAddress": "0.0.0.0:12200", )"
                                        R"("gatewayMetricsAddress": "127.0.0.1:12300")"),
                        "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->FindNode("Bravo")->metrics_address(), "0.0.0.0:12200");
  EXPECT_EQ(config->FindNode("Bravo")->gateway_metrics_address(), "127.0.0.1:12300");
  EXPECT_TRUE(config->FindNode("Alpha")->metrics_address().empty());
  // Each container binds its own 0.0.0.0:12200.
  const std::string alpha = R"("textAddress": "127.0.0.1:12000")";
  EXPECT_TRUE(HerdConfig::Parse(
                  Replace(Replace(kValid, alpha, alpha + R"(, "metricsAddress": "0.0.0.0:12200")"),
                          bravo, bravo + R"(, "metricsAddress": "0.0.0.0:12200")"),
                  "/base")
                  .ok());

  std::string error =
      ErrorOf(Replace(kValid, bravo, bravo + R"(, "metricsAddress": "localhost:12200")"));
  EXPECT_NE(error.find("nodes[1].metricsAddress"), std::string::npos) << error;
  EXPECT_NE(error.find("must be an IPv4 address"), std::string::npos) << error;
  error = ErrorOf(Replace(kValid, bravo, bravo + R"(, "metricsAddress": "[::1]:12200")"));
  EXPECT_NE(error.find("nodes[1].metricsAddress"), std::string::npos) << error;
  error = ErrorOf(Replace(kValid, bravo, bravo + R"(, "gatewayMetricsAddress": "127.0.0.1")"));
  EXPECT_NE(error.find("nodes[1].gatewayMetricsAddress"), std::string::npos) << error;
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

TEST(HerdConfig, GatewayFallbacksNameOtherConfiguredNodes) {
  const std::string bravo = "\"textAddress\": \"127.0.0.1:12001\"";
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(
      Replace(kValid, bravo, bravo + ", \"gatewayFallbacks\": [\"Charlie\", \"Alpha\"]"), "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->FindNode("Bravo")->gateway_fallbacks_size(), 2);
  EXPECT_EQ(config->FindNode("Bravo")->gateway_fallbacks(0), "Charlie");

  EXPECT_NE(ErrorOf(Replace(kValid, bravo, bravo + ", \"gatewayFallbacks\": [\"Zulu\"]"))
                .find("nodes[1].gatewayFallbacks[0]: unknown node \"Zulu\""),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, bravo, bravo + ", \"gatewayFallbacks\": [\"Alpha\", \"Bravo\"]"))
          .find("nodes[1].gatewayFallbacks[1]: names the node itself"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(kValid, bravo, bravo + ", \"gatewayFallbacks\": [\"Alpha\", \"Alpha\"]"))
          .find("nodes[1].gatewayFallbacks[1]"),
      std::string::npos);
}

TEST(HerdConfig, TlsPathsResolveAndMissingOnesAreNamed) {
  std::string tls = Replace(kValid, R"("logDir": "logs",)",
                            R"("logDir": "logs",
      "tls": {"caFile": "certs/ca.pem"},
      "gateway": {"certFile": "certs/gateway.pem", "keyFile": "/keys/gateway.key"},)");
  for (const char* name : {"Alpha", "Bravo", "Charlie"}) {
    std::string node = absl::StrCat(R"({"name": ")", name, R"(", )");
    tls = Replace(tls, node,
                  absl::StrCat(node, R"("certFile": "certs/)", name, R"(.pem", "keyFile": "certs/)",
                               name, R"(.key", )"));
  }
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(tls, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->tls());
  EXPECT_EQ(config->proto().tls().ca_file(), "/base/certs/ca.pem");
  EXPECT_FALSE(config->proto().tls().require_client_certificates());
  EXPECT_EQ(config->FindNode("Bravo")->cert_file(), "/base/certs/Bravo.pem");
  EXPECT_EQ(config->FindNode("Bravo")->key_file(), "/base/certs/Bravo.key");
  EXPECT_EQ(config->GatewayCertFile("Bravo"), "/base/certs/gateway.pem");
  EXPECT_EQ(config->GatewayKeyFile("Bravo"), "/keys/gateway.key");

  std::string sidecar = Replace(tls, R"("keyFile": "certs/Bravo.key", )",
                                R"("keyFile": "certs/Bravo.key", "gatewayCertFile": "gw/b.pem",
                                   "gatewayKeyFile": "gw/b.key", )");
  config = HerdConfig::Parse(sidecar, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->GatewayCertFile("Bravo"), "/base/gw/b.pem");
  EXPECT_EQ(config->GatewayCertFile("Alpha"), "/base/certs/gateway.pem");

  EXPECT_EQ(ErrorOf(Replace(tls, R"("caFile": "certs/ca.pem")", R"("caFile": "")")),
            "tls.caFile: is required when tls is set");
  EXPECT_EQ(ErrorOf(Replace(tls, R"("certFile": "certs/Bravo.pem", )", "")),
            "nodes[1].certFile: is required when tls is set");
  EXPECT_EQ(ErrorOf(Replace(tls, R"("keyFile": "certs/Charlie.key", )", "")),
            "nodes[2].keyFile: is required when tls is set");
  EXPECT_EQ(ErrorOf(Replace(tls, R"("keyFile": "/keys/gateway.key")", R"("keyFile": "")")),
            "gateway.keyFile: is required with its certificate/key counterpart");
  EXPECT_EQ(
      ErrorOf(Replace(
          tls, R"("gateway": {"certFile": "certs/gateway.pem", "keyFile": "/keys/gateway.key"},)",
          "")),
      "nodes[0].gatewayCertFile: is required when tls is set and gateway.certFile is not");
  // Certificates without a tls section are a mistake, not silently plain TCP.
  std::string plain_with_cert =
      Replace(kValid, R"({"name": "Bravo", )", R"({"name": "Bravo", "certFile": "b.pem", )");
  EXPECT_EQ(ErrorOf(plain_with_cert),
            "nodes[1]: has certificate files but the config has no \"tls\" section");
}

TEST(HerdConfig, ClientTimeBoundDefaultsToADayAndZeroTurnsItOff) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(kValid, "/base");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->tls());
  EXPECT_EQ(config->max_client_time_ahead(), absl::Hours(24));
  std::string off = Replace(kValid, R"("logDir": "logs",)",
                            R"("logDir": "logs", "stamps": {"maxClientTimeAheadSeconds": 0},)");
  config = HerdConfig::Parse(off, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_client_time_ahead(), absl::ZeroDuration());
  std::string hour = Replace(kValid, R"("logDir": "logs",)",
                             R"("logDir": "logs", "stamps": {"maxClientTimeAheadSeconds": 3600},)");
  config = HerdConfig::Parse(hour, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_client_time_ahead(), absl::Hours(1));
}

// A microsecond setting "<section>": {"<field>": N}: unset it is `default_value`; 0 and `max` are
// taken, `max` + 1 is refused naming the field, and a negative number is not valid for it.
void ExpectBoundedMicros(const std::string& section, const std::string& field,
                         absl::Duration default_value, int max,
                         absl::Duration (HerdConfig::*setting)() const) {
  SCOPED_TRACE(section + "." + field);
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(kValid, "/base");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(((*config).*setting)(), default_value);
  auto with = [&](int64_t value) {
    return Replace(
        kValid, R"("logDir": "logs",)",
        absl::StrCat(R"("logDir": "logs", ")", section, R"(": {")", field, R"(": )", value, "},"));
  };
  config = HerdConfig::Parse(with(0), "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(((*config).*setting)(), absl::ZeroDuration());
  config = HerdConfig::Parse(with(max), "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(((*config).*setting)(), absl::Microseconds(max));
  EXPECT_NE(ErrorOf(with(int64_t{max} + 1)).find(section + "." + field), std::string::npos);
  EXPECT_NE(ErrorOf(with(-1)).find("not a valid herd config"), std::string::npos);
}

TEST(HerdConfig, ClientFloodHoldDefaultsToOneMillisecondAndIsBounded) {
  ExpectBoundedMicros("flood", "clientHoldUs", absl::Milliseconds(1), 1000000,
                      &HerdConfig::client_flood_hold);
}

TEST(HerdConfig, GatewayBatchLingerDefaultsToSevenHundredMicrosecondsAndIsBounded) {
  ExpectBoundedMicros("gateway", "batchLingerUs", absl::Microseconds(700), 100000,
                      &HerdConfig::gateway_batch_linger);
}

TEST(HerdConfig, HostsAreNamesOrIpLiterals) {
  for (const char* host : {"hands", "node-1.herd.example.org", "0.0.0.0", "[::1]", "[::]"}) {
    std::string json = Replace(kValid, "127.0.0.1:12101", std::string(host) + ":12101");
    absl::StatusOr<HerdConfig> config = HerdConfig::Parse(json, "/base");
    EXPECT_TRUE(config.ok()) << host << ": " << config.status();
  }
  for (const char* bad : {"-hands:1", "hands-:1", "a..b:1", "herd_hands:1", "[::zz]:1", "ha nds:1",
                          "::1:1", "h\u00e9:1"}) {
    EXPECT_NE(ErrorOf(Replace(kValid, "127.0.0.1:12101", bad)).find("nodes[1].grpcAddress"),
              std::string::npos)
        << bad;
  }
}

TEST(HerdConfig, ListenAddressesDefaultToTheDialAddresses) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(kValid, "/base");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->FindNode("Bravo")->grpc_listen_address(), "127.0.0.1:12101");
  EXPECT_EQ(config->FindNode("Bravo")->text_listen_address(), "127.0.0.1:12001");
}

TEST(HerdConfig, ContainerNodesBindEveryInterfaceAndAreDialledByName) {
  // Every node binds the same 0.0.0.0 ports (one container each); dial addresses stay unique.
  std::string json = kValid;
  for (const char* name : {"Alpha", "Bravo", "Charlie"}) {
    std::string lower = absl::AsciiStrToLower(name);
    size_t at = json.find(absl::StrCat("\"", name, "\", \"grpcAddress"));
    size_t end = json.find('}', at);
    json.replace(at, end - at,
                 absl::StrCat("\"", name, "\", \"grpcAddress\": \"", lower,
                              ":12100\", \"textAddress\": \"", lower,
                              ":12000\", \"grpcListenAddress\": \"0.0.0.0:12100\", "
                              "\"textListenAddress\": \"0.0.0.0:12000\""));
  }
  absl::StatusOr<HerdConfig> config = HerdConfig::Parse(json, "/base");
  ASSERT_TRUE(config.ok()) << config.status() << json;
  EXPECT_EQ(config->FindNode("Charlie")->grpc_address(), "charlie:12100");
  EXPECT_EQ(config->FindNode("Charlie")->grpc_listen_address(), "0.0.0.0:12100");
  EXPECT_EQ(config->FindNode("Charlie")->text_listen_address(), "0.0.0.0:12000");
  EXPECT_NE(ErrorOf(Replace(json, "0.0.0.0:12000", "0.0.0.0")).find("nodes[0].textListenAddress"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(json, "0.0.0.0:12100", "0.0.0.0:x")).find("nodes[0].grpcListenAddress"),
            std::string::npos);
}

TEST(HerdConfig, MissingFileIsAClearError) {
  absl::StatusOr<HerdConfig> config = HerdConfig::Load("/nonexistent/herd.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/nonexistent/herd.json"), absl::string_view::npos);
}

}  // namespace
}  // namespace herd
