#ifndef HERD_SERVICES_PLACES_GEONAMES_TABLE_H_
#define HERD_SERVICES_PLACES_GEONAMES_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace herd::places {

// The columns of a GeoNames `geoname` row that answering a search needs.
struct GeoNamesPlace {
  uint32_t geoname_id = 0;
  std::string name;
  double latitude = 0;
  double longitude = 0;
  char feature_class = 0;    // 'P' populated place, 'A' administrative area, ...
  std::string feature_code;  // e.g. "PPL", "PPLA2", "PPLC"
  std::string country_code;  // ISO 3166-1 alpha-2, e.g. "US"
  std::string admin1_code;   // e.g. "CA" (US states), "08" elsewhere
  int64_t population = 0;
};

struct GeoNamesTable {
  std::vector<GeoNamesPlace> places;
  // Rows skipped because they were not well-formed, and the first such line (1-based) so an
  // operator can look at it.
  size_t malformed_rows = 0;
  size_t first_malformed_line = 0;
};

// Parses GeoNames' tab-separated 19-column `geoname` format (no header), e.g. cities500.txt.
// Malformed rows (wrong column count, bad id, empty name, invalid UTF-8, bad or out-of-range
// coordinates, bad population) are skipped and counted. No valid row at all is an error.
absl::StatusOr<GeoNamesTable> ParseGeoNames(absl::string_view text);

// Reads and parses a file. A missing or unreadable file is FAILED_PRECONDITION, with a hint
// to fetch the data with deploy/fetch-geonames.
absl::StatusOr<GeoNamesTable> LoadGeoNamesFile(const std::string& path);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GEONAMES_TABLE_H_
