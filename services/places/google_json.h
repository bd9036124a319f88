#ifndef HERD_SERVICES_PLACES_GOOGLE_JSON_H_
#define HERD_SERVICES_PLACES_GOOGLE_JSON_H_

#include <string>

#include "rapidjson/document.h"

namespace herd::places {

// Renders `value` the way Google's web services print JSON, which legacy WHATSAT clients
// expect byte for byte in shape:
//   {
//      "html_attributions" : [],
//      "results" : [
//         {
//            "name" : "Los Angeles",
// 3-space indentation, `"key" : value`, empty containers as `[]` / `{}`, no trailing newline
// and never two adjacent newlines (strings are escaped, so they cannot carry a raw newline).
// Numbers keep their shortest round-trip form (34.0522342 stays 34.0522342).
std::string RenderGoogleJson(const rapidjson::Value& value);

}  // namespace herd::places

#endif  // HERD_SERVICES_PLACES_GOOGLE_JSON_H_
