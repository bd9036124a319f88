#ifndef HERD_SERVICES_CORE_STAMP_H_
#define HERD_SERVICES_CORE_STAMP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "herd/v1/stamp.pb.h"
#include "services/core/exact_time.h"

namespace herd {

// Longest client id accepted anywhere (the gateway's default line limit).
inline constexpr size_t kMaxClientIdBytes = 65536;

// A client id is any non-empty string of non-white-space bytes (space, \t, \n, \v, \f, \r).
absl::Status ValidateClientId(absl::string_view client_id);

// Builds the stamp for a report received by `origin` at `received_at`. INVALID_ARGUMENT names
// the bad field (client_id, location, client_time).
absl::StatusOr<v1::LocationStamp> MakeStamp(absl::string_view client_id, absl::string_view location,
                                            absl::string_view client_time, absl::string_view origin,
                                            const Instant& received_at);
// The same into `out` (overwritten; left unspecified on error): a stamp on an arena is built in
// place instead of copied there.
absl::Status MakeStampInto(absl::string_view client_id, absl::string_view location,
                           absl::string_view client_time, absl::string_view origin,
                           const Instant& received_at, v1::LocationStamp* out);

// "AT <origin> <diff> <client> <location> <time>" without a line terminator.
std::string FormatAtLine(const v1::LocationStamp& stamp);
// The same line appended to `out`, followed by `end` (a buffer reused for many lines only grows
// now and then; a fresh one takes the line and its terminator in one allocation).
void AppendAtLine(const v1::LocationStamp& stamp, std::string* out, absl::string_view end = "");

// The herd's total order on stamps of one client (last writer wins): client time, then origin
// name, then the origin's receive time, then the texts. Every node picks the same winner
// whatever order stamps arrive in.
int CompareStamps(const v1::LocationStamp& a, const v1::LocationStamp& b);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_STAMP_H_
