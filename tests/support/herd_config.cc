#include "tests/support/herd_config.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace herd::testing {

std::string HerdConfigJson(const HerdSpec& spec) {
  std::vector<std::string> nodes;
  for (const NodeAddresses& node : spec.nodes) {
    nodes.push_back(absl::StrCat(R"({"name": ")", node.name, R"(", "grpcAddress": ")",
                                 node.grpc_address, R"(", "textAddress": ")", node.text_address,
                                 R"("})"));
  }
  std::vector<std::string> links;
  for (const auto& [a, b] : spec.links) {
    links.push_back(absl::StrCat(R"({"nodes": [")", a, R"(", ")", b, R"("]})"));
  }
  std::vector<std::string> gateway;
  if (spec.max_line_bytes > 0)
    gateway.push_back(absl::StrCat(R"("maxLineBytes": )", spec.max_line_bytes));
  if (spec.request_timeout_ms > 0) {
    gateway.push_back(absl::StrCat(R"("requestTimeoutMs": )", spec.request_timeout_ms));
  }
  std::string json =
      absl::StrCat("{\n  \"nodes\": [", absl::StrJoin(nodes, ",\n    "), "],\n  \"links\": [",
                   absl::StrJoin(links, ", "), "],\n  \"logDir\": \"", spec.log_dir,
                   "\",\n  \"gateway\": {", absl::StrJoin(gateway, ", "), "}");
  if (!spec.places_json.empty()) absl::StrAppend(&json, ",\n  \"places\": ", spec.places_json);
  if (!spec.extra_json.empty()) absl::StrAppend(&json, ",\n  ", spec.extra_json);
  absl::StrAppend(&json, "\n}\n");
  return json;
}

}  // namespace herd::testing
