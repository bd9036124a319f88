#ifndef HERD_TESTS_METRICS_SCRAPE_H_
#define HERD_TESTS_METRICS_SCRAPE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace herd::testing {

// GET http://<address>/metrics over a plain socket (HTTP/1.0, bounded in time); the body of a
// 200 answer, an error otherwise.
absl::StatusOr<std::string> ScrapeMetrics(const std::string& address,
                                          absl::Duration timeout = absl::Seconds(5));

// Samples of a text exposition: `name{label="value",...}` exactly as written -> value.
using Samples = std::map<std::string, double>;
Samples ParseSamples(const std::string& exposition);

// The value of `series` (e.g. `herd_peer_link_up{peer="Hands"}`), or -1 when absent.
double Value(const Samples& samples, const std::string& series);

// Runs `promtool check metrics` on `exposition` (written to <dir>/<name>.prom); OK when promtool
// accepts it, else its complaints.
absl::Status PromtoolCheck(const std::string& exposition, const std::string& dir,
                           const std::string& name);

}  // namespace herd::testing

#endif  // HERD_TESTS_METRICS_SCRAPE_H_
