#ifndef HERD_SERVICES_CORE_ASYNC_LOG_H_
#define HERD_SERVICES_CORE_ASYNC_LOG_H_

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace herd {

// An append-only log file written by a background thread, so callers on the data path only
// format a line and append it to a buffer. Each line starts with an RFC 3339 UTC timestamp with
// microseconds. If the writer falls more than `max_pending_bytes` behind, new lines are dropped
// and counted (the count is logged when the writer catches up) instead of growing memory.
class AsyncLog {
 public:
  static absl::StatusOr<std::unique_ptr<AsyncLog>> Open(const std::string& path,
                                                        size_t max_pending_bytes = 64 << 20);
  ~AsyncLog();  // flushes everything pending

  AsyncLog(const AsyncLog&) = delete;
  AsyncLog& operator=(const AsyncLog&) = delete;

  // Appends one line. Control characters, non-ASCII bytes and the backslash become \xHH.
  void Write(absl::string_view line);

  // Blocks until everything written so far is on disk (for tests and shutdown).
  void Flush();

 private:
  AsyncLog(std::FILE* file, size_t max_pending_bytes);
  void WriterLoop();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pending_.empty() || stopping_ || flush_requests_ > 0;
  }

  std::FILE* const file_;
  const size_t max_pending_bytes_;
  absl::Mutex mu_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_seq_ ABSL_GUARDED_BY(mu_) = 0;  // batches handed to the writer
  uint64_t flushed_seq_ ABSL_GUARDED_BY(mu_) = 0;  // batches on disk
  uint64_t flush_requests_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace herd

#endif  // HERD_SERVICES_CORE_ASYNC_LOG_H_
