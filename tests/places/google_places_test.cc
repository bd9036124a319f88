// The Google provider against a real HTTP/1.1 server on loopback that speaks both Google
// formats, through the real libcurl client.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "rapidjson/document.h"
#include "services/places/google_places_provider.h"
#include "tests/places/fake_http_server.h"
#include "tests/places/search_waiter.h"

namespace herd::places {
namespace {

using testing::CannedResponse;
using testing::FakeHttpServer;
using testing::SearchAndWait;
using testing::SearchWaiter;
using testing::SeenRequest;

constexpr char kLegacyPath[] = "/maps/api/place/nearbysearch/json";
constexpr char kNewPath[] = "/v1/places:searchNearby";

// A legacy answer exactly as Google prints it (Google style), three results.
constexpr char kLegacyOk[] = R"({
   "html_attributions" : [],
   "next_page_token" : "AcJnYW-test-token",
   "results" : [
      {
         "business_status" : "OPERATIONAL",
         "geometry" : {
            "location" : {
               "lat" : 34.068921,
               "lng" : -118.4451811
            },
            "viewport" : {
               "northeast" : {
                  "lat" : 34.0823,
                  "lng" : -118.4365
               },
               "southwest" : {
                  "lat" : 34.0588,
                  "lng" : -118.4534
               }
            }
         },
         "name" : "University of California, Los Angeles",
         "place_id" : "ChIJZQ9c8IW8woARN0gTXFiTqSU",
         "rating" : 4.6,
         "types" : [
            "university",
            "point_of_interest",
            "establishment"
         ],
         "user_ratings_total" : 6312,
         "vicinity" : "405 Hilgard Avenue, Los Angeles"
      },
      {
         "geometry" : {
            "location" : {
               "lat" : 34.0635016,
               "lng" : -118.4455164
            }
         },
         "name" : "Westwood",
         "place_id" : "ChIJcQ9c8IW8woARwestwood",
         "types" : [
            "neighborhood",
            "political"
         ],
         "vicinity" : "Los Angeles"
      },
      {
         "geometry" : {
            "location" : {
               "lat" : 34.0728868,
               "lng" : -118.4421703
            }
         },
         "name" : "Royce Hall",
         "photos" : [],
         "place_id" : "ChIJroyce",
         "types" : [
            "tourist_attraction",
            "point_of_interest"
         ],
         "vicinity" : "10745 Dickson Plaza, Los Angeles"
      }
   ],
   "status" : "OK"
})";

constexpr char kLegacyZero[] = R"({
   "html_attributions" : [],
   "results" : [],
   "status" : "ZERO_RESULTS"
})";

constexpr char kNewOk[] = R"({
  "places": [
    {
      "id": "ChIJZQ9c8IW8woARN0gTXFiTqSU",
      "types": ["university", "point_of_interest", "establishment"],
      "formattedAddress": "Los Angeles, CA 90095, USA",
      "location": {"latitude": 34.068921, "longitude": -118.4451811},
      "displayName": {"text": "University of California, Los Angeles", "languageCode": "en"},
      "shortFormattedAddress": "Los Angeles"
    },
    {
      "id": "ChIJroyce",
      "types": ["tourist_attraction"],
      "formattedAddress": "10745 Dickson Plaza, Los Angeles, CA 90095, USA",
      "location": {"latitude": 34.0728868, "longitude": -118.4421703},
      "displayName": {"text": "Royce Hall", "languageCode": "en"}
    }
  ]
}
)";

constexpr char kNewDenied[] = R"({
  "error": {
    "code": 403,
    "message": "Places API (New) has not been used in project 1234 before or it is disabled.",
    "status": "PERMISSION_DENIED"
  }
}
)";

std::string LegacyError(const std::string& status, const std::string& message) {
  return absl::StrCat(R"({"html_attributions":[],"results":[],"status":")", status,
                      R"(","error_message":")", message, R"("})");
}

CannedResponse Ok(const std::string& body) { return CannedResponse{200, body}; }

// libcurl honours proxy variables; the fake server is on loopback, so none may apply here.
class NoProxyEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    for (const char* name :
         {"http_proxy", "https_proxy", "all_proxy", "ALL_PROXY", "HTTPS_PROXY"}) {
      unsetenv(name);
    }
  }
};
const ::testing::Environment* const kNoProxy =
    ::testing::AddGlobalTestEnvironment(new NoProxyEnvironment);

