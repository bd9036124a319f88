#include "services/core/log_options.h"

#include <gtest/gtest.h>

#include "services/core/config.h"

namespace herd {
namespace {

absl::StatusOr<HerdConfig> WithLog(const std::string& log_json) {
  return HerdConfig::Parse(
      R"({"nodes": [{"name": "A", "grpcAddress": "127.0.0.1:1", "textAddress": "127.0.0.1:2"}],
          "logDir": "logs", "log": )" +
          log_json + "}",
      "/base");
}

TEST(LogOptions, DefaultsAre64MiBTimesFiveAndEveryStampLine) {
  absl::StatusOr<HerdConfig> config = WithLog("{}");
  ASSERT_TRUE(config.ok()) << config.status();
  AsyncLog::Options options = LogOptionsFrom(config->proto().log());
  EXPECT_EQ(options.max_file_bytes, 64u << 20);
  EXPECT_EQ(options.max_files, 5);
  EXPECT_EQ(options.stamp_lines, AsyncLog::StampLines::kAll);
  EXPECT_EQ(DescribeStampLines(options), "stamp lines ALL");
}

TEST(LogOptions, ReadsEveryField) {
  absl::StatusOr<HerdConfig> config = WithLog(
      R"({"maxFileBytes": 1048576, "maxFiles": 3, "stampLines": "SAMPLED",
          "stampSampleEvery": 1000})");
  ASSERT_TRUE(config.ok()) << config.status();
  AsyncLog::Options options = LogOptionsFrom(config->proto().log());
  EXPECT_EQ(options.max_file_bytes, 1048576u);
  EXPECT_EQ(options.max_files, 3);
  EXPECT_EQ(options.stamp_lines, AsyncLog::StampLines::kSampled);
  EXPECT_EQ(options.stamp_sample_every, 1000u);
  EXPECT_EQ(DescribeStampLines(options), "stamp lines SAMPLED 1/1000");

  config = WithLog(R"({"stampLines": "NONE"})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(LogOptionsFrom(config->proto().log()).stamp_lines, AsyncLog::StampLines::kNone);
}

TEST(LogOptions, BadValuesNameTheField) {
  auto error = [](const std::string& json) {
    absl::StatusOr<HerdConfig> config = WithLog(json);
    EXPECT_FALSE(config.ok()) << json;
    return config.ok() ? std::string() : std::string(config.status().message());
  };
  EXPECT_NE(error(R"({"maxFileBytes": 10})").find("log.maxFileBytes"), std::string::npos);
  EXPECT_NE(error(R"({"maxFiles": 1000})").find("log.maxFiles"), std::string::npos);
  EXPECT_NE(error(R"({"stampSampleEvery": 10})").find("log.stampSampleEvery"), std::string::npos);
  EXPECT_NE(error(R"({"stampLines": "SOME"})").find("not a valid herd config"), std::string::npos);
}

}  // namespace
}  // namespace herd
