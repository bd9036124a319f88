// Who may speak for a node: real herd-node (and herd-gateway) processes over loopback, with
// certificates made by deploy/herd-certs for each test.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "herd/v1/peer_service.grpc.pb.h"
#include "services/core/exact_time.h"
#include "services/core/transport_security.h"
#include "tests/gateway/gateway_harness.h"
#include "tests/gateway/text_client.h"
#include "tests/support/test_herd.h"

namespace herd {
namespace {

using testing::Eventually;
using testing::ReadFile;
using testing::SetDeadline;
using testing::TestHerd;
using testing::Transport;

constexpr char kVictimTime[] = "1700000000.5";

// The stamp of the script: a real client moved to Paris "in 2096", said to come from
// Hands.
v1::LocationStamp PinningStamp() {
  v1::LocationStamp stamp;
  stamp.set_client_id("victim");
  stamp.set_location_text("+48.858370+002.294481");
  stamp.set_latitude(48.858370);
  stamp.set_longitude(2.294481);
  stamp.set_client_time_text("4000000000.000000000");
  stamp.mutable_client_time()->set_seconds(4000000000);
  stamp.set_origin("Hands");
  ToProto(Now(), stamp.mutable_received_at());
  return stamp;
}

// Opens PeerService.Link to `node` over `channel` with `x-herd-node: <claimed>`, says Hello as
// `claimed`, sends `stamps` and half-closes; returns how the node ends the stream.
grpc::Status LinkAndSend(const std::shared_ptr<grpc::Channel>& channel, const std::string& claimed,
                         const std::vector<v1::LocationStamp>& stamps) {
  auto stub = v1::PeerService::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(5));
  context.AddMetadata("x-herd-node", claimed);
  auto stream = stub->Link(&context);
  v1::PeerMessage hello;
  hello.mutable_hello()->set_node(claimed);
  if (stream->Write(hello)) {
    v1::PeerMessage batch;
    for (const v1::LocationStamp& stamp : stamps) *batch.mutable_stamps()->add_stamps() = stamp;
    if (stream->Write(batch)) stream->WritesDone();
  }
  v1::PeerMessage ignored;
  while (stream->Read(&ignored)) {
  }
  return stream->Finish();
}

// A channel to `node` of `herd` presenting `cert`/`key` (empty: none) and trusting `ca`.
std::shared_ptr<grpc::Channel> ChannelAs(TestHerd& herd, const std::string& node,
                                         const std::string& ca, const std::string& cert,
                                         const std::string& key) {
  absl::StatusOr<TransportSecurity> security = TransportSecurity::Tls(ca, cert, key);
  EXPECT_TRUE(security.ok()) << security.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a fresh connection (and handshake)
  return security->NodeChannel(herd.grpc_address(node), node, args);
}

bool Holds(TestHerd& herd, const std::string& node, const std::string& client,
           const std::string& time) {
  v1::GetLocationRequest request;
  request.set_client_id(client);
  v1::LocationStamp stamp;
  grpc::ClientContext context;
  SetDeadline(&context, absl::Seconds(2));
  return herd.client(node).GetLocation(&context, request, &stamp).ok() &&
         stamp.client_time_text() == time;
}

bool Report(TestHerd& herd, const std::string& node, const std::string& client,
            const std::string& time) {
  v1::ReportRequest request;
  request.set_client_id(client);
  request.set_location("+34.068930-118.445127");
  request.set_client_time(time);
  v1::ReportResponse response;
  grpc::ClientContext context;
  SetDeadline(&context);
  return herd.client(node).Report(&context, request, &response).ok();
}

// Reports the victim at Hands and waits until every node holds it; returns the digests.
std::map<std::string, uint64_t> SeedVictim(TestHerd& herd) {
  EXPECT_TRUE(herd.WaitUntilLinked());
  EXPECT_TRUE(Report(herd, "Hands", "victim", kVictimTime));
  std::map<std::string, uint64_t> digests;
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_TRUE(Eventually([&] { return Holds(herd, node, "victim", kVictimTime); })) << node;
  }
  EXPECT_TRUE(herd.WaitUntilConverged());
  for (const std::string& node : TestHerd::DefaultNames()) {
    digests[node] = herd.Status(node).store_digest();
  }
  return digests;
}