class GooglePlacesTest : public ::testing::Test {
 protected:
  std::unique_ptr<GooglePlacesProvider> Make(GoogleApi api, const std::string& base_url,
                                             absl::Duration timeout = absl::Seconds(3)) {
    GooglePlacesOptions options;
    options.api = api;
    options.base_url = base_url;
    options.api_key = "test key/+";
    options.timeout = timeout;
    options.cache_ttl = absl::Seconds(60);
    options.max_body_bytes = max_body_bytes_;
    options.clock = [this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    };
    auto provider = GooglePlacesProvider::Create(std::move(options));
    EXPECT_TRUE(provider.ok()) << provider.status();
    return *std::move(provider);
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&clock_mu_);
    now_ += d;
  }

  size_t max_body_bytes_ = 4 << 20;
  absl::Mutex clock_mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(GooglePlacesTest, LegacySuccessPassesGoogleJsonThroughCutToCount) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyOk); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());

  auto all = SearchAndWait(*google, 34.068930, -118.445127, 1000, 20);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->legacy_json, kLegacyOk);  // Google style in, the same bytes out

  auto two = SearchAndWait(*google, 34.068930, -118.445127, 1500, 2);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->places.size(), 2u);
  EXPECT_EQ(two->places[0].place_id, "ChIJZQ9c8IW8woARN0gTXFiTqSU");
  EXPECT_EQ(two->places[0].name, "University of California, Los Angeles");
  EXPECT_DOUBLE_EQ(two->places[0].latitude, 34.068921);
  EXPECT_DOUBLE_EQ(two->places[0].longitude, -118.4451811);
  EXPECT_EQ(two->places[0].types,
            (std::vector<std::string>{"university", "point_of_interest", "establishment"}));
  EXPECT_EQ(two->places[0].vicinity, "405 Hilgard Avenue, Los Angeles");
  EXPECT_NEAR(two->places[0].distance_m, 5.08, 0.05);
  EXPECT_NEAR(two->places[1].distance_m, 604.7, 0.5);
  rapidjson::Document doc;
  doc.Parse(two->legacy_json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(doc["results"].Size(), 2u);
  EXPECT_STREQ(doc["status"].GetString(), "OK");
  EXPECT_STREQ(doc["next_page_token"].GetString(), "AcJnYW-test-token");
  EXPECT_TRUE(absl::StrContains(two->legacy_json, "\"user_ratings_total\" : 6312,"));
  EXPECT_FALSE(absl::StrContains(two->legacy_json, "Royce Hall"));
  EXPECT_EQ(two->legacy_json.find("\n\n"), std::string::npos);
}

TEST_F(GooglePlacesTest, LegacyRequestCarriesLocationRadiusAndKey) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyZero); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  ASSERT_TRUE(SearchAndWait(*google, 34.06893, -118.445127, 10000, 5).ok());
  ASSERT_EQ(server.requests().size(), 1u);
  const std::vector<SeenRequest> seen = server.requests();
  const SeenRequest& r = seen[0];
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, absl::StrCat(kLegacyPath,
                                   "?location=34.0689300,-118.4451270&radius=10000"
                                   "&key=test%20key%2F%2B"));
}

TEST_F(GooglePlacesTest, LegacyZeroResultsIsAnAnswer) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyZero); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  auto answer = SearchAndWait(*google, 0, -140, 50000, 5);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->places.empty());
  EXPECT_EQ(answer->legacy_json, kLegacyZero);
}

TEST_F(GooglePlacesTest, LegacyErrorStatusesBecomeClearErrors) {
  struct Case {
    const char* status;
    absl::StatusCode code;
  } cases[] = {{"REQUEST_DENIED", absl::StatusCode::kPermissionDenied},
               {"OVER_QUERY_LIMIT", absl::StatusCode::kResourceExhausted},
               {"INVALID_REQUEST", absl::StatusCode::kInvalidArgument},
               {"UNKNOWN_ERROR", absl::StatusCode::kUnavailable}};
  for (const Case& c : cases) {
    FakeHttpServer server([&](const SeenRequest&) {
      return Ok(LegacyError(c.status, "The provided API key is invalid."));
    });
    auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
    auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
    EXPECT_EQ(answer.status().code(), c.code) << answer.status();
    EXPECT_TRUE(absl::StrContains(answer.status().message(), "Google Places"));
    EXPECT_TRUE(absl::StrContains(answer.status().message(), c.status));
    EXPECT_TRUE(absl::StrContains(answer.status().message(), "The provided API key is invalid."));
    // Errors are not cached: the next search asks again.
    (void)SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
    EXPECT_EQ(server.requests().size(), 2u);
  }
}

