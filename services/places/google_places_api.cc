#include "services/places/google_places_api.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "services/places/geo_math.h"
#include "services/places/google_json.h"
#include "services/places/legacy_nearby_json.h"

namespace herd::places {
namespace {

using rapidjson::Value;

constexpr unsigned kParseFlags =
    rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag;

std::string PercentEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.append(absl::StrFormat("%%%02X", c));
    }
  }
  return out;
}

// A printable excerpt of a body for error messages (bodies may be binary garbage).
std::string Excerpt(const std::string& body) {
  constexpr size_t kMax = 120;
  std::string out;
  for (size_t i = 0; i < body.size() && i < kMax; ++i) {
    const char c = body[i];
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (body.size() > kMax) out.append("...");
  return out;
}

absl::Status Malformed(GoogleApi api, const std::string& what) {
  return absl::UnavailableError(
      absl::StrCat(GoogleApiName(api), " returned an unusable answer: ", what));
}

const Value* Member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringMember(const Value& object, const char* name) {
  const Value* v = Member(object, name);
  return v != nullptr && v->IsString() ? std::string(v->GetString(), v->GetStringLength())
                                       : std::string();
}

bool NumberMember(const Value& object, const char* name, double* out) {
  const Value* v = Member(object, name);
  if (v == nullptr || !v->IsNumber()) return false;
  *out = v->GetDouble();
  return true;
}

std::vector<std::string> StringArray(const Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->IsArray()) return out;
  for (const Value& e : v->GetArray()) {
    if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
  }
  return out;
}

