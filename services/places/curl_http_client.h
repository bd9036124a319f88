#ifndef HERD_SERVICES_PLACES_CURL_HTTP_CLIENT_H_
#define HERD_SERVICES_PLACES_CURL_HTTP_CLIENT_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace herd::places {

struct HttpRequest {
  // Names the call in error messages, e.g. "Google Places Nearby Search". The URL is never
  // put in a message: it may carry an API key.
  std::string description = "HTTP request";
  std::string method = "GET";  // "GET" or "POST"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST
  absl::Duration timeout = absl::Seconds(5);
};

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

using HttpCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

// A non-blocking HTTP client: libcurl's multi interface driven by one background thread.
// Fetch() queues a request and returns at once; the callback runs on the client's thread
// (keep it short). Connections are kept in the multi handle's cache and reused across
// requests. Transport failures become absl errors: DEADLINE_EXCEEDED for a timeout,
// RESOURCE_EXHAUSTED for a body past the limit, UNAVAILABLE for connection failures.
// An HTTP error status is not a transport failure: the response carries it.
class CurlHttpClient {
 public:
  struct Options {
    size_t max_body_bytes = 4 << 20;  // a hostile server cannot grow memory past this
    long max_cached_connections = 16;
  };

  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> Create(const Options& options);
  // Completes every queued and in-flight request with CANCELLED, then joins the thread.
  ~CurlHttpClient();

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // `done` is called exactly once; with CANCELLED (inline) once shutdown has begun.
  void Fetch(HttpRequest request, HttpCallback done);

 private:
  struct Transfer;

  CurlHttpClient(const Options& options, void* multi);
  void Run();
  void Start(std::unique_ptr<Transfer> transfer);
  void Finish(void* easy, int curl_code);

  const Options options_;
  void* const multi_;  // CURLM*; touched only by the thread (curl_multi_wakeup excepted)

  absl::Mutex mu_;
  std::vector<std::unique_ptr<Transfer>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::vector<std::unique_ptr<Transfer>> active_;  // only the thread touches it
  std::thread thread_;
};

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_CURL_HTTP_CLIENT_H_
