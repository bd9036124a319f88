#ifndef HERD_SERVICES_NODE_STAMP_ORDER_H_
#define HERD_SERVICES_NODE_STAMP_ORDER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "services/core/exact_time.h"

namespace herd {

// The fields CompareStamps orders two stamps by, read in place from a serialized LocationStamp.
// The durable store resolves every pair of writes of one client with it when RocksDB flushes and
// compacts; parsing both messages there (four strings each) was a tenth of a leaf node's CPU.
struct StampOrder {
  Instant client_time;
  absl::string_view origin;
  Instant received_at;
  absl::string_view location_text;
  absl::string_view client_time_text;
};

// Reads the plain encoding SerializeToString writes: known fields only, each at most once with
// its declared wire type, an ASCII origin. Anything else, including bytes the message parser
// would take, is nullopt, and the caller parses the message instead, so the answer never
// differs from CompareStamps on the parsed messages. The views point into `serialized`.
std::optional<StampOrder> ReadStampOrder(absl::string_view serialized);

// CompareStamps on the fields it uses: negative, zero or positive.
int CompareStampOrder(const StampOrder& a, const StampOrder& b);

}  // namespace herd

#endif  // HERD_SERVICES_NODE_STAMP_ORDER_H_
