#include "tools/herdctl/options.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace herd::herdctl {

const char kUsage[] =
    "usage: herdctl [--config FILE | --address HOST:PORT] [--node NAME] [--json]\n"
    "               [--timeout MS] [--ca FILE [--cert FILE --key FILE]] COMMAND [ARGS]\n"
    "commands:\n"
    "  status                             every node: up/down, stamps, digest, linked peers\n"
    "  get CLIENT                         the client's latest stamp\n"
    "  report CLIENT LOCATION [TIME]      report a location (ISO 6709); TIME defaults to now\n"
    "  near CLIENT|LAT,LNG RADIUS_KM COUNT  places near a client or coordinates\n"
    "  watch [--interval S] [--count N]   status, refreshed in place until interrupted\n"
    "  clients CLIENT|LAT,LNG RADIUS_KM COUNT  the clients nearest a client or coordinates\n"
    "  watch-area LAT,LNG RADIUS_KM [--count N]  ENTER/MOVE/EXIT of clients in the circle,\n"
    "                                     until interrupted (or N events)\n"
    "The config defaults to deploy/herd.json of the source tree herdctl was built from.\n"
    "get/report/near/clients/watch-area ask --node, or the config's nodes in order until one "
    "answers.\n"
    "--timeout: deadline of each call (default 3000 ms). --json: one JSON document per answer.\n"
    "TLS: a config with \"tls\" is reached over TLS trusting its CA (or --ca FILE); --cert and\n"
    "--key present a certificate where the herd requires one. With --address, --ca turns TLS on\n"
    "and --node NAME is the name the node's certificate must carry.\n"
    "Exit status: 0 ok; 1 a node is down or a call failed; 2 bad usage; 3 (status) every node\n"
    "is up but their stores differ.\n";

namespace {

constexpr int kMaxTimeoutMs = 60000;
constexpr double kMinIntervalSeconds = 0.2, kMaxIntervalSeconds = 60;

absl::Status Bad(absl::string_view why) { return absl::InvalidArgumentError(why); }

}  // namespace

absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options options;
  const std::map<std::string, std::string*> string_flags = {
      {"--config", &options.config}, {"--address", &options.address}, {"--node", &options.node},
      {"--ca", &options.ca_file},    {"--cert", &options.cert_file},  {"--key", &options.key_file}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "help") {
      options.help = true;
      continue;
    }
    if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
      std::string value;
      size_t equals = arg.find('=');
      if (equals != std::string::npos) {
        value = arg.substr(equals + 1);
        arg = arg.substr(0, equals);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return Bad(absl::StrCat(arg, " needs a value"));
      }
      if (auto it = string_flags.find(arg); it != string_flags.end()) {
        if (value.empty()) return Bad(absl::StrCat(arg, " needs a value"));
        *it->second = value;
      } else if (arg == "--timeout") {
        int ms = 0;
        if (!absl::SimpleAtoi(value, &ms) || ms < 1 || ms > kMaxTimeoutMs) {
          return Bad(absl::StrCat("--timeout: milliseconds from 1 to ", kMaxTimeoutMs, ", not \"",
                                  value, "\""));
        }
        options.timeout = absl::Milliseconds(ms);
      } else if (arg == "--interval") {
        double seconds = 0;
        if (!absl::SimpleAtod(value, &seconds) || !(seconds >= kMinIntervalSeconds) ||
            seconds > kMaxIntervalSeconds) {
          return Bad(absl::StrCat("--interval: seconds from ", kMinIntervalSeconds, " to ",
                                  kMaxIntervalSeconds, ", not \"", value, "\""));
        }
        options.interval = absl::Seconds(seconds);
      } else if (arg == "--count") {
        if (!absl::SimpleAtoi(value, &options.count) || options.count < 1) {
          return Bad(absl::StrCat("--count: a positive number, not \"", value, "\""));
        }
      } else {
        return Bad(absl::StrCat("unknown flag ", arg));
      }
      continue;
    }
    if (options.command.empty()) {
      options.command = arg;
    } else {
      options.args.push_back(arg);
    }
  }
  if (options.help) return options;
  if (!options.config.empty() && !options.address.empty()) {
    return Bad("give --config or --address, not both");
  }
  if (!options.address.empty() && !options.node.empty() && options.ca_file.empty()) {
    return Bad("--node picks a node of the config; with --address there is only one");
  }
  if (!options.address.empty() && !options.ca_file.empty() && options.node.empty()) {
    return Bad("--ca with --address needs --node NAME: the name the node's certificate carries");
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return Bad("--cert and --key go together");
  }
  if (options.command.empty()) return Bad("no command");
  struct Arity {
    size_t min, max;
  };
  static const std::map<std::string, Arity> kArity = {
      {"status", {0, 0}}, {"watch", {0, 0}},   {"get", {1, 1}},       {"report", {2, 3}},
      {"near", {3, 3}},   {"clients", {3, 3}}, {"watch-area", {2, 2}}};
  auto arity = kArity.find(options.command);
  if (arity == kArity.end()) return Bad(absl::StrCat("unknown command \"", options.command, "\""));
  if (options.args.size() < arity->second.min || options.args.size() > arity->second.max) {
    return Bad(absl::StrCat(options.command, ": wrong number of arguments"));
  }
  if ((options.count != 0) && options.command != "watch" && options.command != "watch-area") {
    return Bad("--count is for watch and watch-area");
  }
  return options;
}

}  // namespace herd::herdctl
