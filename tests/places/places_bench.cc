// Loads a full cities500.txt and reports load time, resident memory and search latency.
// Usage: places_bench CITIES500 [SEARCHES]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/places/geonames_provider.h"

namespace {

long ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CITIES500 [SEARCHES]\n", argv[0]);
    return 2;
  }
  const int searches = argc > 2 ? std::atoi(argv[2]) : 20000;
  const long rss_before = ResidentKib();
  auto provider = herd::places::GeoNamesProvider::Load(argv[1]);
  if (!provider.ok()) {
    std::fprintf(stderr, "%s\n", std::string(provider.status().message()).c_str());
    return 1;
  }
  const long rss_after = ResidentKib();
  std::printf("%s\n", (*provider)->Describe().c_str());
  std::printf("resident memory: %ld MiB before, %ld MiB after loading\n", rss_before / 1024,
              rss_after / 1024);

  // Searches centred on random places (dense areas, the realistic case), 50 km, 20 results.
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> lat(-60, 70), lng(-180, 180);
  size_t found = 0;
  std::vector<double> micros;
  micros.reserve(searches);
  const double centers[][2] = {{34.0689, -118.4452}, {48.8566, 2.3522},  {50.11, 8.68},
                               {52.52, 13.405},      {40.7128, -74.006}, {35.68, 139.69}};
  for (int i = 0; i < searches; ++i) {
    double la, lo;
    if (i % 2 == 0) {
      la = centers[i / 2 % 6][0];
      lo = centers[i / 2 % 6][1];
    } else {
      la = lat(rng);
      lo = lng(rng);
    }
    const absl::Time start = absl::Now();
    auto answer = (*provider)->Search(la, lo, 50000, 20);
    micros.push_back(absl::ToDoubleMicroseconds(absl::Now() - start));
    if (answer.ok()) found += answer->places.size();
  }
  std::sort(micros.begin(), micros.end());
  std::printf(
      "%d searches (50 km, 20 results, half in dense cities): p50 %.1f us, p99 %.1f us, "
      "max %.1f us, %zu places returned\n",
      searches, micros[micros.size() / 2], micros[micros.size() * 99 / 100], micros.back(), found);
  return 0;
}
