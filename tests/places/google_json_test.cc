#include "services/places/google_json.h"

#include <gtest/gtest.h>

#include "rapidjson/document.h"

namespace herd::places {
namespace {

std::string RenderText(const char* json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(json);
  EXPECT_FALSE(doc.HasParseError()) << json;
  return RenderGoogleJson(doc);
}

TEST(GoogleJsonTest, RendersGoogleStyle) {
  const std::string out =
      RenderText(R"({"html_attributions":[],"results":[{"geometry":{"location":{"lat":34.0522342,)"
                 R"("lng":-118.2436849}},"name":"Los Angeles","types":["locality","political"]}],)"
                 R"("status":"OK"})");
  EXPECT_EQ(out,
            "{\n"
            "   \"html_attributions\" : [],\n"
            "   \"results\" : [\n"
            "      {\n"
            "         \"geometry\" : {\n"
            "            \"location\" : {\n"
            "               \"lat\" : 34.0522342,\n"
            "               \"lng\" : -118.2436849\n"
            "            }\n"
            "         },\n"
            "         \"name\" : \"Los Angeles\",\n"
            "         \"types\" : [\n"
            "            \"locality\",\n"
            "            \"political\"\n"
            "         ]\n"
            "      }\n"
            "   ],\n"
            "   \"status\" : \"OK\"\n"
            "}");
}

TEST(GoogleJsonTest, ScalarsAndEmptyContainers) {
  EXPECT_EQ(RenderText(R"({"a":{},"b":[],"c":true,"d":null,"e":12,"f":-3,"g":0.5})"),
            "{\n   \"a\" : {},\n   \"b\" : [],\n   \"c\" : true,\n   \"d\" : null,\n"
            "   \"e\" : 12,\n   \"f\" : -3,\n   \"g\" : 0.5\n}");
  EXPECT_EQ(RenderText("[]"), "[]");
  EXPECT_EQ(RenderText("{}"), "{}");
}

TEST(GoogleJsonTest, StringsAreEscapedSoNoRawNewlineSurvives) {
  const std::string out = RenderText(R"({"s":"line1\nline2\n\n\"q\" \\ tab\t caf\u00e9 \u0001"})");
  EXPECT_EQ(out, "{\n   \"s\" : \"line1\\nline2\\n\\n\\\"q\\\" \\\\ tab\\t café \\u0001\"\n}");
  EXPECT_EQ(out.find("\n\n"), std::string::npos);
  EXPECT_NE(out.back(), '\n');
}

TEST(GoogleJsonTest, NumbersKeepShortestRoundTripForm) {
  EXPECT_EQ(RenderText(R"([1e300, 0.1, 100.0, 12345678901234])"),
            "[\n   1e300,\n   0.1,\n   100.0,\n   12345678901234\n]");
}

}  // namespace
}  // namespace herd::places
