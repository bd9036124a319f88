#include "tests/places/fake_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace herd::places::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 1 << 20;

int BindLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) std::abort();
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = BindLoopback(&port_);
  if (::listen(listen_fd_, 64) != 0 || ::pipe2(wake_pipe_, O_CLOEXEC) != 0) std::abort();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_.Notify();
  const char byte = 0;
  (void)!::write(wake_pipe_[1], &byte, 1);
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // unblocks their recv()
    threads.swap(connection_threads_);
  }
  for (std::thread& t : threads) t.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

std::string FakeHttpServer::base_url() const { return absl::StrCat("http://127.0.0.1:", port_); }

void FakeHttpServer::set_handler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = std::move(handler);
}

FakeHttpServer::Handler FakeHttpServer::handler() const {
  absl::MutexLock lock(&mu_);
  return handler_;
}

int FakeHttpServer::connections_accepted() const {
  absl::MutexLock lock(&mu_);
  return connections_;
}

std::vector<SeenRequest> FakeHttpServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void FakeHttpServer::AcceptLoop() {
  while (!stopping_.HasBeenNotified()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, 1000) <= 0) continue;
    if (fds[1].revents != 0) break;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    absl::MutexLock lock(&mu_);
    const int connection = ++connections_;
    open_fds_.push_back(fd);
    connection_threads_.emplace_back([this, fd, connection] { Serve(fd, connection); });
  }
}

void FakeHttpServer::Serve(int fd, int connection) {
  std::string buffer;
  char chunk[16384];
  auto fill = [&]() {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  };
  bool keep_alive = true;
  while (keep_alive && !stopping_.HasBeenNotified()) {
    size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeaderBytes || !fill()) goto done;
    }
    {
      SeenRequest request;
      request.connection = connection;
      std::vector<absl::string_view> lines =
          absl::StrSplit(absl::string_view(buffer).substr(0, header_end), "\r\n");
      std::vector<absl::string_view> start = absl::StrSplit(lines[0], ' ');
      if (start.size() != 3) goto done;
      request.method = std::string(start[0]);
      request.target = std::string(start[1]);
      size_t content_length = 0;
      for (size_t i = 1; i < lines.size(); ++i) {
        const size_t colon = lines[i].find(':');
        if (colon == absl::string_view::npos) continue;
        std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
        std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
        if (name == "content-length" &&
            (!absl::SimpleAtoi(value, &content_length) || content_length > kMaxBodyBytes)) {
          goto done;
        }
        if (name == "connection" && absl::AsciiStrToLower(value) == "close") keep_alive = false;
        request.headers[name] = value;
      }
      buffer.erase(0, header_end + 4);
      while (buffer.size() < content_length) {
        if (!fill()) goto done;
      }
      request.body = buffer.substr(0, content_length);
      buffer.erase(0, content_length);
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(request);
      }
      const CannedResponse response = handler()(request);
      if (response.delay > absl::ZeroDuration() &&
          stopping_.WaitForNotificationWithTimeout(response.delay)) {
        goto done;
      }
      std::string message = absl::StrCat("HTTP/1.1 ", response.status, " ", Reason(response.status),
                                         "\r\nContent-Type: ", response.content_type);
      if (response.chunked) {
        message.append("\r\nTransfer-Encoding: chunked");
      } else {
        absl::StrAppend(&message, "\r\nContent-Length: ", response.body.size());
      }
      message.append(keep_alive ? "\r\nConnection: keep-alive\r\n\r\n"
                                : "\r\nConnection: close\r\n\r\n");
      if (response.chunked) {
        constexpr size_t kChunk = 4096;
        for (size_t at = 0; at < response.body.size(); at += kChunk) {
          const std::string chunk = response.body.substr(at, kChunk);
          absl::StrAppend(&message, absl::Hex(chunk.size()), "\r\n", chunk, "\r\n");
        }
        message.append("0\r\n\r\n");
      } else {
        message.append(response.body);
      }
      if (!SendAll(fd, message)) goto done;
    }
  }
done : {
  absl::MutexLock lock(&mu_);
  for (auto it = open_fds_.begin(); it != open_fds_.end(); ++it) {
    if (*it == fd) {
      open_fds_.erase(it);
      break;
    }
  }
}
  ::close(fd);
}

int ClosedLoopbackPort() {
  int port = 0;
  const int fd = BindLoopback(&port);
  ::close(fd);
  return port;
}

}  // namespace herd::places::testing
