#ifndef HERD_SERVICES_PROBE_TCP_CHECK_H_
#define HERD_SERVICES_PROBE_TCP_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace herd::probe {

// OK when a TCP connection to `address` (host:port) opens within `timeout`; it is closed at once.
absl::Status CheckTcpAccepts(const std::string& address, absl::Duration timeout);

}  // namespace herd::probe

#endif  // HERD_SERVICES_PROBE_TCP_CHECK_H_
