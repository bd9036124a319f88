// The client index against a brute-force scan of the store.
#include "services/node/client_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "s2/s2cell_union.h"
#include "s2/s2edge_distances.h"
#include "s2/s2latlng.h"
#include "services/node/client_area.h"
#include "services/node/clients_options.h"
#include "services/places/geo_math.h"

namespace herd {
namespace {

v1::LocationStamp At(const std::string& client, double lat, double lng, int64_t time,
                     int64_t received = 1000) {
  v1::LocationStamp stamp;
  stamp.set_client_id(client);
  stamp.set_location_text(absl::StrFormat("%+.9f%+.9f", lat, lng));
  stamp.set_latitude(lat);
  stamp.set_longitude(lng);
  stamp.set_client_time_text(absl::StrCat(time));
  stamp.mutable_client_time()->set_seconds(time);
  stamp.set_origin("Hands");
  stamp.mutable_received_at()->set_seconds(received);
  return stamp;
}

struct Point {
  std::string client;
  double latitude, longitude;
  S2Point point;
  int64_t received;
};

std::vector<Point> Snapshot(const StampStore& store) {
  std::vector<Point> points;
  store.ForEach([&](const v1::LocationStamp& s) {
    points.push_back({s.client_id(), s.latitude(), s.longitude(),
                      places::PointFromDegrees(s.latitude(), s.longitude()),
                      s.received_at().seconds()});
  });
  return points;
}

struct Expected {
  std::string client;
  double distance_m;
};

// Every point in `area`, nearest `center` first, ties by client id.
std::vector<Expected> BruteForce(const std::vector<Point>& points, const ClientArea& area,
                                 double lat, double lng, const std::string& exclude = "",
                                 int64_t min_received = INT64_MIN) {
  std::vector<Expected> all;
  const S2Point center = places::PointFromDegrees(lat, lng);
  for (const Point& p : points) {
    if (!area.Contains(p.latitude, p.longitude)) continue;
    if (p.client == exclude || p.received < min_received) continue;
    all.push_back({p.client, places::DistanceMeters(center, p.point)});
  }
  std::sort(all.begin(), all.end(), [](const Expected& a, const Expected& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.client < b.client;
  });
  return all;
}

void ExpectSameAnswer(const ClientIndex& index, const std::vector<Expected>& all,
                      const ClientArea& area, double lat, double lng, size_t max_results,
                      const std::string& what) {
  ClientIndex::Query query;
  query.area = &area;
  query.center_latitude = lat;
  query.center_longitude = lng;
  query.max_results = max_results;
  std::vector<ClientIndex::Hit> hits = index.Search(query);
  const size_t want = std::min(max_results, all.size());
  ASSERT_EQ(hits.size(), want) << what;
  for (size_t i = 0; i < want; ++i) {
    ASSERT_EQ(hits[i].stamp.client_id(), all[i].client) << what << " hit " << i;
    ASSERT_EQ(hits[i].distance_m, all[i].distance_m) << what << " hit " << i;
  }
}

// 100,000 clients: spread over the sphere, crowded around both poles (some exactly on them),
// along the antimeridian (some exactly at +-180) and in one city; then a fifth of them move.
class ClientIndexTest : public ::testing::Test {
 protected:
  static constexpr int kClients = 100000;

  ClientIndexTest() : index_(&store_) {
    store_.AddObserver(&index_);
    std::mt19937_64 rng(13);
    for (int i = 0; i < kClients; ++i) {
      double lat, lng;
      Place(rng, i, &lat, &lng);
      store_.Merge(At(absl::StrCat("client-", i), lat, lng, 1));
    }
    for (int i = 0; i < kClients; i += 5) {
      double lat, lng;
      Place(rng, i + 1, &lat, &lng);
      store_.Merge(At(absl::StrCat("client-", i), lat, lng, 2, 2000));
    }
    points_ = Snapshot(store_);
  }

