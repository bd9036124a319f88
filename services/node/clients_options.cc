#include "services/node/clients_options.h"

#include "absl/strings/str_cat.h"

namespace herd {

absl::StatusOr<ClientsOptions> ClientsOptionsFrom(const v1::HerdConfig& config) {
  ClientsOptions options;
  const v1::ClientsConfig& clients = config.clients();
  if (clients.has_index()) options.index = clients.index();
  if (clients.has_max_watchers()) {
    if (clients.max_watchers() > ClientsOptions::kMaxWatchersLimit) {
      return absl::InvalidArgumentError(absl::StrCat("clients.maxWatchers: at most ",
                                                     ClientsOptions::kMaxWatchersLimit, ", got ",
                                                     clients.max_watchers()));
    }
    options.watch.max_watchers = clients.max_watchers();
  }
  if (clients.has_watch_queue_events()) {
    if (clients.watch_queue_events() < 1 ||
        clients.watch_queue_events() > ClientsOptions::kMaxQueueEvents) {
      return absl::InvalidArgumentError(absl::StrCat("clients.watchQueueEvents: from 1 to ",
                                                     ClientsOptions::kMaxQueueEvents, ", got ",
                                                     clients.watch_queue_events()));
    }
    options.watch.queue_events = clients.watch_queue_events();
  }
  return options;
}

}  // namespace herd
