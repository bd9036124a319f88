#include "services/core/async_log.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace herd {

absl::StatusOr<std::unique_ptr<AsyncLog>> AsyncLog::Open(const std::string& path,
                                                         size_t max_pending_bytes) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open log file ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AsyncLog>(new AsyncLog(file, max_pending_bytes));
}

AsyncLog::AsyncLog(std::FILE* file, size_t max_pending_bytes)
    : file_(file), max_pending_bytes_(max_pending_bytes), writer_([this] { WriterLoop(); }) {}

AsyncLog::~AsyncLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_.join();
  std::fclose(file_);
}

void AsyncLog::Write(absl::string_view line) {
  std::string entry =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", absl::Now(), absl::UTCTimeZone()),
                   absl::CHexEscape(line), "\n");
  absl::MutexLock lock(&mu_);
  if (pending_.size() + entry.size() > max_pending_bytes_) {
    ++dropped_;
    return;
  }
  pending_.append(entry);
}

void AsyncLog::Flush() {
  absl::MutexLock lock(&mu_);
  // One whole writer cycle that starts after this point covers everything written before it.
  const uint64_t target = written_seq_ + 1;
  ++flush_requests_;
  const std::pair<const AsyncLog*, uint64_t> wait_for(this, target);
  mu_.Await(absl::Condition(
      +[](const std::pair<const AsyncLog*, uint64_t>* arg)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return arg->first->flushed_seq_ >= arg->second; },
      &wait_for));
}

void AsyncLog::WriterLoop() {
  std::string batch;
  for (;;) {
    uint64_t dropped = 0;
    bool stop;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(this, &AsyncLog::HasWork), absl::Milliseconds(200));
      flush_requests_ = 0;
      batch.swap(pending_);
      dropped = dropped_;
      dropped_ = 0;
      stop = stopping_ && batch.empty();
      ++written_seq_;
    }
    if (dropped > 0) {
      std::string note =
          absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", absl::Now(), absl::UTCTimeZone()),
                       "log: dropped ", dropped, " lines while the disk was behind\n");
      std::fwrite(note.data(), 1, note.size(), file_);
    }
    if (!batch.empty()) std::fwrite(batch.data(), 1, batch.size(), file_);
    std::fflush(file_);
    batch.clear();
    {
      absl::MutexLock lock(&mu_);
      flushed_seq_ = written_seq_;
    }
    if (stop) return;
  }
}

}  // namespace herd