  static void Place(std::mt19937_64& rng, int i, double* lat, double* lng) {
    std::uniform_real_distribution<double> unit(0, 1);
    switch (i % 5) {
      case 0:  // uniform on the sphere
        *lat = std::asin(2 * unit(rng) - 1) * 180 / M_PI;
        *lng = 360 * unit(rng) - 180;
        break;
      case 1:  // near a pole
        *lat = (i % 2 ? 1 : -1) * (i % 101 == 0 ? 90 : 88 + 2 * unit(rng));
        *lng = 360 * unit(rng) - 180;
        break;
      case 2:  // along the antimeridian
        *lat = 60 * unit(rng) - 30;
        *lng = i % 97 == 0 ? (i % 2 ? 180.0 : -180.0) : (i % 2 ? 1 : -1) * (180 - unit(rng));
        break;
      case 3:  // one crowded city
        *lat = 34 + 0.5 * unit(rng);
        *lng = -118.5 + 0.5 * unit(rng);
        break;
      default:  // on a coarse grid: many exact ties in distance
        *lat = std::floor(unit(rng) * 20) - 10;
        *lng = std::floor(unit(rng) * 20) - 10;
        break;
    }
  }

  StampStore store_;
  ClientIndex index_;
  std::vector<Point> points_;
};

TEST_F(ClientIndexTest, HoldsOneEntryPerClient) { EXPECT_EQ(index_.size(), store_.size()); }

TEST_F(ClientIndexTest, CirclesMatchBruteForce) {
  std::vector<std::pair<double, double>> centers = {
      {90, 0},     {-90, 0},       {89.99, 45}, {-89.5, -120},  {0, 180},  {0, -180},
      {10, 179.9}, {-10, -179.99}, {29.9, 180}, {34.2, -118.2}, {0, 0},    {5, 5},
      {-10, -10},  {45, 90},       {-45, -90},  {60, 179.5},    {88, 180}, {-88, -180}};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int i = 0; i < 30; ++i) {
    centers.push_back({std::asin(2 * unit(rng) - 1) * 180 / M_PI, 360 * unit(rng) - 180});
  }
  for (const auto& [lat, lng] : centers) {
    for (double radius_km : {0.5, 50.0, 300.0, 1000.0}) {
      absl::StatusOr<ClientArea> area = ClientArea::Circle(lat, lng, radius_km, "circle");
      ASSERT_TRUE(area.ok()) << area.status();
      std::vector<Expected> all = BruteForce(points_, *area, lat, lng);
      for (size_t max_results : {1, 20, 1000}) {
        ExpectSameAnswer(
            index_, all, *area, lat, lng, max_results,
            absl::StrCat("circle ", lat, ",", lng, " r=", radius_km, " n=", max_results));
      }
    }
  }
}

TEST_F(ClientIndexTest, BoxesMatchBruteForce) {
  struct Box {
    double lo_lat, lo_lng, hi_lat, hi_lng, lat, lng;
  };
  const std::vector<Box> boxes = {
      {-10, 170, 10, -170, 0, 180},    // across the antimeridian
      {-5, -180, 5, -160, 0, -170},    // starting exactly at -180
      {-5, 160, 5, 180, 0, 170},       // ending exactly at 180
      {80, -20, 90, 20, 90, 0},        // touching the north pole
      {-90, 100, -75, 140, -89, 120},  // touching the south pole
      {33.9, -118.6, 34.6, -117.9, 34.2, -118.2},
      {-10, -10, 10, 10, 0, 0},  // the grid, many ties
      {0, 0, 0, 0, 0, 0},        // a single point
  };
  for (const Box& b : boxes) {
    v1::LatLngBox box;
    box.mutable_low()->set_latitude(b.lo_lat);
    box.mutable_low()->set_longitude(b.lo_lng);
    box.mutable_high()->set_latitude(b.hi_lat);
    box.mutable_high()->set_longitude(b.hi_lng);
    absl::StatusOr<ClientArea> area = ClientArea::Box(box, "box");
    ASSERT_TRUE(area.ok()) << area.status();
    std::vector<Expected> all = BruteForce(points_, *area, b.lat, b.lng);
    for (size_t max_results : {1, 20, 1000}) {
      ExpectSameAnswer(index_, all, *area, b.lat, b.lng, max_results,
                       absl::StrCat("box ", b.lo_lat, ",", b.lo_lng, " ", b.hi_lat, ",", b.hi_lng,
                                    " n=", max_results));
    }
  }
}

TEST_F(ClientIndexTest, LeavesOutTheCentreClientAndOldStamps) {
  // client-0 moved near a pole, among clients that did (received 2000) and did not (1000).
  std::optional<v1::LocationStamp> centre = store_.Get("client-0");
  ASSERT_TRUE(centre.has_value());
  absl::StatusOr<ClientArea> area =
      ClientArea::Circle(centre->latitude(), centre->longitude(), 300, "circle");
  ASSERT_TRUE(area.ok());
  ClientIndex::Query query;
  query.area = &*area;
  query.center_latitude = centre->latitude();
  query.center_longitude = centre->longitude();
  query.max_results = 1000;
  query.exclude_client_id = "client-0";
  query.has_min_received = true;
  query.min_received_seconds = 1500;  // only the moved clients
  std::vector<Expected> all =
      BruteForce(points_, *area, centre->latitude(), centre->longitude(), "client-0", 1500);
  ASSERT_FALSE(all.empty());
  std::vector<ClientIndex::Hit> hits = index_.Search(query);
  ASSERT_EQ(hits.size(), std::min<size_t>(1000, all.size()));
  for (size_t i = 0; i < hits.size(); ++i) {
    EXPECT_EQ(hits[i].stamp.client_id(), all[i].client);
    EXPECT_NE(hits[i].stamp.client_id(), "client-0");
    EXPECT_GE(hits[i].stamp.received_at().seconds(), 1500);
  }
}

TEST(ClientIndex, AMovedClientIsFoundOnlyWhereItIsNow) {
  StampStore store;
  ClientIndex index(&store);
  store.AddObserver(&index);
  store.Merge(At("kiwi", 34.0689, -118.4451, 10));
  store.Merge(At("kiwi", 51.5, -0.12, 11));
  store.Merge(At("kiwi", 34.0689, -118.4451, 9));  // stale: stays in London
  store.Merge(At("kiwi", 51.5, -0.12, 12));        // newer, at the same point
  EXPECT_EQ(index.size(), 1u);
  for (auto [lat, lng, found] : std::vector<std::tuple<double, double, bool>>{
           {34.0689, -118.4451, false}, {51.5, -0.12, true}}) {
    absl::StatusOr<ClientArea> area = ClientArea::Circle(lat, lng, 1, "circle");
    ClientIndex::Query query;
    query.area = &*area;
    query.center_latitude = lat;
    query.center_longitude = lng;
    query.max_results = 10;
    EXPECT_EQ(index.Search(query).size(), found ? 1u : 0u) << lat << "," << lng;
  }
}

TEST(ClientIndex, StaysExactUnderConcurrentMergesAndSearches) {
  StampStore store;
  ClientIndex index(&store);
  store.AddObserver(&index);
  constexpr int kWriters = 3, kClientsPerWriter = 2000, kMoves = 5;
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(w);
      std::uniform_real_distribution<double> lat(33, 35), lng(-119, -117);
      for (int move = 0; move < kMoves; ++move) {
        for (int c = 0; c < kClientsPerWriter; ++c) {
          // Two writers share each client: concurrent merges of one client.
          store.Merge(At(absl::StrCat("c", (w + c) % (kWriters * kClientsPerWriter / 2)), lat(rng),
                         lng(rng), move * 10 + w));
        }
      }
    });
  }
  std::thread searcher([&] {
    absl::StatusOr<ClientArea> area = ClientArea::Circle(34, -118, 50, "circle");
    ClientIndex::Query query;
    query.area = &*area;
    query.center_latitude = 34;
    query.center_longitude = -118;
    query.max_results = 20;
    while (writing.load()) EXPECT_LE(index.Search(query).size(), 20u);
  });
  for (auto& t : threads) t.join();
  writing = false;
  searcher.join();
  EXPECT_EQ(index.size(), store.size());
  // Every client is found where the store says it is.
  std::vector<v1::LocationStamp> stamps;
  store.ForEach([&](const v1::LocationStamp& s) { stamps.push_back(s); });
  for (const v1::LocationStamp& s : stamps) {
    absl::StatusOr<ClientArea> area = ClientArea::Circle(s.latitude(), s.longitude(), 0.001, "c");
    ClientIndex::Query query;
    query.area = &*area;
    query.center_latitude = s.latitude();
    query.center_longitude = s.longitude();
    query.max_results = 5;
    std::vector<ClientIndex::Hit> hits = index.Search(query);
    EXPECT_TRUE(std::any_of(hits.begin(), hits.end(), [&](const ClientIndex::Hit& h) {
      return h.stamp.client_id() == s.client_id();
    })) << s.client_id();
  }
}

