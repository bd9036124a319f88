#ifndef HERD_TOOLS_HERDCTL_TARGETS_H_
#define HERD_TOOLS_HERDCTL_TARGETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/core/transport_security.h"
#include "tools/herdctl/options.h"

namespace herd::herdctl {

// A node herdctl talks to. `name` is empty for a bare --address until the node says its name.
struct Target {
  std::string name;
  std::string address;
  // Plain, or TLS verifying that the node's certificate names `name`.
  TransportSecurity security = TransportSecurity::Insecure();
};

// The nodes of --config (or of the default config), or the single --address; TLS when the config
// has "tls" or --ca is given (errors name an unreadable certificate file).
absl::StatusOr<std::vector<Target>> ResolveTargets(const Options& options);

// deploy/herd.json of the source tree, found from the binary's location (build/bin/herdctl).
std::string DefaultConfigPath();

}  // namespace herd::herdctl

#endif  // HERD_TOOLS_HERDCTL_TARGETS_H_
