#ifndef HERD_SERVICES_NODE_CLIENTS_OPTIONS_H_
#define HERD_SERVICES_NODE_CLIENTS_OPTIONS_H_

#include "absl/status/statusor.h"
#include "herd/v1/config.pb.h"
#include "services/node/watch_hub.h"

namespace herd {

// The config's `clients` section with its defaults.
struct ClientsOptions {
  bool index = true;
  WatchHub::Options watch;

  static constexpr uint32_t kMaxWatchersLimit = 100000;
  static constexpr uint32_t kMaxQueueEvents = 65536;
};

// INVALID_ARGUMENT naming the field (`clients.maxWatchers: ...`) for a value out of range.
absl::StatusOr<ClientsOptions> ClientsOptionsFrom(const v1::HerdConfig& config);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_CLIENTS_OPTIONS_H_
