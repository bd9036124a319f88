#include "gateway/line_decoder.h"

#include <utility>

namespace herd::gateway {

LineDecoder::LineDecoder(size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

void LineDecoder::EmitTooLong(std::vector<DecodedLine>* out) {
  partial_.resize(max_line_bytes_);
  out->push_back(DecodedLine{std::move(partial_), /*too_long=*/true});
  partial_.clear();
  partial_.shrink_to_fit();
  failed_ = true;
}

void LineDecoder::Feed(absl::string_view bytes, std::vector<DecodedLine>* out) {
  while (!failed_ && !bytes.empty()) {
    size_t newline = bytes.find('\n');
    absl::string_view piece = bytes.substr(0, newline);
    // Buffer at most max_line_bytes + 1 bytes: the extra one may be the "\r" of a "\r\n".
    size_t room = max_line_bytes_ + 1 - partial_.size();
    if (piece.size() > room) {
      partial_.append(piece.data(), room);
      EmitTooLong(out);
      return;
    }
    partial_.append(piece.data(), piece.size());
    if (newline == absl::string_view::npos) {
      // A full buffer that does not end in "\r" can no longer become a valid line.
      if (partial_.size() > max_line_bytes_ && partial_.back() != '\r') EmitTooLong(out);
      return;
    }
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (partial_.size() > max_line_bytes_) {
      EmitTooLong(out);
      return;
    }
    out->push_back(DecodedLine{std::move(partial_), /*too_long=*/false});
    partial_.clear();
    bytes.remove_prefix(newline + 1);
  }
}

void LineDecoder::Finish(std::vector<DecodedLine>* out) {
  if (failed_ || partial_.empty()) return;
  if (partial_.size() > max_line_bytes_) {
    EmitTooLong(out);
    return;
  }
  // No terminator was received, so a trailing "\r" is part of the line as received.
  out->push_back(DecodedLine{std::move(partial_), /*too_long=*/false});
  partial_.clear();
}

}  // namespace herd::gateway
