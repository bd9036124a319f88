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

bool IsPlain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }

// Where the first byte at or after `from` that is not IsPlain is (line.size() if none). Sixteen
// bytes per step: the scan was most of a line's cost, and lines are nearly always all plain.
size_t NextToEscape(absl::string_view line, size_t from) {
  using Bytes = unsigned char __attribute__((vector_size(16)));
  size_t i = from;
  for (; i + sizeof(Bytes) <= line.size(); i += sizeof(Bytes)) {
    Bytes bytes;
    std::memcpy(&bytes, line.data() + i, sizeof(bytes));
    const auto needs_escape = (bytes < 0x20) | (bytes >= 0x7f) | (bytes == '\\');
    uint64_t halves[2];
    std::memcpy(halves, &needs_escape, sizeof(halves));
    if ((halves[0] | halves[1]) != 0) break;
  }
  while (i < line.size() && IsPlain(static_cast<unsigned char>(line[i]))) ++i;
  return i;
}

// Control characters, non-ASCII bytes and the backslash itself become \xHH, so one entry is
// always one printable line whatever bytes a client sent.
// Plain runs are copied whole: a line is written once per stamp on every node, and a byte at a
// time cost several times the copy.
void AppendEscaped(absl::string_view line, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run_start = 0;
  for (size_t i = NextToEscape(line, 0); i < line.size(); i = NextToEscape(line, i + 1)) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    out->append(line.data() + run_start, i - run_start);
    const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    out->append(escaped, 4);
    run_start = i + 1;
  }
  out->append(line.data() + run_start, line.size() - run_start);
}

}  // namespace

void AsyncLog::Write(absl::string_view line) {
  if (!options_.stamp_line_prefixes.empty() && IsStampLine({line})) {
    WriteStamp(line);
    return;
  }
  Append(line);
}

void AsyncLog::WriteStamp(absl::string_view line) {
  if (TakeStampLine()) Append(line);
}

bool AsyncLog::TakeStampLine() {
  switch (options_.stamp_lines) {
    case StampLines::kAll:
      return true;
    case StampLines::kNone:
      return false;
    case StampLines::kSampled:
      return stamp_lines_seen_.fetch_add(1, std::memory_order_relaxed) %
                 std::max<uint32_t>(options_.stamp_sample_every, 1) ==
             0;
  }
  return true;
}

bool AsyncLog::IsStampLine(std::initializer_list<absl::string_view> pieces) const {
  for (absl::string_view prefix : options_.stamp_line_prefixes) {
    // Matches `prefix` against the front of the pieces' concatenation.
    absl::string_view rest = prefix;
    for (absl::string_view piece : pieces) {
      if (rest.empty()) break;
      const size_t n = std::min(piece.size(), rest.size());
      if (piece.substr(0, n) != rest.substr(0, n)) break;
      rest.remove_prefix(n);
    }
    if (rest.empty()) return true;
  }
  return false;
}

template <typename AppendFn>
void AsyncLog::AppendPending(size_t bytes, uint64_t lines, AppendFn append) {
  bool wake_writer;
  {
    herd::MutexLock lock(&mu_);
    if (pending_.size() + bytes > options_.max_pending_bytes) {
      dropped_ += lines;
      return;
    }
    // The writer waits for HasWork, then (in its batch window) for HasUrgentWork: only the
    // lines that make one of them true wake it.
    const bool had_work = HasWork(), was_urgent = HasUrgentWork();
    append(&pending_);
    wake_writer = (!had_work && HasWork()) || (!was_urgent && HasUrgentWork());
  }
  if (wake_writer) work_.Signal();
}

void AsyncLog::Append(absl::string_view line) {
  char timestamp[40];
  const size_t timestamp_size = FormatTimestamp(absl::Now(), timestamp);
  // Straight into the shared buffer: no per-line allocation on the data path.
  AppendPending(timestamp_size + line.size() + 1, 1, [&](std::string* pending) {
    pending->append(timestamp, timestamp_size);
    AppendEscaped(line, pending);
    pending->push_back('\n');
  });
}

AsyncLog::Batch::Batch(AsyncLog* log) : log_(log) {}

void AsyncLog::Batch::Add(std::initializer_list<absl::string_view> pieces) {
  if (!log_->options_.stamp_line_prefixes.empty() && log_->IsStampLine(pieces)) {
    AddStamp(pieces);
    return;
  }
  AppendLine(pieces);
}

void AsyncLog::Batch::AddStamp(std::initializer_list<absl::string_view> pieces) {
  if (log_->TakeStampLine()) AppendLine(pieces);
}

void AsyncLog::Batch::AppendLine(std::initializer_list<absl::string_view> pieces) {
  // The clock is read for the first line: a batch that gets none costs nothing.
  if (timestamp_size_ == 0) timestamp_size_ = FormatTimestamp(absl::Now(), timestamp_);
  lines_.append(timestamp_, timestamp_size_);
  for (absl::string_view piece : pieces) AppendEscaped(piece, &lines_);
  lines_.push_back('\n');
  ++line_count_;
}

void AsyncLog::Batch::Commit() {
  if (line_count_ == 0) return;
  log_->AppendPending(lines_.size(), line_count_,
                      [this](std::string* pending) { pending->append(lines_); });
  lines_.clear();
  line_count_ = 0;
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
