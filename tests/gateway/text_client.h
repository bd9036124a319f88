#ifndef HERD_TESTS_GATEWAY_TEXT_CLIENT_H_
#define HERD_TESTS_GATEWAY_TEXT_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace herd::testing {

// A blocking TCP client for the text protocol where every read is bounded in time, so a test
// fails instead of hanging when the gateway misbehaves.
class TextClient {
 public:
  // Connects to "127.0.0.1:port"; fails after `timeout`.
  static absl::StatusOr<TextClient> Connect(const std::string& address,
                                            absl::Duration timeout = absl::Seconds(5));
  TextClient(TextClient&& other) noexcept;
  TextClient& operator=(TextClient&& other) noexcept;
  ~TextClient();

  // Writes all of `bytes` (bounded by `timeout`).
  absl::Status Send(absl::string_view bytes, absl::Duration timeout = absl::Seconds(10));
  // shutdown(SHUT_WR): the half-close legacy clients do.
  void ShutdownWrite();
  // Reads until the received bytes contain `count` occurrences of "\n" past what was already
  // returned, and returns exactly those bytes up to and including the count-th newline.
  absl::StatusOr<std::string> ReadLines(int count, absl::Duration timeout = absl::Seconds(10));
  // Reads until `suffix` ends what has been received (for multi-line WHATSAT replies).
  absl::StatusOr<std::string> ReadUntil(absl::string_view terminator,
                                        absl::Duration timeout = absl::Seconds(10));
  // Reads everything until the peer closes; error if it does not within `timeout`.
  absl::StatusOr<std::string> ReadToEof(absl::Duration timeout = absl::Seconds(10));
  // Whatever arrives within `wait` (for "nothing more was sent" checks).
  std::string ReadAvailable(absl::Duration wait);

  int fd() const { return fd_; }

 private:
  explicit TextClient(int fd) : fd_(fd) {}
  // Appends what arrives within the deadline; false on EOF (sets eof_) or timeout.
  bool Fill(absl::Time deadline);

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// One request, one reply: sends `line` + "\n" on a fresh connection and reads `lines` lines.
absl::StatusOr<std::string> Exchange(const std::string& address, const std::string& line,
                                     int lines = 1);

}  // namespace herd::testing

#endif  // HERD_TESTS_GATEWAY_TEXT_CLIENT_H_
