#ifndef HERD_GATEWAY_LINE_DECODER_H_
#define HERD_GATEWAY_LINE_DECODER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace herd::gateway {

// One line cut from a byte stream, without its terminator ("\n" or "\r\n").
struct DecodedLine {
  std::string text;
  // The line was longer than the limit: `text` holds only its first `max_line_bytes` bytes, and
  // the decoder accepts no more input (the connection answers "?" and closes).
  bool too_long = false;

  friend bool operator==(const DecodedLine& a, const DecodedLine& b) {
    return a.text == b.text && a.too_long == b.too_long;
  }
};

// Pure byte stream -> lines splitter with a bounded line length. It knows nothing of sockets, so
// the same bytes give the same lines however the stream is cut into reads.
//  - "\n" ends a line; a "\r" right before it is part of the terminator and is dropped.
//  - Bytes are bytes: NUL, invalid UTF-8 and lone "\r" stay in the line.
//  - A line (without terminator) longer than `max_line_bytes` is reported as soon as that is
//    known, truncated to `max_line_bytes`, and ends the stream: memory stays bounded whatever a
//    client sends.
//  - At end of input, a final line without "\n" is still a line.
class LineDecoder {
 public:
  explicit LineDecoder(size_t max_line_bytes);

  // Consumes `bytes`, appending every completed line to `out`.
  void Feed(absl::string_view bytes, std::vector<DecodedLine>* out);
  // End of input: emits the unterminated final line, if any.
  void Finish(std::vector<DecodedLine>* out);

  // True after a too-long line; further input is ignored.
  bool failed() const { return failed_; }
  // Bytes buffered for the current, unfinished line.
  size_t buffered() const { return partial_.size(); }

 private:
  void EmitTooLong(std::vector<DecodedLine>* out);

  const size_t max_line_bytes_;
  std::string partial_;
  bool failed_ = false;
};

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_LINE_DECODER_H_
