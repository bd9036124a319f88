#ifndef HERD_SERVICES_CORE_LOG_OPTIONS_H_
#define HERD_SERVICES_CORE_LOG_OPTIONS_H_

#include "absl/status/status.h"
#include "herd/v1/config.pb.h"
#include "services/core/async_log.h"

namespace herd {

// Checks the config's "log" object; errors name the field ("log.maxFiles: ...").
absl::Status ValidateLogConfig(const v1::LogConfig& log);

// AsyncLog options for a process of the herd, with the defaults filled in.
AsyncLog::Options LogOptionsFrom(const v1::LogConfig& log);

// "stamp lines ALL" / "stamp lines SAMPLED 1/100" / "stamp lines NONE", for the start line.
std::string DescribeStampLines(const AsyncLog::Options& options);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_LOG_OPTIONS_H_