TEST_F(GooglePlacesTest, NewApiRequestAndAnswerMapToTheLegacyShape) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kNewOk); });
  auto google = Make(GoogleApi::kPlacesNew, server.base_url());
  auto answer = SearchAndWait(*google, 34.06893, -118.445127, 2500.5, 5);
  ASSERT_TRUE(answer.ok()) << answer.status();

  ASSERT_EQ(server.requests().size(), 1u);
  const std::vector<SeenRequest> seen = server.requests();
  const SeenRequest& r = seen[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, kNewPath);
  EXPECT_EQ(r.headers.at("x-goog-api-key"), "test key/+");
  EXPECT_EQ(r.headers.at("x-goog-fieldmask"), kPlacesNewFieldMask);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  rapidjson::Document body;
  body.Parse(r.body.c_str());
  ASSERT_FALSE(body.HasParseError()) << r.body;
  EXPECT_EQ(body["maxResultCount"].GetInt(), 20);
  const auto& circle = body["locationRestriction"]["circle"];
  EXPECT_DOUBLE_EQ(circle["center"]["latitude"].GetDouble(), 34.06893);
  EXPECT_DOUBLE_EQ(circle["center"]["longitude"].GetDouble(), -118.445127);
  EXPECT_DOUBLE_EQ(circle["radius"].GetDouble(), 2500.5);

  ASSERT_EQ(answer->places.size(), 2u);
  EXPECT_EQ(answer->places[0].place_id, "ChIJZQ9c8IW8woARN0gTXFiTqSU");
  EXPECT_EQ(answer->places[0].name, "University of California, Los Angeles");
  EXPECT_EQ(answer->places[0].vicinity, "Los Angeles");
  EXPECT_EQ(answer->places[1].vicinity, "10745 Dickson Plaza, Los Angeles, CA 90095, USA");
  EXPECT_NEAR(answer->places[1].distance_m, 517.44, 0.05);
  EXPECT_EQ(answer->legacy_json,
            "{\n"
            "   \"html_attributions\" : [],\n"
            "   \"results\" : [\n"
            "      {\n"
            "         \"geometry\" : {\n"
            "            \"location\" : {\n"
            "               \"lat\" : 34.068921,\n"
            "               \"lng\" : -118.4451811\n"
            "            }\n"
            "         },\n"
            "         \"name\" : \"University of California, Los Angeles\",\n"
            "         \"place_id\" : \"ChIJZQ9c8IW8woARN0gTXFiTqSU\",\n"
            "         \"types\" : [\n"
            "            \"university\",\n"
            "            \"point_of_interest\",\n"
            "            \"establishment\"\n"
            "         ],\n"
            "         \"vicinity\" : \"Los Angeles\"\n"
            "      },\n"
            "      {\n"
            "         \"geometry\" : {\n"
            "            \"location\" : {\n"
            "               \"lat\" : 34.0728868,\n"
            "               \"lng\" : -118.4421703\n"
            "            }\n"
            "         },\n"
            "         \"name\" : \"Royce Hall\",\n"
            "         \"place_id\" : \"ChIJroyce\",\n"
            "         \"types\" : [\n"
            "            \"tourist_attraction\"\n"
            "         ],\n"
            "         \"vicinity\" : \"10745 Dickson Plaza, Los Angeles, CA 90095, USA\"\n"
            "      }\n"
            "   ],\n"
            "   \"status\" : \"OK\"\n"
            "}");

  // The cached 20-result answer serves a smaller count without asking again.
  auto one = SearchAndWait(*google, 34.06893, -118.445127, 2500.5, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->places.size(), 1u);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(GooglePlacesTest, NewApiEmptyAnswerIsZeroResults) {
  FakeHttpServer server([](const SeenRequest&) { return Ok("{}"); });
  auto google = Make(GoogleApi::kPlacesNew, server.base_url());
  auto answer = SearchAndWait(*google, 0, -140, 50000, 5);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_TRUE(answer->places.empty());
  EXPECT_EQ(answer->legacy_json,
            "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n"
            "   \"status\" : \"ZERO_RESULTS\"\n}");
}

TEST_F(GooglePlacesTest, NewApiErrorFormBecomesClearError) {
  FakeHttpServer server([](const SeenRequest&) { return CannedResponse{403, kNewDenied}; });
  auto google = Make(GoogleApi::kPlacesNew, server.base_url());
  auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kPermissionDenied) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "Google Places API (New)"));
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "HTTP 403 PERMISSION_DENIED"));
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "has not been used in project"));

  server.set_handler([](const SeenRequest&) {
    return CannedResponse{429, R"({"error":{"code":429,"message":"Quota exceeded",)"
                               R"("status":"RESOURCE_EXHAUSTED"}})"};
  });
  answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "Quota exceeded"));
}

