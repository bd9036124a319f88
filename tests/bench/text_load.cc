#include "tests/bench/text_load.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace herd::bench {

void ConnectionResult::AddCountsOf(const ConnectionResult& other) {
  sent += other.sent;
  ok += other.ok;
  bad += other.bad;
  places += other.places;
  broken += other.broken;
}

int ConnectTcp(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  int port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &port) ||
      inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return -1;
  }
  addr.sin_port = htons(port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

absl::Time PacedDue(absl::Time start, uint64_t made, int index, int connections, double rate) {
  const double slot = static_cast<double>(made) * connections + index;
  return start + absl::Seconds(slot / rate);
}

namespace {

// A connection with no reply for this long while requests are in flight counts as broken.
constexpr absl::Duration kReplyTimeout = absl::Seconds(10);
// After a refused connect, a fresh slot waits this long before it tries again.
constexpr absl::Duration kRetryAfterRefusal = absl::Milliseconds(1);

// One connection, or with fresh connections one slot that opens them one after another.
struct Conn {
  int index = 0;
  int fd = -1;
  bool want_write = false;  // EPOLLOUT armed: part of `out` waits for room
  std::optional<ReplyCounter> counter;
  std::string out;
  size_t out_offset = 0;
  uint64_t in_flight = 0;
  uint64_t made = 0;  // requests made, for the pacing
  bool sending = true;
  bool done = false;
  absl::Time wait_until = absl::InfinitePast();  // paced, or retrying a refused connect
  absl::Time last_progress;
  ConnectionResult* result = nullptr;
  const NextRequest* next = nullptr;
};

class LoadLoop {
 public:
  LoadLoop(const TextLoad& load, std::vector<NextRequest> sources)
      : load_(load), sources_(std::move(sources)), epoll_(epoll_create1(EPOLL_CLOEXEC)) {}
  ~LoadLoop() {
    for (Conn& conn : conns_) Close(conn);
    if (epoll_ >= 0) close(epoll_);
  }

  PhaseResult Run() {
    PhaseResult phase;
    phase.connections.resize(load_.connections);
    conns_.resize(load_.connections);
    start_ = absl::Now();
    active_ = load_.connections;
    for (int i = 0; i < load_.connections; ++i) {
      Conn& conn = conns_[i];
      conn.index = i;
      conn.result = &phase.connections[i];
      conn.next = &sources_[i];
      conn.last_progress = start_;
      if (load_.fresh) {
        NextFresh(conn);
      } else if (Open(conn)) {
        Fill(conn);
      } else {
        ++conn.result->broken;
        Finish(conn);
      }
    }
    epoll_event events[256];
    while (active_ > 0) {
      int n = epoll_wait(epoll_, events, 256, TimeoutMillis());
      for (int e = 0; e < n; ++e) {
        Conn& conn = conns_[events[e].data.u32];
        if (conn.fd < 0) continue;
        if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) OnReadable(conn);
        if (conn.fd >= 0 && (events[e].events & EPOLLOUT)) Flush(conn);
      }
      Tick();
    }
    phase.seconds = absl::ToDoubleSeconds(absl::Now() - start_);
    for (const ConnectionResult& r : phase.connections) phase.total.AddCountsOf(r);
    return phase;
  }

 private:
  bool Open(Conn& conn) {
    conn.fd = ConnectTcp(load_.address);
    if (conn.fd < 0) return false;
    fcntl(conn.fd, F_SETFL, fcntl(conn.fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(conn.index);
    epoll_ctl(epoll_, EPOLL_CTL_ADD, conn.fd, &event);
    conn.want_write = false;
    conn.counter.emplace(load_.shape);
    conn.in_flight = 0;
    conn.out.clear();
    conn.out_offset = 0;
    conn.last_progress = absl::Now();
    return true;
  }

  // Closes the socket and adds its replies to the connection's counts.
  void Close(Conn& conn) {
    if (conn.fd < 0) return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, conn.fd, nullptr);
    close(conn.fd);
    conn.fd = -1;
    if (conn.counter.has_value()) {
      conn.result->ok += conn.counter->ok();
      conn.result->bad += conn.counter->bad();
      conn.result->places += conn.counter->places();
      conn.counter.reset();
    }
  }

  void Finish(Conn& conn) {
    Close(conn);
    if (!conn.done) {
      conn.done = true;
      --active_;
    }
  }

  void Broken(Conn& conn) {
    ++conn.result->broken;
    if (load_.fresh) {
      Close(conn);
      NextFresh(conn);
    } else {
      Finish(conn);
    }
  }

  // Whether the connection's next request may be made now; false if it is not due yet (then
  // `wait_until` says when) or no more may be made.
  bool MayMake(Conn& conn, absl::Time now) {
    if (!conn.sending) return false;
    if (now >= load_.deadline) {
      conn.sending = false;
      return false;
    }
    if (load_.rate > 0) {
      const absl::Time due = PacedDue(start_, conn.made, conn.index, load_.connections, load_.rate);
      if (due >= load_.deadline) {
        conn.sending = false;
        return false;
      }
      if (now < due) {
        conn.wait_until = due;
        return false;
      }
    }
    return true;
  }

  // Makes requests (a pipelined connection) until the window is full, then writes them.
  void Fill(Conn& conn) {
    const absl::Time now = absl::Now();
    while (conn.in_flight < static_cast<uint64_t>(load_.window) && MayMake(conn, now)) {
      if (!(*conn.next)(&conn.out, conn.result)) {
        conn.sending = false;
        break;
      }
      ++conn.made;
      ++conn.result->sent;
      ++conn.in_flight;
    }
    if (!conn.sending && conn.in_flight == 0) {
      Finish(conn);
      return;
    }
    Flush(conn);
  }

  // A fresh slot: opens the next connection with one request, or finishes.
  void NextFresh(Conn& conn) {
    const absl::Time now = absl::Now();
    if (now < conn.wait_until) return;
    if (!MayMake(conn, now)) {
      if (!conn.sending) Finish(conn);
      return;
    }
    std::string line;
    if (!(*conn.next)(&line, conn.result)) {
      Finish(conn);
      return;
    }
    ++conn.made;
    ++conn.result->sent;
    if (!Open(conn)) {
      ++conn.result->broken;
      conn.wait_until = now + kRetryAfterRefusal;  // a refused connect must not spin
      return;
    }
    conn.out = std::move(line);
    conn.in_flight = 1;
    Flush(conn);
  }

  void Flush(Conn& conn) {
    while (conn.out_offset < conn.out.size()) {
      ssize_t w = send(conn.fd, conn.out.data() + conn.out_offset,
                       conn.out.size() - conn.out_offset, MSG_NOSIGNAL);
      if (w > 0) {
        conn.out_offset += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        SetWantWrite(conn, true);
        return;
      }
      if (w < 0 && errno == EINTR) continue;
      Broken(conn);
      return;
    }
    conn.out.clear();
    conn.out_offset = 0;
    SetWantWrite(conn, false);
  }

  void SetWantWrite(Conn& conn, bool want) {
    if (conn.want_write == want) return;
    conn.want_write = want;
    epoll_event event{};
    event.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(conn.index);
    epoll_ctl(epoll_, EPOLL_CTL_MOD, conn.fd, &event);
  }

  void OnReadable(Conn& conn) {
    char buffer[1 << 16];
    for (;;) {
      ssize_t r = read(conn.fd, buffer, sizeof(buffer));
      if (r > 0) {
        conn.last_progress = absl::Now();
        const int replies = conn.counter->Feed(absl::string_view(buffer, r));
        conn.in_flight -= std::min<uint64_t>(conn.in_flight, replies);
        if (load_.fresh && replies > 0) {
          Close(conn);
          NextFresh(conn);
          return;
        }
        // The socket is level-triggered: a read that did not fill the buffer leaves anything
        // that arrives later to the next epoll_wait, which saves a read that would only say
        // EAGAIN on every reply (the load generator shares the machine with the herd).
        if (static_cast<size_t>(r) < sizeof(buffer)) break;
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // End of stream or an error with replies still due (or any, for a fresh connection).
      if (conn.in_flight > 0 || load_.fresh) {
        Broken(conn);
      } else {
        Finish(conn);
      }
      return;
    }
    if (!load_.fresh) Fill(conn);
  }

  // Timers: paced requests that fell due, the deadline, and connections that stopped answering.
  void Tick() {
    const absl::Time now = absl::Now();
    for (Conn& conn : conns_) {
      if (conn.done) continue;
      if (conn.fd >= 0 && conn.in_flight > 0 && now - conn.last_progress > kReplyTimeout) {
        Broken(conn);
        continue;
      }
      if (load_.fresh) {
        if (conn.fd < 0) NextFresh(conn);
      } else if (conn.fd >= 0 && conn.in_flight < static_cast<uint64_t>(load_.window)) {
        Fill(conn);
      }
    }
  }

  // Until the earliest paced request or retry, the deadline, or a reply timeout check.
  int TimeoutMillis() const {
    const absl::Time now = absl::Now();
    absl::Time wake = now + absl::Milliseconds(100);
    if (load_.deadline > now) wake = std::min(wake, load_.deadline);
    for (const Conn& conn : conns_) {
      if (!conn.done && conn.sending && conn.wait_until > now) {
        wake = std::min(wake, conn.wait_until);
      }
    }
    const absl::Duration left = wake - now;
    if (left <= absl::ZeroDuration()) return 0;
    return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
  }

  const TextLoad load_;
  const std::vector<NextRequest> sources_;
  const int epoll_;
  std::vector<Conn> conns_;
  absl::Time start_;
  int active_ = 0;
};

}  // namespace

PhaseResult RunTextLoad(const TextLoad& load, std::vector<NextRequest> sources) {
  return LoadLoop(load, std::move(sources)).Run();
}

}  // namespace herd::bench