// A search reads only the clients in its covering's cells, so every point the exact test takes
// in must lie in one of them: points spread over each circle, a quarter of them a hair inside
// its edge, around the poles and the antimeridian too.
TEST(ClientArea, ASearchCoveringHoldsEveryPointOfItsCircle) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> unit(0, 1);
  // Uniform on the sphere.
  auto random_lat_lng = [&] {
    return std::make_pair(std::asin(2 * unit(rng) - 1) * 180 / M_PI, 360 * unit(rng) - 180);
  };
  std::vector<std::pair<double, double>> centers = {{90, 0},        {-90, 0},   {0, 180},
                                                    {0, -180},      {89.9, 10}, {-45, 179.99},
                                                    {34.2, -118.2}, {0, 0},     {45, 45}};
  for (int i = 0; i < 20; ++i) centers.push_back(random_lat_lng());
  int checked = 0;
  for (const auto& [lat, lng] : centers) {
    for (double radius_km : {0.01, 0.5, 50.0, 300.0, 1000.0}) {
      absl::StatusOr<ClientArea> area = ClientArea::Circle(lat, lng, radius_km, "circle");
      ASSERT_TRUE(area.ok()) << area.status();
      const S2CellUnion covering(area->SearchCovering(12));
      const S2Point center = places::PointFromDegrees(lat, lng);
      for (int k = 0; k < 200; ++k) {
        const auto [toward_lat, toward_lng] = random_lat_lng();
        const S2Point toward = places::PointFromDegrees(toward_lat, toward_lng);
        const double angle = S1Angle(center, toward).radians();
        if (angle < 1e-6 || angle > M_PI - 1e-6) continue;
        const double fraction = k % 4 == 0 ? 1 - 1e-9 : std::sqrt(unit(rng));
        const S2Point p = S2::GetPointOnLine(
            center, toward,
            S1Angle::Radians(radius_km * 1000 * fraction / places::kEarthRadiusMeters));
        const S2LatLng at(p);
        const double plat = at.lat().degrees(), plng = at.lng().degrees();
        if (!area->Contains(plat, plng)) continue;
        ++checked;
        ASSERT_TRUE(covering.Contains(S2CellId(places::PointFromDegrees(plat, plng))))
            << "circle " << lat << "," << lng << " r=" << radius_km << " km misses " << plat << ","
            << plng;
      }
    }
  }
  EXPECT_GT(checked, 20000);
}

