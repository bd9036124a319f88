#include "services/core/async_log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

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
void AppendEscaped(absl::string_view line, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : line) {
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
      out->append(escaped, 4);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

}  // namespace

void AsyncLog::Write(absl::string_view line) {
  char timestamp[40];
  const size_t timestamp_size = FormatTimestamp(absl::Now(), timestamp);
  // Straight into the shared buffer: no per-line allocation on the data path.
  absl::MutexLock lock(&mu_);
  if (pending_.size() + timestamp_size + line.size() + 1 > max_pending_bytes_) {
    ++dropped_;
    return;
  }
  pending_.append(timestamp, timestamp_size);
  AppendEscaped(line, &pending_);
  pending_.push_back('\n');
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