// Nothing changed anywhere: every node still holds the victim's real stamp and its old digest.
void ExpectUnchanged(TestHerd& herd, const std::map<std::string, uint64_t>& digests) {
  // Give a stamp that did get in the time to cross the herd (it takes milliseconds).
  absl::SleepFor(absl::Milliseconds(500));
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_TRUE(Holds(herd, node, "victim", kVictimTime)) << node;
    EXPECT_EQ(herd.Status(node).store_digest(), digests.at(node)) << node;
  }
}

// With TLS, nothing a caller writes in metadata or Hello counts: only a certificate from the
// herd's CA naming a configured peer opens a link.
TEST(MutualTls, TheImpersonationScriptIsRefusedAndChangesNothing) {
  TestHerd herd(TestHerd::DefaultNames(), TestHerd::DefaultLinks(), "", 0, Transport::kTls);
  herd.StartAll();
  std::map<std::string, uint64_t> digests = SeedVictim(herd);
  const std::string certs = herd.certs_dir();
  const std::string ca = certs + "/ca.pem";
  const std::vector<v1::LocationStamp> attack = {PinningStamp()};

  // The script: no certificate, "x-herd-node: Hands".
  grpc::Status anonymous = LinkAndSend(ChannelAs(herd, "Goloman", ca, "", ""), "Hands", attack);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(anonymous.error_message().find("no client certificate"), std::string::npos)
      << anonymous.error_message();

  // A genuine certificate of the herd, for Welsh, which is not Goloman's peer.
  grpc::Status welsh = LinkAndSend(
      ChannelAs(herd, "Goloman", ca, certs + "/node-Welsh.pem", certs + "/node-Welsh.key"), "Hands",
      attack);
  EXPECT_EQ(welsh.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(welsh.error_message().find("\"Welsh\" is not a configured peer of Goloman"),
            std::string::npos)
      << welsh.error_message();

  // The gateway's certificate names a gateway, not a node.
  grpc::Status gateway = LinkAndSend(ChannelAs(herd, "Goloman", ca, certs + "/gateway-gateway.pem",
                                               certs + "/gateway-gateway.key"),
                                     "Hands", attack);
  EXPECT_EQ(gateway.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(gateway.error_message().find("names no herd node"), std::string::npos)
      << gateway.error_message();

  // A certificate for Hands from another CA: the handshake fails.
  const std::string other = herd.dir() + "/other-ca";
  ASSERT_TRUE(testing::MakeCertificates(other, {{"Hands", herd.grpc_address("Hands"), ""}},
                                        {"--ca-name", "Someone else's CA"}));
  grpc::Status foreign = LinkAndSend(
      ChannelAs(herd, "Goloman", ca, other + "/node-Hands.pem", other + "/node-Hands.key"), "Hands",
      attack);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::UNAVAILABLE) << foreign.error_message();

  // An expired certificate for Hands from the herd's own CA: the handshake fails too.
  const std::string expired = herd.dir() + "/expired";
  std::filesystem::create_directories(expired);
  std::filesystem::copy_file(ca, expired + "/ca.pem");
  std::filesystem::copy_file(certs + "/ca.key", expired + "/ca.key");
  ASSERT_TRUE(testing::MakeCertificates(
      expired, {{"Hands", herd.grpc_address("Hands"), ""}},
      {"--valid-from", "20200101000000Z", "--valid-until", "20200201000000Z"}));
  grpc::Status stale = LinkAndSend(
      ChannelAs(herd, "Goloman", ca, expired + "/node-Hands.pem", expired + "/node-Hands.key"),
      "Hands", attack);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::UNAVAILABLE) << stale.error_message();

  ExpectUnchanged(herd, digests);
  for (const std::string& node : TestHerd::DefaultNames()) {
    EXPECT_EQ(herd.Status(node).dropped_peer_stamps(), 0u) << node;
  }
  // Refusals are logged by the node; failed handshakes are visible in its output.
  std::string log = ReadFile(herd.log_path("Goloman"));
  EXPECT_NE(log.find("link refused from ipv4:127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("no client certificate"), std::string::npos) << log;
  EXPECT_NE(log.find("\"Welsh\" is not a configured peer"), std::string::npos) << log;
  std::string output = ReadFile(herd.output_path("Goloman"));
  EXPECT_NE(output.find("certificate verify failed"), std::string::npos) << output;
  // The real links were never disturbed.
  EXPECT_TRUE(herd.WaitUntilLinked(absl::Seconds(2)));
}

// Without TLS a caller is whoever it says it is (the documented insecure mode, for loopback
// only); the stamp that would pin a client for good is still dropped by validation.
TEST(InsecureMode, AFarFutureStampFromAClaimedPeerIsDroppedCountedAndLogged) {
  TestHerd herd(TestHerd::DefaultNames(), TestHerd::DefaultLinks());
  herd.StartAll();
  std::map<std::string, uint64_t> digests = SeedVictim(herd);
  v1::LocationStamp forged_numbers = PinningStamp();
  forged_numbers.set_client_time_text("1700000001");
  forged_numbers.mutable_client_time()->set_seconds(1700000001);
  forged_numbers.set_latitude(0);  // not what the location text says
  v1::LocationStamp stranger = PinningStamp();
  stranger.set_client_time_text("1700000001");
  stranger.mutable_client_time()->set_seconds(1700000001);
  stranger.set_origin("Mallory");

  // The link is accepted (metadata is trusted here), but nothing it sends is stored. The real
  // Goloman-Hands link may replace this one at any moment: retry until Goloman read the batch.
  ASSERT_TRUE(Eventually(
      [&] {
        LinkAndSend(herd.channel("Goloman"), "Hands", {PinningStamp(), forged_numbers, stranger});
        return herd.Status("Goloman").dropped_peer_stamps() >= 3;
      },
      absl::Seconds(10)));
  ExpectUnchanged(herd, digests);
  std::string log = ReadFile(herd.log_path("Goloman"));
  EXPECT_NE(log.find("recv from Hands dropped invalid stamp: client_time: 4000000000.000000000 is "
                     "more than 86400 s ahead"),
            std::string::npos)
      << log;

  // What makes this mode insecure: a plausible stamp from a claimed peer is believed.
  v1::LocationStamp plausible = PinningStamp();
  plausible.set_client_id("planted");
  plausible.set_client_time_text("1700000002");
  plausible.mutable_client_time()->set_seconds(1700000002);
  ASSERT_TRUE(Eventually(
      [&] {
        LinkAndSend(herd.channel("Goloman"), "Hands", {plausible});
        return Holds(herd, "Welsh", "planted", "1700000002");
      },
      absl::Seconds(10)));
}

// A dialer checks that the node answering is the one it meant: a node presenting another node's
// certificate is not linked.
TEST(MutualTls, ANodeWithAnotherNodesCertificateIsNotLinked) {
  TestHerd herd({"A", "B", "C"}, {{"A", "B"}, {"B", "C"}}, "", 0, Transport::kTls);
  // B serves with C's certificate and key.
  for (const char* ext : {".pem", ".key"}) {
    std::filesystem::copy_file(herd.certs_dir() + "/node-C" + ext,
                               herd.certs_dir() + "/node-B" + ext,
                               std::filesystem::copy_options::overwrite_existing);
  }
  herd.StartAll();
  absl::SleepFor(absl::Seconds(2));
  // A dials B and finds a certificate naming C; B dials C as "C", and C refuses a caller that
  // is not its peer.
  EXPECT_EQ(herd.Status("A").linked_peers_size(), 0);
  EXPECT_EQ(herd.Status("C").linked_peers_size(), 0);
  std::string c_log = ReadFile(herd.log_path("C"));
  EXPECT_NE(c_log.find("\"C\" is not a configured peer of C"), std::string::npos) << c_log;
  std::string a_log = ReadFile(herd.log_path("A"));
  EXPECT_NE(a_log.find("Peer name B is not in peer certificate"), std::string::npos) << a_log;
}

// A gateway that trusts another CA cannot reach its node: its clients get '?' replies within the
// request timeout, not hangs.
TEST(MutualTls, AGatewayWithTheWrongCaAnswersQuestionMarks) {
  TestHerd herd({"Hands"}, {}, "", /*request_timeout_ms=*/1000, Transport::kTls);
  herd.Start("Hands");
  const std::string other = herd.dir() + "/other-ca";
  ASSERT_TRUE(testing::MakeCertificates(other, {}));
  testing::HerdSpec wrong = herd.spec();
  wrong.ca_file = other + "/ca.pem";
  const std::string wrong_config = herd.dir() + "/wrong-ca.json";
  testing::WriteFile(wrong_config, testing::HerdConfigJson(wrong));
  std::unique_ptr<testing::Process> gateway = testing::StartGateway(
      wrong_config, "", {herd.text_address("Hands")}, herd.dir() + "/gateway.out");
  ASSERT_NE(gateway, nullptr) << ReadFile(herd.dir() + "/gateway.out");
  for (const char* line :
       {"IAMAT kiwi +34.068930-118.445127 1520023934.918963997", "WHATSAT kiwi 10 1"}) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::string> reply = testing::Exchange(herd.text_address("Hands"), line);
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(*reply, absl::StrCat("? ", line, "\n"));
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  EXPECT_EQ(herd.Status("Hands").stamp_count(), 0u);

  // The same gateway with the right CA is served.
  gateway.reset();
  std::unique_ptr<testing::Process> good = testing::StartGateway(
      herd.config_path(), "", {herd.text_address("Hands")}, herd.dir() + "/good-gateway.out");
  ASSERT_NE(good, nullptr);
  absl::StatusOr<std::string> reply = testing::Exchange(
      herd.text_address("Hands"), "IAMAT kiwi +34.068930-118.445127 1520023934.918963997");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->rfind("AT Hands ", 0), 0u) << *reply;
}

// requireClientCertificates: a direct client without a certificate cannot even connect; the
// gateway (which has one) and the peers still work.
TEST(MutualTls, ClientCertificatesCanBeRequiredForTheClientApi) {
  TestHerd herd({"Hands", "Wilkes"}, {{"Hands", "Wilkes"}}, "", 1000, Transport::kTls,
                [](testing::HerdSpec& spec) { spec.require_client_certificates = true; });
  herd.StartAll();
  v1::GetStatusRequest request;
  v1::NodeStatus status;
  grpc::ClientContext anonymous;
  SetDeadline(&anonymous, absl::Seconds(2));
  EXPECT_FALSE(herd.client("Hands").GetStatus(&anonymous, request, &status).ok());

  const std::string certs = herd.certs_dir();
  auto with_cert = v1::LocationService::NewStub(ChannelAs(herd, "Wilkes", certs + "/ca.pem",
                                                          certs + "/gateway-gateway.pem",
                                                          certs + "/gateway-gateway.key"));
  EXPECT_TRUE(Eventually([&] {
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(1));
    return with_cert->GetStatus(&context, request, &status).ok() && status.linked_peers_size() == 1;
  }));

  std::unique_ptr<testing::Process> gateway = testing::StartGateway(
      herd.config_path(), "", {herd.text_address("Hands")}, herd.dir() + "/gateway.out");
  ASSERT_NE(gateway, nullptr);
  absl::StatusOr<std::string> reply = testing::Exchange(
      herd.text_address("Hands"), "IAMAT kiwi +34.068930-118.445127 1520023934.918963997");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->rfind("AT Hands ", 0), 0u) << *reply;
}

}  // namespace
}  // namespace herd