TEST(ClientArea, RefusesBadAreasNamingTheField) {
  EXPECT_FALSE(ClientArea::Circle(0, 0, 0, "circle").ok());
  EXPECT_FALSE(ClientArea::Circle(0, 0, 1000.001, "circle").ok());
  EXPECT_FALSE(ClientArea::Circle(91, 0, 1, "circle").ok());
  EXPECT_FALSE(ClientArea::Circle(0, NAN, 1, "circle").ok());
  EXPECT_TRUE(ClientArea::Circle(90, 180, 1000, "circle").ok());
  v1::LatLngBox box;
  box.mutable_low()->set_latitude(10);
  box.mutable_high()->set_latitude(5);
  absl::StatusOr<ClientArea> area = ClientArea::Box(box, "box");
  ASSERT_FALSE(area.ok());
  EXPECT_EQ(area.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(area.status().message().find("box"), std::string::npos);
  box.mutable_low()->set_latitude(0);
  box.mutable_low()->set_longitude(170);
  box.mutable_high()->set_longitude(-150);  // 40 degrees across the antimeridian
  EXPECT_TRUE(ClientArea::Box(box, "box").ok());
  box.mutable_high()->set_longitude(-149);
  EXPECT_FALSE(ClientArea::Box(box, "box").ok());
}

TEST(ClientsOptions, DefaultsAndBoundsNamingTheField) {
  v1::HerdConfig config;
  absl::StatusOr<ClientsOptions> options = ClientsOptionsFrom(config);
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->index);
  EXPECT_EQ(options->watch.max_watchers, 1024u);
  EXPECT_EQ(options->watch.queue_events, 1024u);
  config.mutable_clients()->set_index(false);
  config.mutable_clients()->set_max_watchers(0);  // no watches at all
  ASSERT_TRUE(ClientsOptionsFrom(config).ok());
  EXPECT_FALSE(ClientsOptionsFrom(config)->index);
  config.mutable_clients()->set_max_watchers(100001);
  EXPECT_NE(ClientsOptionsFrom(config).status().message().find("clients.maxWatchers"),
            std::string::npos);
  config.mutable_clients()->set_max_watchers(10);
  config.mutable_clients()->set_watch_queue_events(0);
  EXPECT_NE(ClientsOptionsFrom(config).status().message().find("clients.watchQueueEvents"),
            std::string::npos);
}

}  // namespace
}  // namespace herd
