#include "tests/metrics/scrape.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/gateway/text_client.h"
#include "tests/support/process.h"

namespace herd::testing {

absl::StatusOr<std::string> ScrapeMetrics(const std::string& address, absl::Duration timeout) {
  absl::StatusOr<TextClient> client = TextClient::Connect(address, timeout);
  if (!client.ok()) return client.status();
  if (absl::Status s = client->Send("GET /metrics HTTP/1.0\r\nHost: herd\r\n\r\n", timeout);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> response = client->ReadToEof(timeout);
  if (!response.ok()) return response.status();
  size_t body = response->find("\r\n\r\n");
  if (body == std::string::npos || response->rfind("HTTP/1.", 0) != 0) {
    return absl::DataLossError(
        absl::StrCat("not an HTTP response from ", address, ": ", response->substr(0, 200)));
  }
  std::string status_line = response->substr(0, response->find("\r\n"));
  if (status_line.find(" 200 ") == std::string::npos) {
    return absl::UnavailableError(absl::StrCat(address, " answered ", status_line));
  }
  return response->substr(body + 4);
}

Samples ParseSamples(const std::string& exposition) {
  Samples samples;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &value)) {
      samples[std::string(line.substr(0, space))] = value;
    }
  }
  return samples;
}

double Value(const Samples& samples, const std::string& series) {
  auto it = samples.find(series);
  return it == samples.end() ? -1 : it->second;
}

absl::Status PromtoolCheck(const std::string& exposition, const std::string& dir,
                           const std::string& name) {
  std::string path = absl::StrCat(dir, "/", name, ".prom");
  WriteFile(path, exposition);
  // promtool reads the exposition from stdin.
  Process promtool({"/bin/sh", "-c", absl::StrCat("exec promtool check metrics < '", path, "'")},
                   path + ".promtool");
  int status = promtool.Wait(absl::Seconds(60));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("promtool check metrics on ", name, " (", path,
                                                 ") failed: ", ReadFile(path + ".promtool")));
}

}  // namespace herd::testing
