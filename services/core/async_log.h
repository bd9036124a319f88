#ifndef HERD_SERVICES_CORE_ASYNC_LOG_H_
#define HERD_SERVICES_CORE_ASYNC_LOG_H_

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/core/mutex.h"

namespace herd {

// An append-only log file written by a background thread, so callers on the data path only
// format a line and append it to a buffer. Each line starts with an RFC 3339 UTC timestamp with
// microseconds. If the writer falls more than `max_pending_bytes` behind, new lines are dropped
// and counted (the count is logged when the writer catches up) instead of growing memory.
//
// The file rotates by size on the writer thread: when the next lines would take it past
// `max_file_bytes`, <path> becomes <path>.1 (<path>.1 becomes <path>.2, ...), keeping
// `max_files` files in all, so the log never takes more than about max_files * max_file_bytes
// (a file exceeds the limit only by holding a single longer line). Reopen() (SIGHUP) makes the
// writer reopen <path>, for logrotate-style tools that moved the file away.
//
// The writer gathers lines for up to `batch_window` after the first one arrives before it writes
// them (at once for Flush, Reopen, shutdown, or a buffer half full), so a steady trickle of lines
// wakes it about once per window instead of once per line: on a busy node each wake-up is a
// context switch on the data path's cores.
//
// Per-stamp lines (WriteStamp, or Write of a line starting with one of `stamp_line_prefixes`)
// follow `stamp_lines`: all written, one in `stamp_sample_every` written, or none.
class AsyncLog {
 public:
  enum class StampLines { kAll, kSampled, kNone };

  struct Options {
    size_t max_pending_bytes = 64 << 20;
    // 0: never rotate.
    uint64_t max_file_bytes = 64ull << 20;
    // Files kept, the current one included (at least 1).
    int max_files = 5;
    StampLines stamp_lines = StampLines::kAll;
    uint32_t stamp_sample_every = 100;
    // Lines passed to Write() that start with one of these are per-stamp lines too.
    std::vector<std::string> stamp_line_prefixes;
    // How long the writer lets lines gather after the first one (0: write each at once).
    absl::Duration batch_window = absl::Milliseconds(10);
  };

  static absl::StatusOr<std::unique_ptr<AsyncLog>> Open(const std::string& path,
                                                        const Options& options);
  static absl::StatusOr<std::unique_ptr<AsyncLog>> Open(const std::string& path,
                                                        size_t max_pending_bytes = 64 << 20);
  ~AsyncLog();  // flushes everything pending

  AsyncLog(const AsyncLog&) = delete;
  AsyncLog& operator=(const AsyncLog&) = delete;

  // Appends one line. Control characters, non-ASCII bytes and the backslash become \xHH.
  void Write(absl::string_view line);
  // Appends one per-stamp line, subject to Options::stamp_lines.
  void WriteStamp(absl::string_view line);

  // Lines gathered by one caller and handed to the log at once: one clock reading, one lock and
  // at most one wake-up of the writer for them all, and each line escaped straight from its
  // pieces into the batch, with no string of its own. A node logs a line or two per stamp, and
  // stamps come in batches. Every line carries the time of the batch's first line. If the
  // writer is too far behind, the batch's lines are dropped and counted, as Write() drops one.
  // Commit (or the destructor) hands the lines over; one thread at a time uses a batch.
  class Batch {
   public:
    explicit Batch(AsyncLog* log);
    ~Batch() { Commit(); }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    // The line Write(StrCat(pieces...)) would write (a per-stamp line by its prefix).
    void Add(std::initializer_list<absl::string_view> pieces);
    // The line WriteStamp(StrCat(pieces...)) would write.
    void AddStamp(std::initializer_list<absl::string_view> pieces);
    // Hands the lines added so far to the log.
    void Commit();

   private:
    void AppendLine(std::initializer_list<absl::string_view> pieces);

    AsyncLog* const log_;
    char timestamp_[40];
    size_t timestamp_size_ = 0;  // 0 until the first line
    std::string lines_;
    uint64_t line_count_ = 0;
  };

  // Blocks until everything written so far is on disk (for tests and shutdown).
  void Flush();
  // Writer cycles that wrote lines so far (for tests of the batching).
  uint64_t batches_written() const {
    herd::MutexLock lock(&mu_);
    return batches_written_;
  }

  // Asks the writer to close and reopen the file at its path (creating it if it was moved away).
  // Returns at once; safe to call from any thread, not from a signal handler.
  void Reopen();

  const std::string& path() const { return path_; }

 private:
  AsyncLog(std::FILE* file, std::string path, const Options& options);
  void Append(absl::string_view line);
  // Appends `bytes` of whole lines (`lines` of them) to pending_ through `append`, or drops them
  // if that would pass max_pending_bytes; wakes the writer if they make its condition true.
  template <typename AppendFn>
  void AppendPending(size_t bytes, uint64_t lines, AppendFn append);
  // Whether the line made of `pieces` starts with one of Options::stamp_line_prefixes.
  bool IsStampLine(std::initializer_list<absl::string_view> pieces) const;
  // Whether the next per-stamp line is written (Options::stamp_lines).
  bool TakeStampLine();
  void WriterLoop();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !pending_.empty() || HasUrgentWork();
  }
  // Work that does not wait out the batch window.
  bool HasUrgentWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || flush_requests_ > 0 || reopen_requested_ ||
           (!pending_.empty() && pending_.size() >= options_.max_pending_bytes / 2);
  }
  // Writer thread only: writes `data` (whole lines), rotating before a line that would not fit.
  void WriteToFile(absl::string_view data);
  void Rotate();
  void ReopenFile();

  const std::string path_;
  const Options options_;
  std::atomic<uint64_t> stamp_lines_seen_{0};
  // Writer thread only (and the constructor/destructor).
  std::FILE* file_;
  uint64_t file_bytes_ = 0;

  mutable herd::Mutex mu_;
  // The writer waits on it for work (HasWork, then HasUrgentWork in the batch window). Every
  // line used to evaluate the writer's condition in its Unlock (absl's Await); now a line
  // signals only when it makes the writer's condition true (see Append).
  absl::CondVar work_;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t written_seq_ ABSL_GUARDED_BY(mu_) = 0;  // batches handed to the writer
  uint64_t flushed_seq_ ABSL_GUARDED_BY(mu_) = 0;  // batches on disk
  uint64_t flush_requests_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t batches_written_ ABSL_GUARDED_BY(mu_) = 0;
  bool reopen_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread writer_;
};

}  // namespace herd

#endif  // HERD_SERVICES_CORE_ASYNC_LOG_H_
