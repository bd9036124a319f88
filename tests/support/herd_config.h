#ifndef HERD_TESTS_SUPPORT_HERD_CONFIG_H_
#define HERD_TESTS_SUPPORT_HERD_CONFIG_H_

#include <string>
#include <utility>
#include <vector>

namespace herd::testing {

struct NodeAddresses {
  std::string name;
  std::string grpc_address;
  std::string text_address;
};

struct HerdSpec {
  std::vector<NodeAddresses> nodes;
  std::vector<std::pair<std::string, std::string>> links;
  std::string log_dir;
  int max_line_bytes = 0;      // 0: the default
  int request_timeout_ms = 0;  // 0: the default
  std::string places_json;     // raw JSON value of "places", empty for none
  std::string extra_json;      // more top-level members, e.g. R"("storage": {...})", or empty
};

// The herd config JSON for `spec`.
std::string HerdConfigJson(const HerdSpec& spec);

}  // namespace herd::testing

#endif  // HERD_TESTS_SUPPORT_HERD_CONFIG_H_
