#include "services/node/client_area.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "s2/s2cap.h"
#include "s2/s2cell.h"
#include "s2/s2cell_union.h"
#include "s2/s2latlng.h"
#include "s2/s2latlng_rect.h"
#include "s2/s2region_coverer.h"
#include "services/places/geo_math.h"

namespace herd {
namespace {

// Added to the region before covering, so that rounding in S2's containment tests never leaves
// out a point the exact test below takes in.
constexpr double kCoverMarginMeters = 1;
constexpr double kCoverMarginDegrees = 1e-6;

// Width of a longitude interval from `west` to `east`, eastwards, in [0, 360].
double LongitudeSpan(double west, double east) {
  return west <= east ? east - west : 360 - (west - east);
}

}  // namespace

absl::Status ValidateLatLng(const v1::LatLng& location, const char* field) {
  if (!std::isfinite(location.latitude()) || std::fabs(location.latitude()) > 90) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".latitude must be within [-90, 90], got ", location.latitude()));
  }
  if (!std::isfinite(location.longitude()) || std::fabs(location.longitude()) > 180) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".longitude must be within [-180, 180], got ", location.longitude()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClientArea> ClientArea::Circle(double latitude, double longitude, double radius_km,
                                              const char* field) {
  if (!places::ValidLatLng(latitude, longitude)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": centre must be within [-90, 90] x [-180, 180]"));
  }
  if (!(radius_km > 0) || radius_km > kMaxRadiusKm) {
    return absl::InvalidArgumentError(absl::StrCat(field,
                                                   " radius_km must be greater than 0 and at most ",
                                                   kMaxRadiusKm, ", got ", radius_km));
  }
  ClientArea area;
  area.circle_ = true;
  area.center_ = places::PointFromDegrees(latitude, longitude);
  area.radius_m_ = radius_km * 1000;
  return area;
}

absl::StatusOr<ClientArea> ClientArea::Box(const v1::LatLngBox& box, const char* field) {
  std::string low = absl::StrCat(field, ".low"), high = absl::StrCat(field, ".high");
  if (absl::Status s = ValidateLatLng(box.low(), low.c_str()); !s.ok()) return s;
  if (absl::Status s = ValidateLatLng(box.high(), high.c_str()); !s.ok()) return s;
  const double lat_span = box.high().latitude() - box.low().latitude();
  if (lat_span < 0 || lat_span > kMaxBoxLatitudeSpan) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": high.latitude - low.latitude must be from 0 to ",
                     kMaxBoxLatitudeSpan, " degrees, got ", lat_span));
  }
  const double lng_span = LongitudeSpan(box.low().longitude(), box.high().longitude());
  if (lng_span > kMaxBoxLongitudeSpan) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": the longitude span (eastwards from low to high) must be at most ",
                     kMaxBoxLongitudeSpan, " degrees, got ", lng_span));
  }
  ClientArea area;
  area.circle_ = false;
  area.low_latitude_ = box.low().latitude();
  area.low_longitude_ = box.low().longitude();
  area.high_latitude_ = box.high().latitude();
  area.high_longitude_ = box.high().longitude();
  return area;
}

bool ClientArea::Contains(double latitude, double longitude) const {
  return Contains(latitude, longitude,
                  circle_ ? places::PointFromDegrees(latitude, longitude) : S2Point());
}

bool ClientArea::Contains(double latitude, double longitude, const S2Point& point) const {
  if (circle_) return places::DistanceMeters(center_, point) <= radius_m_;
  if (latitude < low_latitude_ || latitude > high_latitude_) return false;
  if (low_longitude_ <= high_longitude_) {
    return longitude >= low_longitude_ && longitude <= high_longitude_;
  }
  return longitude >= low_longitude_ || longitude <= high_longitude_;
}

std::vector<S2CellId> ClientArea::Covering(int max_cells, int min_level, int max_level,
                                           int level_mod) const {
  S2RegionCoverer::Options options;
  options.set_max_cells(max_cells);
  options.set_min_level(min_level);
  options.set_max_level(max_level);
  options.set_level_mod(level_mod);
  S2RegionCoverer coverer(options);
  std::vector<S2CellId> cells;
  if (circle_) {
    coverer.GetCovering(
        S2Cap(center_, places::ChordAngleFromMeters(radius_m_ + kCoverMarginMeters)), &cells);
  } else {
    S2LatLngRect rect(S2LatLng::FromDegrees(low_latitude_, low_longitude_),
                      S2LatLng::FromDegrees(high_latitude_, high_longitude_));
    coverer.GetCovering(
        rect.Expanded(S2LatLng::FromDegrees(kCoverMarginDegrees, kCoverMarginDegrees)), &cells);
  }
  return cells;
}

std::vector<S2CellId> ClientArea::SearchCovering(int max_cells) const {
  if (!circle_) return Covering(max_cells);
  // The (at most six) cells S2 bounds the cap with, each refined kRefineLevels times into the
  // children that may meet the cap. For 50 km circles this made the covering in about half the
  // time of S2RegionCoverer's 12 cells, for about a fifth more area (2.1 against 1.7 times the
  // circle's). It holds the circle: a point of it lies in one cell of the bound, and at each
  // level in a child that meets the cap, which MayIntersect never rejects.
  constexpr int kRefineLevels = 3;
  const S2Cap cap(center_, places::ChordAngleFromMeters(radius_m_ + kCoverMarginMeters));
  std::vector<S2CellId> cells, finer;
  cap.GetCellUnionBound(&cells);
  for (int step = 0; step < kRefineLevels; ++step) {
    finer.clear();
    for (const S2CellId& cell : cells) {
      if (cell.is_leaf()) {
        finer.push_back(cell);
        continue;
      }
      for (S2CellId child = cell.child_begin(); child != cell.child_end(); child = child.next()) {
        if (cap.MayIntersect(S2Cell(child))) finer.push_back(child);
      }
    }
    cells.swap(finer);
  }
  // Siblings kept all four become their parent again: one btree seek instead of four.
  return S2CellUnion(std::move(cells)).Release();
}

}  // namespace herd