TEST_F(GooglePlacesTest, Http500IsUnavailableForBothApis) {
  FakeHttpServer server([](const SeenRequest&) {
    return CannedResponse{500, "Internal error, try later", "text/plain"};
  });
  for (GoogleApi api : {GoogleApi::kNearbySearchLegacy, GoogleApi::kPlacesNew}) {
    auto google = Make(api, server.base_url());
    auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
    EXPECT_TRUE(absl::StrContains(answer.status().message(), "HTTP 500")) << answer.status();
    EXPECT_TRUE(absl::StrContains(answer.status().message(), GoogleApiName(api)));
  }
}

TEST_F(GooglePlacesTest, SlowAnswerPastTheTimeoutIsDeadlineExceeded) {
  FakeHttpServer server([](const SeenRequest&) {
    CannedResponse r = Ok(kLegacyOk);
    r.delay = absl::Seconds(5);
    return r;
  });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url(), absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kDeadlineExceeded) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "Google Places")) << answer.status();
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(3));
}

TEST_F(GooglePlacesTest, GarbageBodyIsUnavailable) {
  static constexpr char kGarbage[] = "<html>\x00\xff\x01 not json";
  FakeHttpServer server([](const SeenRequest&) {
    return CannedResponse{200, std::string(kGarbage, sizeof(kGarbage) - 1), "text/html"};
  });
  for (GoogleApi api : {GoogleApi::kNearbySearchLegacy, GoogleApi::kPlacesNew}) {
    auto google = Make(api, server.base_url());
    auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
    EXPECT_TRUE(absl::StrContains(answer.status().message(), "not JSON")) << answer.status();
  }
  // Invalid UTF-8 inside otherwise valid JSON is refused too (it could not go into a proto).
  server.set_handler([](const SeenRequest&) {
    return Ok("{\"status\":\"OK\",\"results\":[{\"name\":\"\xC3\x28\"}]}");
  });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  EXPECT_EQ(SearchAndWait(*google, 1, 1, 1000, 5).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(GooglePlacesTest, JsonWithoutTheExpectedFieldsIsUnavailable) {
  const std::pair<GoogleApi, std::string> cases[] = {
      {GoogleApi::kNearbySearchLegacy, R"({"hello":"world"})"},
      {GoogleApi::kNearbySearchLegacy, R"([1,2,3])"},
      {GoogleApi::kNearbySearchLegacy, R"({"status":"OK"})"},
      {GoogleApi::kNearbySearchLegacy, R"({"status":"OK","results":{}})"},
      {GoogleApi::kNearbySearchLegacy, R"({"status":"OK","results":[{"name":"x"}]})"},
      {GoogleApi::kNearbySearchLegacy,
       R"({"status":"OK","results":[{"geometry":{"location":{"lat":"34","lng":1}}}]})"},
      {GoogleApi::kPlacesNew, R"({"places":{}})"},
      {GoogleApi::kPlacesNew, R"({"places":[{"id":"x"}]})"},
      {GoogleApi::kPlacesNew, R"({"places":[{"location":{"latitude":1,"longitude":2}}]})"},
      {GoogleApi::kPlacesNew,
       R"({"places":[{"id":"x","location":{"latitude":95,"longitude":2}}]})"},
  };
  FakeHttpServer server([](const SeenRequest&) { return Ok("{}"); });
  for (const auto& [api, body] : cases) {
    server.set_handler([body = body](const SeenRequest&) { return Ok(body); });
    auto google = Make(api, server.base_url());
    auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
    EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << body;
    EXPECT_TRUE(absl::StrContains(answer.status().message(), "unusable answer")) << answer.status();
  }
}

TEST_F(GooglePlacesTest, ConnectionRefusedIsUnavailable) {
  auto google = Make(GoogleApi::kNearbySearchLegacy,
                     absl::StrCat("http://127.0.0.1:", testing::ClosedLoopbackPort()));
  auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kUnavailable) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "Google Places")) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "connect")) << answer.status();
}

