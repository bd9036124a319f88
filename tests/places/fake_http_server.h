#ifndef HERD_TESTS_PLACES_FAKE_HTTP_SERVER_H_
#define HERD_TESTS_PLACES_FAKE_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace herd::places::testing {

struct SeenRequest {
  std::string method;
  std::string target;                          // path and query, e.g. "/v1/places:searchNearby"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int connection = 0;  // 1-based number of the TCP connection that carried it
};

struct CannedResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=UTF-8";
  absl::Duration delay = absl::ZeroDuration();  // before the answer is written
  bool chunked = false;  // Transfer-Encoding: chunked instead of Content-Length
};

// A real HTTP/1.1 server on 127.0.0.1, port chosen by the kernel. Keep-alive aware: a
// connection carries requests until the client closes it (or sends Connection: close), so
// tests can count TCP connections. One thread accepts, one thread per connection answers
// through `handler`. The destructor stops everything, cutting delays short.
class FakeHttpServer {
 public:
  using Handler = std::function<CannedResponse(const SeenRequest&)>;

  explicit FakeHttpServer(Handler handler);
  ~FakeHttpServer();

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  void set_handler(Handler handler);
  int connections_accepted() const;
  std::vector<SeenRequest> requests() const;

 private:
  void AcceptLoop();
  void Serve(int fd, int connection);
  Handler handler() const;

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  absl::Notification stopping_;

  mutable absl::Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  int connections_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<SeenRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> connection_threads_ ABSL_GUARDED_BY(mu_);

  std::thread accept_thread_;
};

// A loopback port nothing listens on (bound, then closed): connecting to it is refused.
int ClosedLoopbackPort();

}  // namespace herd::places::testing

#endif  // HERD_TESTS_PLACES_FAKE_HTTP_SERVER_H_
