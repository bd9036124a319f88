#ifndef HERD_TOOLS_HERDCTL_OPTIONS_H_
#define HERD_TOOLS_HERDCTL_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace herd::herdctl {

extern const char kUsage[];

struct Options {
  std::string config;   // --config FILE
  std::string address;  // --address HOST:PORT (instead of a config)
  std::string node;     // --node NAME: the node get/report/near ask
  // TLS (see kUsage): --ca overrides the config's CA; --cert/--key present a certificate.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool json = false;
  absl::Duration timeout = absl::Seconds(3);   // --timeout MS: deadline of each call
  absl::Duration interval = absl::Seconds(2);  // --interval SECONDS: watch refresh
  int count = 0;                               // --count N: watch refreshes, 0 = until ^C
  bool help = false;
  std::string command;
  std::vector<std::string> args;  // the command's arguments
};

// Flags may come before or after the command. INVALID_ARGUMENT says what is wrong.
absl::StatusOr<Options> ParseOptions(int argc, char** argv);

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_OPTIONS_H_
