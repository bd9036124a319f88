#include "services/core/transport_security.h"

#include <gtest/gtest.h>

#include "tests/support/process.h"

namespace herd {
namespace {

TEST(TransportSecurity, LoopbackAddresses) {
  for (const char* address :
       {"127.0.0.1:1", "127.3.2.1:8", "[::1]:5", "localhost:80", "[::ffff:127.0.0.1]:9"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
  for (const char* address : {"0.0.0.0:1", "[::]:1", "10.0.0.2:5", "goloman:12100", ":12100",
                              "128.0.0.1:1", "localhost.example.com:1", "[::ffff:10.1.1.1]:2"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

TEST(TransportSecurity, UnreadableOrNonPemFilesAreNamed) {
  testing::TempDir dir;
  absl::StatusOr<TransportSecurity> missing =
      TransportSecurity::Tls(dir.path() + "/ca.pem", "", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.path() + "/ca.pem"), absl::string_view::npos);
  testing::WriteFile(dir.path() + "/ca.pem", "not a certificate");
  absl::StatusOr<TransportSecurity> garbage =
      TransportSecurity::Tls(dir.path() + "/ca.pem", "", "");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("is not PEM"), absl::string_view::npos);
  EXPECT_FALSE(TransportSecurity::Insecure().tls());
}

}  // namespace
}  // namespace herd
