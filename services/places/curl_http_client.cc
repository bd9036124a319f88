#include "services/places/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace herd::places {

struct CurlHttpClient::Transfer {
  HttpRequest request;
  HttpCallback done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  size_t max_body_bytes = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {0};

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};

namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::Status TransportError(const HttpRequest& request, CURLcode code, const char* detail,
                            bool too_large, size_t limit) {
  const std::string cause =
      absl::StrCat(curl_easy_strerror(code),
                   detail[0] != '\0' ? absl::StrCat(" (", detail, ")") : std::string());
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(absl::StrCat(request.description, ": no answer within ",
                                                      absl::FormatDuration(request.timeout), ": ",
                                                      cause));
    case CURLE_FILESIZE_EXCEEDED:
      return absl::ResourceExhaustedError(
          absl::StrCat(request.description, ": answer larger than ", limit, " bytes"));
    case CURLE_WRITE_ERROR:
      if (too_large) {
        return absl::ResourceExhaustedError(
            absl::StrCat(request.description, ": answer larger than ", limit, " bytes"));
      }
      return absl::InternalError(absl::StrCat(request.description, ": ", cause));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(absl::StrCat(request.description, ": ", cause));
    default:
      // Refused, unresolvable, reset, TLS failures, empty replies: the service is not there.
      return absl::UnavailableError(absl::StrCat(request.description, ": ", cause));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Create(const Options& options) {
  GlobalInitOnce();
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_cached_connections);
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(options, multi));
}

CurlHttpClient::CurlHttpClient(const Options& options, void* multi)
    : options_(options), multi_(multi) {
  thread_ = std::thread([this] { Run(); });
}

CurlHttpClient::~CurlHttpClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
  thread_.join();
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void CurlHttpClient::Fetch(HttpRequest request, HttpCallback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {
    transfer->done(absl::CancelledError(
        absl::StrCat(transfer->request.description, ": HTTP client is shutting down")));
    return;
  }
  curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void CurlHttpClient::Start(std::unique_ptr<Transfer> t) {
  t->max_body_bytes = options_.max_body_bytes;
  t->easy = curl_easy_init();
  if (t->easy == nullptr) {
    t->done(absl::InternalError(absl::StrCat(t->request.description, ": curl_easy_init failed")));
    return;
  }
  CURL* e = t->easy;
  const long timeout_ms = std::max<long>(1, absl::ToInt64Milliseconds(t->request.timeout));
  curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from resolver timeouts in a server
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl can decode
  curl_easy_setopt(e, CURLOPT_USERAGENT, "herd-places/1");
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes));
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(
      e, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t count, void* user) -> size_t {
        auto* transfer = static_cast<Transfer*>(user);
        const size_t n = size * count;
        // MAXFILESIZE only trusts Content-Length; a chunked body is bounded here.
        if (transfer->body.size() + n > transfer->max_body_bytes) {
          transfer->too_large = true;
          return 0;  // makes curl abort with CURLE_WRITE_ERROR
        }
        transfer->body.append(data, n);
        return n;
      });
  t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
  for (const std::string& h : t->request.headers) {
    t->headers = curl_slist_append(t->headers, h.c_str());
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  if (t->request.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
  } else if (t->request.method != "GET") {
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->request.method.c_str());
  }
  const CURLMcode added = curl_multi_add_handle(static_cast<CURLM*>(multi_), e);
  if (added != CURLM_OK) {
    t->done(absl::InternalError(absl::StrCat(
        t->request.description, ": curl_multi_add_handle: ", curl_multi_strerror(added))));
    return;
  }
  active_.push_back(std::move(t));
}

void CurlHttpClient::Finish(void* easy, int curl_code) {
  curl_multi_remove_handle(static_cast<CURLM*>(multi_), easy);
  auto it = std::find_if(active_.begin(), active_.end(),
                         [easy](const std::unique_ptr<Transfer>& t) { return t->easy == easy; });
  if (it == active_.end()) return;
  std::unique_ptr<Transfer> t = std::move(*it);
  active_.erase(it);
  const auto code = static_cast<CURLcode>(curl_code);
  if (code != CURLE_OK) {
    t->done(TransportError(t->request, code, t->error, t->too_large, options_.max_body_bytes));
    return;
  }
  HttpResponse response;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(t->body);
  t->done(std::move(response));
}

void CurlHttpClient::Run() {
  CURLM* multi = static_cast<CURLM*>(multi_);
  while (true) {
    std::vector<std::unique_ptr<Transfer>> incoming;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      incoming.swap(queue_);
      stopping = stopping_;
    }
    if (stopping) {
      for (auto& t : incoming) {
        t->done(
            absl::CancelledError(absl::StrCat(t->request.description, ": HTTP client shut down")));
      }
      break;
    }
    for (auto& t : incoming) Start(std::move(t));

    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
    }
    // Sleeps until a socket is ready, curl's own next timeout, or Fetch()'s wakeup.
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  for (auto& t : active_) {
    curl_multi_remove_handle(multi, t->easy);
    t->done(absl::CancelledError(
        absl::StrCat(t->request.description, ": HTTP client shut down before the answer")));
  }
  active_.clear();
}

}  // namespace herd::places
