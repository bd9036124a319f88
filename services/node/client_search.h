#ifndef HERD_SERVICES_NODE_CLIENT_SEARCH_H_
#define HERD_SERVICES_NODE_CLIENT_SEARCH_H_

#include "absl/status/status.h"
#include "herd/v1/location_service.pb.h"
#include "services/node/client_index.h"
#include "services/node/stamp_store.h"

namespace herd {

// Limits of SearchClients (stated in location_service.proto); the area limits are ClientArea's.
inline constexpr uint32_t kMaxClientSearchResults = 1000;

// Answers a SearchClients request from `store` through `index` (null: the node runs without
// its client index, FAILED_PRECONDITION). INVALID_ARGUMENT names the bad field; NOT_FOUND for an
// unknown centre client.
absl::Status SearchClients(const v1::SearchClientsRequest& request, const StampStore& store,
                           const ClientIndex* index, v1::SearchClientsResponse* response);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_CLIENT_SEARCH_H_
