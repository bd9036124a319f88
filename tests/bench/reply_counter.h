#ifndef HERD_TESTS_BENCH_REPLY_COUNTER_H_
#define HERD_TESTS_BENCH_REPLY_COUNTER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace herd::bench {

// What a reply to one request looks like on the text protocol.
enum class ReplyShape {
  kIamat,    // one line: "AT ..." or "? ..."
  kWhatsat,  // "AT ..." then the places JSON and a blank line, or one "? ..." line
};

// Splits the bytes a gateway sends back into whole replies and counts them, however the bytes
// are chunked.
class ReplyCounter {
 public:
  explicit ReplyCounter(ReplyShape shape) : shape_(shape) {}

  // Consumes `bytes`; returns how many replies they completed.
  int Feed(absl::string_view bytes);

  uint64_t ok() const { return ok_; }    // replies that began with "AT "
  uint64_t bad() const { return bad_; }  // any other reply
  // Results ("place_id" members) in the JSON of every complete WHATSAT reply.
  uint64_t places() const { return places_; }

 private:
  const ReplyShape shape_;
  std::string pending_;   // bytes of an unfinished line
  bool in_body_ = false;  // between a WHATSAT's AT line and its blank line
  uint64_t body_places_ = 0;
  uint64_t ok_ = 0, bad_ = 0, places_ = 0;
};

}  // namespace herd::bench

#endif  // HERD_TESTS_BENCH_REPLY_COUNTER_H_
