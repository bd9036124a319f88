// `herd-node --describe`: the summary deploy/herd reads a config through.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"

namespace herd {
namespace {

using testing::BinaryPath;
using testing::TempDir;

// Writes a one-node herd config with the given "storage" object (or none) and returns what
// --describe prints for it.
std::string Describe(const TempDir& dir, const std::string& storage) {
  std::string path = dir.path() + "/herd.json";
  testing::WriteFile(
      path, absl::StrCat(R"({"nodes": [{"name": "Goloman", "grpcAddress": "127.0.0.1:1", )",
                         R"("textAddress": "127.0.0.1:2"}], "links": [], "logDir": ")", dir.path(),
                         "/logs\"", storage.empty() ? "" : ", \"storage\": ", storage, "}"));
  const std::string output = dir.path() + "/describe.out";
  testing::Process node({BinaryPath("herd-node"), "--config", path, "--describe"}, output);
  const int status = node.Wait(absl::Seconds(30));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return testing::ReadFile(output);
}

TEST(Describe, SaysWhatAStoredStampSurvives) {
  TempDir dir;
  EXPECT_NE(Describe(dir, "").find("\nstorage memory\n"), std::string::npos);
  // A relative directory is resolved against the config's directory.
  EXPECT_NE(Describe(dir, R"({"dataDir": "data"})")
                .find(absl::StrCat("\nstorage os ", dir.path(), "/data\n")),
            std::string::npos);
  EXPECT_NE(Describe(dir, absl::StrCat(R"({"dataDir": ")", dir.path(), R"(/d", "fsync": true})"))
                .find(absl::StrCat("\nstorage fsync ", dir.path(), "/d\n")),
            std::string::npos);
}

}  // namespace
}  // namespace herd
