#ifndef HERD_GATEWAY_COMMAND_PARSER_H_
#define HERD_GATEWAY_COMMAND_PARSER_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace herd::gateway {

// What one line of the legacy text protocol asks for. The string views point into the line.
struct Command {
  enum class Kind {
    kBlank,    // empty or only white space: ignored, no reply
    kInvalid,  // answered "? <line>"
    kIamat,    // IAMAT <client> <location> <time>
    kWhatsat,  // WHATSAT <client> <radius km> <count>
  };
  Kind kind = Kind::kInvalid;
  absl::string_view client_id;
  // IAMAT: exactly as the client wrote them (the reply copies them byte for byte).
  absl::string_view location;
  absl::string_view client_time;
  // WHATSAT.
  double radius_km = 0;
  uint32_t max_results = 0;
};

// The protocol's white space: space, \t, \n, \v, \f, \r.
bool IsProtocolSpace(char c);

// Splits on runs of protocol white space; leading and trailing white space yields no field.
std::vector<absl::string_view> SplitFields(absl::string_view line);

// Pure line -> command parser. IAMAT fields are validated with the node's own functions
// (ValidateClientId, ParseIso6709, ParseClientTime), so a line the gateway forwards is one the
// node accepts, and a bad one is answered without an RPC.
Command ParseCommand(absl::string_view line);

// WHATSAT bounds: a positive decimal number of kilometres, at most 50 (no sign other than an
// optional "+", no exponent, no inf/nan); an integer count from 1 to 20.
bool ParseRadiusKm(absl::string_view text, double* radius_km);
bool ParseResultCount(absl::string_view text, uint32_t* count);

inline constexpr int kMaxRadiusKm = 50;
inline constexpr uint32_t kMaxResults = 20;

}  // namespace herd::gateway

#endif  // HERD_GATEWAY_COMMAND_PARSER_H_
