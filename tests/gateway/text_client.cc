#include "tests/gateway/text_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace herd::testing {
namespace {

int RemainingMs(absl::Time deadline) {
  return static_cast<int>(
      std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()) + 1));
}

}  // namespace

absl::StatusOr<TextClient> TextClient::Connect(const std::string& address, absl::Duration timeout) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad address ", address));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return TextClient(fd);
    }
    int error = errno;
    close(fd);
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat("connect ", address, ": ", std::strerror(error)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TextClient::TextClient(TextClient&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)), eof_(other.eof_) {
  other.fd_ = -1;
}

TextClient& TextClient::operator=(TextClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    eof_ = other.eof_;
    other.fd_ = -1;
  }
  return *this;
}

TextClient::~TextClient() {
  if (fd_ >= 0) close(fd_);
}

absl::Status TextClient::Send(absl::string_view bytes, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    if (poll(&p, 1, RemainingMs(deadline)) <= 0) {
      return absl::DeadlineExceededError("send timed out");
    }
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

void TextClient::ShutdownWrite() { shutdown(fd_, SHUT_WR); }

bool TextClient::Fill(absl::Time deadline) {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, RemainingMs(deadline)) <= 0) return false;
  char chunk[65536];
  ssize_t n = recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return true;
    eof_ = true;  // reset counts as the end
    return false;
  }
  if (n == 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return true;
}

absl::StatusOr<std::string> TextClient::ReadLines(int count, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    size_t end = 0;
    int found = 0;
    while (found < count) {
      size_t newline = buffer_.find('\n', end);
      if (newline == std::string::npos) break;
      end = newline + 1;
      ++found;
    }
    if (found == count) {
      std::string result = buffer_.substr(0, end);
      buffer_.erase(0, end);
      return result;
    }
    if (absl::Now() >= deadline || (!Fill(deadline) && (eof_ || absl::Now() >= deadline))) {
      return absl::DeadlineExceededError(
          absl::StrCat("got ", found, " of ", count, " lines; eof=", eof_,
                       "; received so far: ", buffer_.substr(0, 2000)));
    }
  }
}

absl::StatusOr<std::string> TextClient::ReadUntil(absl::string_view terminator,
                                                  absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    size_t at = buffer_.find(terminator.data(), 0, terminator.size());
    if (at != std::string::npos) {
      std::string result = buffer_.substr(0, at + terminator.size());
      buffer_.erase(0, at + terminator.size());
      return result;
    }
    if (absl::Now() >= deadline || (!Fill(deadline) && (eof_ || absl::Now() >= deadline))) {
      return absl::DeadlineExceededError(
          absl::StrCat("no terminator; eof=", eof_, "; received: ", buffer_.substr(0, 2000)));
    }
  }
}

absl::StatusOr<std::string> TextClient::ReadToEof(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!eof_) {
    if (!Fill(deadline) && !eof_) {
      return absl::DeadlineExceededError(
          absl::StrCat("no EOF; received: ", buffer_.substr(0, 2000)));
    }
  }
  std::string result;
  result.swap(buffer_);
  return result;
}

std::string TextClient::ReadAvailable(absl::Duration wait) {
  absl::Time deadline = absl::Now() + wait;
  while (absl::Now() < deadline && Fill(deadline)) {
  }
  std::string result;
  result.swap(buffer_);
  return result;
}

absl::StatusOr<std::string> Exchange(const std::string& address, const std::string& line,
                                     int lines) {
  absl::StatusOr<TextClient> client = TextClient::Connect(address);
  if (!client.ok()) return client.status();
  if (absl::Status s = client->Send(line + "\n"); !s.ok()) return s;
  return client->ReadLines(lines);
}

}  // namespace herd::testing
