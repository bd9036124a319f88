#include "services/core/log_options.h"

#include "absl/strings/str_cat.h"

namespace herd {
namespace {

constexpr uint64_t kMinFileBytes = 1024;
constexpr uint32_t kMaxFiles = 100;

}  // namespace

absl::Status ValidateLogConfig(const v1::LogConfig& log) {
  if (log.max_file_bytes() != 0 && log.max_file_bytes() < kMinFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("log.maxFileBytes: at least ", kMinFileBytes, ", got ", log.max_file_bytes()));
  }
  if (log.max_files() > kMaxFiles) {
    return absl::InvalidArgumentError(
        absl::StrCat("log.maxFiles: at most ", kMaxFiles, ", got ", log.max_files()));
  }
  if (log.stamp_sample_every() != 0 && log.stamp_lines() != v1::LogConfig::SAMPLED) {
    return absl::InvalidArgumentError(
        "log.stampSampleEvery: only meaningful with \"stampLines\": \"SAMPLED\"");
  }
  return absl::OkStatus();
}

AsyncLog::Options LogOptionsFrom(const v1::LogConfig& log) {
  AsyncLog::Options options;
  if (log.max_file_bytes() > 0) options.max_file_bytes = log.max_file_bytes();
  if (log.max_files() > 0) options.max_files = static_cast<int>(log.max_files());
  switch (log.stamp_lines()) {
    case v1::LogConfig::SAMPLED:
      options.stamp_lines = AsyncLog::StampLines::kSampled;
      break;
    case v1::LogConfig::NONE:
      options.stamp_lines = AsyncLog::StampLines::kNone;
      break;
    default:
      options.stamp_lines = AsyncLog::StampLines::kAll;
      break;
  }
  if (log.stamp_sample_every() > 0) options.stamp_sample_every = log.stamp_sample_every();
  return options;
}

std::string DescribeStampLines(const AsyncLog::Options& options) {
  switch (options.stamp_lines) {
    case AsyncLog::StampLines::kSampled:
      return absl::StrCat("stamp lines SAMPLED 1/", options.stamp_sample_every);
    case AsyncLog::StampLines::kNone:
      return "stamp lines NONE";
    default:
      return "stamp lines ALL";
  }
}

}  // namespace herd