// google.rpc.Code names, as the New API's error.status carries them.
absl::StatusCode CodeFromRpcName(const std::string& name, long http_status) {
  static const std::pair<const char*, absl::StatusCode> kNames[] = {
      {"CANCELLED", absl::StatusCode::kCancelled},
      {"UNKNOWN", absl::StatusCode::kUnknown},
      {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
      {"DEADLINE_EXCEEDED", absl::StatusCode::kDeadlineExceeded},
      {"NOT_FOUND", absl::StatusCode::kNotFound},
      {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
      {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
      {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
      {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
      {"ABORTED", absl::StatusCode::kAborted},
      {"OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
      {"UNIMPLEMENTED", absl::StatusCode::kUnimplemented},
      {"INTERNAL", absl::StatusCode::kInternal},
      {"UNAVAILABLE", absl::StatusCode::kUnavailable},
      {"DATA_LOSS", absl::StatusCode::kDataLoss},
      {"UNAUTHENTICATED", absl::StatusCode::kUnauthenticated},
  };
  for (const auto& [n, code] : kNames) {
    if (name == n) return code;
  }
  if (http_status == 400) return absl::StatusCode::kInvalidArgument;
  if (http_status == 401) return absl::StatusCode::kUnauthenticated;
  if (http_status == 403) return absl::StatusCode::kPermissionDenied;
  if (http_status == 404) return absl::StatusCode::kNotFound;
  if (http_status == 429) return absl::StatusCode::kResourceExhausted;
  return absl::StatusCode::kUnavailable;
}

// Any non-2xx answer: Google's error object if the body has one, else the bare status.
absl::Status HttpError(GoogleApi api, const HttpResponse& response) {
  rapidjson::Document doc;
  doc.Parse<kParseFlags>(response.body.data(), response.body.size());
  if (!doc.HasParseError()) {
    if (const Value* error = Member(doc, "error"); error != nullptr && error->IsObject()) {
      const std::string status = StringMember(*error, "status");
      return absl::Status(
          CodeFromRpcName(status, response.status),
          absl::StrCat(GoogleApiName(api), " answered HTTP ", response.status,
                       status.empty() ? "" : " ", status, ": ", StringMember(*error, "message")));
    }
    if (const std::string status = StringMember(doc, "status"); !status.empty()) {
      return absl::Status(CodeFromRpcName("", response.status),
                          absl::StrCat(GoogleApiName(api), " answered HTTP ", response.status, " ",
                                       status, ": ", StringMember(doc, "error_message")));
    }
  }
  return absl::Status(CodeFromRpcName("", response.status),
                      absl::StrCat(GoogleApiName(api), " answered HTTP ", response.status,
                                   response.body.empty() ? "" : ": ", Excerpt(response.body)));
}

absl::Status ParseJson(GoogleApi api, const HttpResponse& response, rapidjson::Document* doc) {
  doc->Parse<kParseFlags>(response.body.data(), response.body.size());
  if (doc->HasParseError()) {
    return Malformed(
        api,
        absl::StrCat("not JSON (", rapidjson::GetParseError_En(doc->GetParseError()), " at offset ",
                     doc->GetErrorOffset(), "): \"", Excerpt(response.body), "\""));
  }
  if (!doc->IsObject()) return Malformed(api, "not a JSON object");
  return absl::OkStatus();
}

absl::StatusOr<PlacesAnswer> ParseLegacy(const HttpResponse& response, const NearbyQuery& query,
                                         int max_results) {
  constexpr GoogleApi api = GoogleApi::kNearbySearchLegacy;
  rapidjson::Document doc;
  if (absl::Status s = ParseJson(api, response, &doc); !s.ok()) return s;
  const std::string status = StringMember(doc, "status");
  if (status.empty()) return Malformed(api, "no \"status\"");
  if (status != "OK" && status != "ZERO_RESULTS") {
    absl::StatusCode code = absl::StatusCode::kUnavailable;  // UNKNOWN_ERROR: retry later
    if (status == "REQUEST_DENIED") code = absl::StatusCode::kPermissionDenied;
    if (status == "OVER_QUERY_LIMIT") code = absl::StatusCode::kResourceExhausted;
    if (status == "INVALID_REQUEST") code = absl::StatusCode::kInvalidArgument;
    if (status == "NOT_FOUND") code = absl::StatusCode::kNotFound;
    const std::string message = StringMember(doc, "error_message");
    return absl::Status(code, absl::StrCat(GoogleApiName(api), " answered ", status,
                                           message.empty() ? "" : ": ", message));
  }

  Value* results = nullptr;
  if (auto it = doc.FindMember("results"); it != doc.MemberEnd()) results = &it->value;
  if (results == nullptr && status == "OK") return Malformed(api, "status OK without \"results\"");
  if (results != nullptr && !results->IsArray()) return Malformed(api, "\"results\" is not a list");

  PlacesAnswer answer;
  if (results != nullptr) {
    const auto keep = std::min<rapidjson::SizeType>(results->Size(),
                                                    static_cast<rapidjson::SizeType>(max_results));
    // (Erase on an empty range would memmove from null inside rapidjson.)
    if (keep < results->Size()) results->Erase(results->Begin() + keep, results->End());
    for (rapidjson::SizeType i = 0; i < results->Size(); ++i) {
      const Value& r = (*results)[i];
      const Value* geometry = Member(r, "geometry");
      const Value* location = geometry != nullptr ? Member(*geometry, "location") : nullptr;
      Place place;
      if (location == nullptr || !NumberMember(*location, "lat", &place.latitude) ||
          !NumberMember(*location, "lng", &place.longitude) ||
          !ValidLatLng(place.latitude, place.longitude)) {
        return Malformed(api, absl::StrCat("results[", i, "] has no valid geometry.location"));
      }
      place.place_id = StringMember(r, "place_id");
      place.name = StringMember(r, "name");
      place.types = StringArray(Member(r, "types"));
      place.vicinity = StringMember(r, "vicinity");
      place.distance_m =
          DistanceMeters(query.latitude, query.longitude, place.latitude, place.longitude);
      answer.places.push_back(std::move(place));
    }
  }
  // Google's own answer, cut to the count and re-rendered in its own style.
  answer.legacy_json = RenderGoogleJson(doc);
  return answer;
}

absl::StatusOr<PlacesAnswer> ParseNew(const HttpResponse& response, const NearbyQuery& query,
                                      int max_results) {
  constexpr GoogleApi api = GoogleApi::kPlacesNew;
  rapidjson::Document doc;
  if (absl::Status s = ParseJson(api, response, &doc); !s.ok()) return s;
  if (const Value* error = Member(doc, "error"); error != nullptr) return HttpError(api, response);
  const Value* places = Member(doc, "places");  // absent when nothing is near
  if (places != nullptr && !places->IsArray()) return Malformed(api, "\"places\" is not a list");

  PlacesAnswer answer;
  if (places != nullptr) {
    for (rapidjson::SizeType i = 0; i < places->Size() && i < static_cast<unsigned>(max_results);
         ++i) {
      const Value& p = (*places)[i];
      const Value* location = Member(p, "location");
      Place place;
      if (location == nullptr || !NumberMember(*location, "latitude", &place.latitude) ||
          !NumberMember(*location, "longitude", &place.longitude) ||
          !ValidLatLng(place.latitude, place.longitude)) {
        return Malformed(api, absl::StrCat("places[", i, "] has no valid location"));
      }
      place.place_id = StringMember(p, "id");
      if (place.place_id.empty()) return Malformed(api, absl::StrCat("places[", i, "] has no id"));
      if (const Value* display = Member(p, "displayName"); display != nullptr) {
        place.name = StringMember(*display, "text");
      }
      place.types = StringArray(Member(p, "types"));
      place.vicinity = StringMember(p, "shortFormattedAddress");
      if (place.vicinity.empty()) place.vicinity = StringMember(p, "formattedAddress");
      place.distance_m =
          DistanceMeters(query.latitude, query.longitude, place.latitude, place.longitude);
      answer.places.push_back(std::move(place));
    }
  }
  answer.legacy_json = RenderLegacyNearbyJson(answer.places, {});
  return answer;
}

}  // namespace

const char* GoogleApiName(GoogleApi api) {
  return api == GoogleApi::kNearbySearchLegacy ? "Google Places Nearby Search (legacy)"
                                               : "Google Places API (New)";
}

HttpRequest BuildGoogleRequest(GoogleApi api, const std::string& base_url,
                               const std::string& api_key, const NearbyQuery& query,
                               absl::Duration timeout) {
  HttpRequest request;
  request.description = GoogleApiName(api);
  request.timeout = timeout;
  if (api == GoogleApi::kNearbySearchLegacy) {
    // The legacy API wants whole metres (1..50000).
    const double radius = std::max(1.0, std::round(query.radius_m));
    request.method = "GET";
    request.url =
        absl::StrFormat("%s/maps/api/place/nearbysearch/json?location=%.7f,%.7f&radius=%.0f&key=%s",
                        base_url, query.latitude, query.longitude, radius, PercentEncode(api_key));
    return request;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("maxResultCount");
  w.Int(kPlacesNewMaxResultCount);
  w.Key("locationRestriction");
  w.StartObject();
  w.Key("circle");
  w.StartObject();
  w.Key("center");
  w.StartObject();
  w.Key("latitude");
  w.Double(query.latitude);
  w.Key("longitude");
  w.Double(query.longitude);
  w.EndObject();
  w.Key("radius");
  w.Double(query.radius_m);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  request.method = "POST";
  request.url = absl::StrCat(base_url, "/v1/places:searchNearby");
  request.headers = {"Content-Type: application/json", absl::StrCat("X-Goog-Api-Key: ", api_key),
                     absl::StrCat("X-Goog-FieldMask: ", kPlacesNewFieldMask)};
  request.body.assign(buffer.GetString(), buffer.GetSize());
  return request;
}

absl::StatusOr<PlacesAnswer> ParseGoogleAnswer(GoogleApi api, const HttpResponse& response,
                                               const NearbyQuery& query, int max_results) {
  if (response.status < 200 || response.status > 299) return HttpError(api, response);
  if (max_results < 1) max_results = 1;
  return api == GoogleApi::kNearbySearchLegacy ? ParseLegacy(response, query, max_results)
                                               : ParseNew(response, query, max_results);
}

}  // namespace herd::places
