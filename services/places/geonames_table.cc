#include "services/places/geonames_table.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/places/geo_math.h"
#include "services/places/utf8.h"

namespace herd::places {
namespace {

constexpr int kColumns = 19;
enum Column {
  kGeonameId = 0,
  kName = 1,
  kLatitude = 4,
  kLongitude = 5,
  kFeatureClass = 6,
  kFeatureCode = 7,
  kCountryCode = 8,
  kAdmin1Code = 10,
  kPopulation = 14,
};

constexpr char kFetchHint[] =
    "; fetch the GeoNames cities500 data with deploy/fetch-geonames (it prints where it puts "
    "the file) and point places.geonames.data_file at it";

// Splits on tabs into exactly kColumns fields without allocating; false on any other count.
bool SplitRow(absl::string_view line, absl::string_view (&fields)[kColumns]) {
  int n = 0;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    if (n == kColumns) return false;
    if (tab == absl::string_view::npos) {
      fields[n++] = line.substr(start);
      break;
    }
    fields[n++] = line.substr(start, tab - start);
    start = tab + 1;
  }
  return n == kColumns;
}

bool ParseRow(absl::string_view line, GeoNamesPlace* place) {
  absl::string_view f[kColumns];
  if (!SplitRow(line, f)) return false;
  if (!absl::SimpleAtoi(f[kGeonameId], &place->geoname_id) || place->geoname_id == 0) {
    return false;
  }
  if (f[kName].empty() || !IsValidUtf8(f[kName])) return false;
  if (!absl::SimpleAtod(f[kLatitude], &place->latitude) ||
      !absl::SimpleAtod(f[kLongitude], &place->longitude) ||
      !ValidLatLng(place->latitude, place->longitude)) {
    return false;
  }
  if (f[kFeatureClass].size() > 1) return false;
  if (!IsValidUtf8(f[kFeatureCode]) || !IsValidUtf8(f[kCountryCode]) ||
      !IsValidUtf8(f[kAdmin1Code])) {
    return false;
  }
  place->population = 0;
  if (!f[kPopulation].empty() &&
      (!absl::SimpleAtoi(f[kPopulation], &place->population) || place->population < 0)) {
    return false;
  }
  place->name = std::string(f[kName]);
  place->feature_class = f[kFeatureClass].empty() ? 0 : f[kFeatureClass][0];
  place->feature_code = std::string(f[kFeatureCode]);
  place->country_code = std::string(f[kCountryCode]);
  place->admin1_code = std::string(f[kAdmin1Code]);
  return true;
}

}  // namespace

absl::StatusOr<GeoNamesTable> ParseGeoNames(absl::string_view text) {
  GeoNamesTable table;
  // cities500 rows average ~160 bytes; reserving avoids repeated regrowth of a 200k vector.
  table.places.reserve(text.size() / 128 + 1);
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    GeoNamesPlace place;
    if (ParseRow(line, &place)) {
      table.places.push_back(std::move(place));
    } else {
      if (table.malformed_rows == 0) table.first_malformed_line = line_number;
      ++table.malformed_rows;
    }
  }
  if (table.places.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "GeoNames data has no valid row (", table.malformed_rows,
        " malformed rows); expected 19 tab-separated columns per line as in cities500.txt"));
  }
  table.places.shrink_to_fit();
  return table;
}

absl::StatusOr<GeoNamesTable> LoadGeoNamesFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open GeoNames data file ", path, ": ",
                                                      std::strerror(errno), kFetchHint));
  }
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read GeoNames data file ", path, kFetchHint));
  }
  if (text.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("GeoNames data file ", path, " is empty", kFetchHint));
  }
  absl::StatusOr<GeoNamesTable> table = ParseGeoNames(text);
  if (!table.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": ", table.status().message(), kFetchHint));
  }
  return table;
}

}  // namespace herd::places
