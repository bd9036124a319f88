#include "services/core/async_log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace herd {

namespace {

uint64_t FileSize(std::FILE* file) {
  struct stat st;
  return fstat(fileno(file), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string NowForNote() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<AsyncLog>> AsyncLog::Open(const std::string& path,
                                                         const Options& options) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot open log file ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AsyncLog>(new AsyncLog(file, path, options));
}

absl::StatusOr<std::unique_ptr<AsyncLog>> AsyncLog::Open(const std::string& path,
                                                         size_t max_pending_bytes) {
  Options options;
  options.max_pending_bytes = max_pending_bytes;
  return Open(path, options);
}

AsyncLog::AsyncLog(std::FILE* file, std::string path, const Options& options)
    : path_(std::move(path)),
      options_(options),
      file_(file),
      file_bytes_(FileSize(file)),
      writer_([this] { WriterLoop(); }) {}

AsyncLog::~AsyncLog() {
  {
    herd::MutexLock lock(&mu_);
    stopping_ = true;
  }
  work_.Signal();
  writer_.join();
  if (file_ != nullptr) std::fclose(file_);
}

namespace {

// "2026-11-26T06:20:40.123456Z " for `now`. The date and time part only changes once a second,
// so each thread keeps the last one it formatted. Returns the length written into `out`.
size_t FormatTimestamp(absl::Time now, char (&out)[40]) {
  thread_local int64_t cached_second = -1;
  thread_local std::string cached_prefix;
  const int64_t micros = absl::ToUnixMicros(now);
  int64_t second = micros / 1000000;
  int64_t fraction = micros % 1000000;
  if (fraction < 0) {
    fraction += 1000000;
    --second;
  }
  if (second != cached_second) {
    cached_second = second;
    cached_prefix =
        absl::FormatTime("%Y-%m-%dT%H:%M:%S.", absl::FromUnixSeconds(second), absl::UTCTimeZone());
  }
  const size_t prefix = std::min(cached_prefix.size(), sizeof(out) - 8);
  std::memcpy(out, cached_prefix.data(), prefix);
  for (int i = 5; i >= 0; --i) {
    out[prefix + i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  out[prefix + 6] = 'Z';
  out[prefix + 7] = ' ';
  return prefix + 8;
}

// Control characters, non-ASCII bytes and the backslash itself become \xHH, so one entry is
// always one printable line whatever bytes a client sent.
// Plain runs are copied whole: a line is written once per stamp on every node, and a byte at a
// time cost several times the copy.
void AppendEscaped(absl::string_view line, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run_start = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') continue;
    out->append(line.data() + run_start, i - run_start);
    const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    out->append(escaped, 4);
    run_start = i + 1;
  }
  out->append(line.data() + run_start, line.size() - run_start);
}

}  // namespace

void AsyncLog::Write(absl::string_view line) {
  if (!options_.stamp_line_prefixes.empty() && IsStampLine(line)) {
    WriteStamp(line);
    return;
  }
  Append(line);
}

void AsyncLog::WriteStamp(absl::string_view line) {
  switch (options_.stamp_lines) {
    case StampLines::kAll:
      break;
    case StampLines::kNone:
      return;
    case StampLines::kSampled:
      if (stamp_lines_seen_.fetch_add(1, std::memory_order_relaxed) %
              std::max<uint32_t>(options_.stamp_sample_every, 1) !=
          0) {
        return;
      }
      break;
  }
  Append(line);
}

bool AsyncLog::IsStampLine(absl::string_view line) const {
  for (const std::string& prefix : options_.stamp_line_prefixes) {
    if (line.size() >= prefix.size() && line.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

void AsyncLog::Append(absl::string_view line) {
  char timestamp[40];
  const size_t timestamp_size = FormatTimestamp(absl::Now(), timestamp);
  // Straight into the shared buffer: no per-line allocation on the data path.
  bool wake_writer;
  {
    herd::MutexLock lock(&mu_);
    if (pending_.size() + timestamp_size + line.size() + 1 > options_.max_pending_bytes) {
      ++dropped_;
      return;
    }
    // The writer waits for HasWork, then (in its batch window) for HasUrgentWork: only the
    // line that makes one of them true wakes it.
    const bool had_work = HasWork(), was_urgent = HasUrgentWork();
    pending_.append(timestamp, timestamp_size);
    AppendEscaped(line, &pending_);
    pending_.push_back('\n');
    wake_writer = (!had_work && HasWork()) || (!was_urgent && HasUrgentWork());
  }
  if (wake_writer) work_.Signal();
}

void AsyncLog::Flush() {
  herd::MutexLock lock(&mu_);
  // One whole writer cycle that starts after this point covers everything written before it.
  const uint64_t target = written_seq_ + 1;
  ++flush_requests_;
  work_.Signal();
  const std::pair<const AsyncLog*, uint64_t> wait_for(this, target);
  mu_.Await(absl::Condition(
      +[](const std::pair<const AsyncLog*, uint64_t>* arg)
           ABSL_NO_THREAD_SAFETY_ANALYSIS { return arg->first->flushed_seq_ >= arg->second; },
      &wait_for));
}

void AsyncLog::Reopen() {
  {
    herd::MutexLock lock(&mu_);
    reopen_requested_ = true;
  }
  work_.Signal();
}

void AsyncLog::WriterLoop() {
  std::string batch;
  for (;;) {
    uint64_t dropped = 0;
    bool stop, reopen;
    {
      herd::MutexLock lock(&mu_);
      const absl::Time idle_until = absl::Now() + absl::Milliseconds(200);
      while (!HasWork() && !mu_.WaitWithDeadline(&work_, idle_until)) {
      }
      if (!pending_.empty() && options_.batch_window > absl::ZeroDuration()) {
        const absl::Time window_end = absl::Now() + options_.batch_window;
        while (!HasUrgentWork() && !mu_.WaitWithDeadline(&work_, window_end)) {
        }
      }
      flush_requests_ = 0;
      batch.swap(pending_);
      if (!batch.empty()) ++batches_written_;
      dropped = dropped_;
      dropped_ = 0;
      reopen = reopen_requested_;
      reopen_requested_ = false;
      stop = stopping_ && batch.empty();
      ++written_seq_;
    }
    if (reopen || file_ == nullptr) ReopenFile();
    if (reopen) WriteToFile(absl::StrCat(NowForNote(), "log: reopened ", path_, "\n"));
    if (dropped > 0) {
      WriteToFile(absl::StrCat(NowForNote(), "log: dropped ", dropped,
                               " lines while the disk was behind\n"));
    }
    if (!batch.empty()) WriteToFile(batch);
    if (file_ != nullptr) std::fflush(file_);
    batch.clear();
    {
      herd::MutexLock lock(&mu_);
      flushed_seq_ = written_seq_;
    }
    if (stop) return;
  }
}

void AsyncLog::WriteToFile(absl::string_view data) {
  const uint64_t limit = options_.max_file_bytes;
  while (!data.empty() && file_ != nullptr) {
    absl::string_view chunk = data;
    if (limit > 0 && file_bytes_ + data.size() > limit) {
      // The whole lines that still fit; at least one line when the file is empty.
      const uint64_t room = file_bytes_ < limit ? limit - file_bytes_ : 0;
      size_t cut = room == 0 ? absl::string_view::npos : data.rfind('\n', room - 1);
      if (cut == absl::string_view::npos) {
        if (file_bytes_ > 0) {
          Rotate();
          continue;
        }
        cut = data.find('\n');
      }
      chunk = data.substr(0, cut == absl::string_view::npos ? data.size() : cut + 1);
    }
    std::fwrite(chunk.data(), 1, chunk.size(), file_);
    file_bytes_ += chunk.size();
    data.remove_prefix(chunk.size());
  }
}

void AsyncLog::Rotate() {
  std::fclose(file_);
  file_ = nullptr;
  const int files = std::max(options_.max_files, 1);
  if (files == 1) {
    std::remove(path_.c_str());
  } else {
    for (int i = files - 1; i >= 1; --i) {
      std::string from = i == 1 ? path_ : absl::StrCat(path_, ".", i - 1);
      std::rename(from.c_str(), absl::StrCat(path_, ".", i).c_str());
    }
  }
  ReopenFile();
}

void AsyncLog::ReopenFile() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(path_.c_str(), "a");
  // Without a file, lines are lost until a later cycle manages to open it.
  file_bytes_ = file_ != nullptr ? FileSize(file_) : 0;
}

}  // namespace herd
