#include "services/places/legacy_nearby_json.h"

#include "rapidjson/document.h"
#include "services/places/google_json.h"

namespace herd::places {
namespace {

rapidjson::Value StringValue(const std::string& s, rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value v;
  v.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
  return v;
}

}  // namespace

std::string RenderLegacyNearbyJson(const std::vector<Place>& places,
                                   const std::vector<std::string>& html_attributions) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();

  rapidjson::Value attributions(rapidjson::kArrayType);
  for (const std::string& a : html_attributions)
    attributions.PushBack(StringValue(a, alloc), alloc);

  rapidjson::Value results(rapidjson::kArrayType);
  for (const Place& place : places) {
    rapidjson::Value location(rapidjson::kObjectType);
    location.AddMember("lat", place.latitude, alloc);
    location.AddMember("lng", place.longitude, alloc);
    rapidjson::Value geometry(rapidjson::kObjectType);
    geometry.AddMember("location", location, alloc);
    rapidjson::Value types(rapidjson::kArrayType);
    for (const std::string& t : place.types) types.PushBack(StringValue(t, alloc), alloc);

    rapidjson::Value result(rapidjson::kObjectType);
    result.AddMember("geometry", geometry, alloc);
    result.AddMember("name", StringValue(place.name, alloc), alloc);
    result.AddMember("place_id", StringValue(place.place_id, alloc), alloc);
    result.AddMember("types", types, alloc);
    result.AddMember("vicinity", StringValue(place.vicinity, alloc), alloc);
    results.PushBack(result, alloc);
  }

  doc.AddMember("html_attributions", attributions, alloc);
  doc.AddMember("results", results, alloc);
  doc.AddMember("status", rapidjson::StringRef(places.empty() ? "ZERO_RESULTS" : "OK"), alloc);
  return RenderGoogleJson(doc);
}

}  // namespace herd::places