TEST_F(GooglePlacesTest, ReusesOneConnectionForSuccessiveRequests) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyOk); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  ASSERT_TRUE(SearchAndWait(*google, 34.0689, -118.4452, 1000, 5).ok());
  ASSERT_TRUE(SearchAndWait(*google, 34.0700, -118.4452, 1000, 5).ok());  // not cached
  ASSERT_TRUE(SearchAndWait(*google, 34.0710, -118.4452, 1000, 5).ok());
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST_F(GooglePlacesTest, CacheAnswersRepeatsUntilTheTtl) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyOk); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  auto first = SearchAndWait(*google, 34.0689, -118.4452, 1000, 3);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(server.requests().size(), 1u);

  Advance(absl::Seconds(30));
  SearchWaiter waiter;
  google->SearchNearby(34.0689, -118.4452, 1000, 3, waiter.Callback());
  EXPECT_TRUE(waiter.HasAnswer());  // a cache hit answers inline
  auto second = waiter.Wait();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->legacy_json, first->legacy_json);
  EXPECT_EQ(server.requests().size(), 1u);

  // Another radius is another question.
  ASSERT_TRUE(SearchAndWait(*google, 34.0689, -118.4452, 2000, 3).ok());
  EXPECT_EQ(server.requests().size(), 2u);

  Advance(absl::Seconds(31));  // past the 60 s TTL of the first answer
  ASSERT_TRUE(SearchAndWait(*google, 34.0689, -118.4452, 1000, 3).ok());
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(GooglePlacesTest, ASlowSearchDoesNotHoldUpOthers) {
  FakeHttpServer server([](const SeenRequest& r) {
    CannedResponse response = Ok(kLegacyOk);
    if (absl::StrContains(r.target, "radius=4000")) response.delay = absl::Milliseconds(1500);
    return response;
  });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  SearchWaiter slow;
  google->SearchNearby(34.0689, -118.4452, 4000, 5, slow.Callback());
  const absl::Time start = absl::Now();
  auto fast = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  ASSERT_TRUE(fast.ok()) << fast.status();
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(1000));
  EXPECT_FALSE(slow.HasAnswer());
  EXPECT_TRUE(slow.Wait().ok());
}

TEST_F(GooglePlacesTest, ManyConcurrentSearchesAllComplete) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyOk); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  std::vector<SearchWaiter> waiters(40);
  for (size_t i = 0; i < waiters.size(); ++i) {
    google->SearchNearby(34.0 + i * 0.001, -118.4452, 1000, 2, waiters[i].Callback());
  }
  for (SearchWaiter& w : waiters) {
    auto answer = w.Wait();
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->places.size(), 2u);
    EXPECT_EQ(w.calls(), 1);
  }
  EXPECT_EQ(server.requests().size(), 40u);
}

TEST_F(GooglePlacesTest, DestructionCancelsPendingSearches) {
  FakeHttpServer server([](const SeenRequest&) {
    CannedResponse r = Ok(kLegacyOk);
    r.delay = absl::Seconds(10);
    return r;
  });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url(), absl::Seconds(30));
  SearchWaiter waiter;
  google->SearchNearby(34.0689, -118.4452, 1000, 5, waiter.Callback());
  absl::SleepFor(absl::Milliseconds(200));  // let the request reach the server
  const absl::Time start = absl::Now();
  google.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  ASSERT_TRUE(waiter.HasAnswer());
  EXPECT_EQ(waiter.Wait().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(waiter.calls(), 1);
}

TEST_F(GooglePlacesTest, OversizedBodyIsResourceExhausted) {
  max_body_bytes_ = 4096;
  FakeHttpServer server([](const SeenRequest&) {
    return Ok(
        absl::StrCat(R"({"status":"OK","results":[],"pad":")", std::string(100000, 'x'), "\"}"));
  });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  auto answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "4096 bytes")) << answer.status();

  // Without a Content-Length the limit is enforced while the body streams in.
  server.set_handler([](const SeenRequest&) {
    CannedResponse r =
        Ok(absl::StrCat(R"({"status":"OK","results":[],"pad":")", std::string(100000, 'x'), "\"}"));
    r.chunked = true;
    return r;
  });
  answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  EXPECT_EQ(answer.status().code(), absl::StatusCode::kResourceExhausted) << answer.status();
  EXPECT_TRUE(absl::StrContains(answer.status().message(), "4096 bytes")) << answer.status();

  // And a chunked answer under the limit is read whole.
  server.set_handler([](const SeenRequest&) {
    CannedResponse r = Ok(kLegacyZero);
    r.chunked = true;
    return r;
  });
  answer = SearchAndWait(*google, 34.0689, -118.4452, 1000, 5);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->legacy_json, kLegacyZero);
}

TEST_F(GooglePlacesTest, BadArgumentsNeverReachTheNetwork) {
  FakeHttpServer server([](const SeenRequest&) { return Ok(kLegacyOk); });
  auto google = Make(GoogleApi::kNearbySearchLegacy, server.base_url());
  EXPECT_EQ(SearchAndWait(*google, NAN, 0, 1000, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchAndWait(*google, 0, 200, 1000, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchAndWait(*google, 0, 0, -1, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchAndWait(*google, 0, 0, INFINITY, 5).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SearchAndWait(*google, 0, 0, 1000, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace herd::places
