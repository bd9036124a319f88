#ifndef HERD_SERVICES_CORE_ISO6709_H_
#define HERD_SERVICES_CORE_ISO6709_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace herd {

struct GeoPoint {
  double latitude = 0;
  double longitude = 0;
};

// Parses an ISO 6709 point: a signed latitude immediately followed by a signed longitude, both
// signs mandatory. Each part is decimal degrees (±D.D / ±DDD.D, leading zeros allowed),
// degrees and minutes (±DDMM.M / ±DDDMM.M) or degrees, minutes and seconds (±DDMMSS.S /
// ±DDDMMSS.S). |latitude| <= 90, |longitude| <= 180. An optional trailing "/" is accepted.
absl::StatusOr<GeoPoint> ParseIso6709(absl::string_view text);

}  // namespace herd

#endif  // HERD_SERVICES_CORE_ISO6709_H_
