#include "tests/bench/reply_counter.h"

namespace herd::bench {
namespace {

uint64_t CountOccurrences(absl::string_view text, absl::string_view needle) {
  uint64_t n = 0;
  for (size_t at = text.find(needle); at != absl::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace

int ReplyCounter::Feed(absl::string_view bytes) {
  pending_.append(bytes.data(), bytes.size());
  int completed = 0;
  size_t start = 0, newline;
  while ((newline = pending_.find('\n', start)) != std::string::npos) {
    absl::string_view line(pending_.data() + start, newline - start);
    start = newline + 1;
    if (in_body_) {
      if (line.empty()) {
        in_body_ = false;
        ++ok_;
        places_ += body_places_;
        ++completed;
      } else {
        body_places_ += CountOccurrences(line, "\"place_id\"");
      }
    } else if (line.substr(0, 3) == "AT ") {
      if (shape_ == ReplyShape::kWhatsat) {
        in_body_ = true;
        body_places_ = 0;
      } else {
        ++ok_;
        ++completed;
      }
    } else {
      ++bad_;
      ++completed;
    }
  }
  pending_.erase(0, start);
  return completed;
}

}  // namespace herd::bench
