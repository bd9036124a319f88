#ifndef HERD_TESTS_BENCH_TEXT_LOAD_H_
#define HERD_TESTS_BENCH_TEXT_LOAD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/bench/reply_counter.h"

namespace herd::bench {

// What one connection (or, with fresh connections, one connection slot) sent and got back.
struct ConnectionResult {
  uint64_t sent = 0, ok = 0, bad = 0, places = 0, broken = 0;
  std::string last_client;  // the last IAMAT's client and time, for the convergence check
  std::string last_time;

  // Adds another connection's counts (not its last client).
  void AddCountsOf(const ConnectionResult& other);
};

// Appends the next request line to `out` and returns true, or returns false when there is none.
using NextRequest = std::function<bool(std::string* out, ConnectionResult* result)>;

struct TextLoad {
  std::string address;  // host:port of a gateway's text protocol (IPv4)
  int connections = 8;
  // Requests in flight per connection (ignored with `fresh`).
  int window = 1;
  // Every request on a connection of its own: connect, one line, read the reply, close.
  bool fresh = false;
  // Requests per second in all, spread evenly over the connections; 0: as fast as replies come.
  double rate = 0;
  absl::Time deadline = absl::InfiniteFuture();
  ReplyShape shape = ReplyShape::kIamat;
};

struct PhaseResult {
  std::vector<ConnectionResult> connections;
  ConnectionResult total;
  double seconds = 0;
};

// When request `made` of connection `index` (both from 0) is due under a paced load of `rate`
// requests per second over `connections` connections: requests are spaced 1/rate apart across
// all connections, each connection taking every connections-th slot, so the herd sees a steady
// stream rather than every connection firing at the same instant.
absl::Time PacedDue(absl::Time start, uint64_t made, int index, int connections, double rate);

// A blocking TCP connection to "a.b.c.d:port" with TCP_NODELAY, or -1.
int ConnectTcp(const std::string& host_port);

// Drives `load.connections` connections from one thread with epoll, as redis-benchmark drives
// its clients, until `deadline` passes or every source is exhausted, then drains the replies in
// flight. `sources[i]` makes the requests of connection i. A connection that breaks, is refused
// or gets no reply within 10 s counts as broken and, with fresh connections, is replaced.
PhaseResult RunTextLoad(const TextLoad& load, std::vector<NextRequest> sources);

}  // namespace herd::bench

#endif  // HERD_TESTS_BENCH_TEXT_LOAD_H_
