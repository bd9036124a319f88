// herdctl status and watch.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tools/herdctl/commands.h"
#include "tools/herdctl/herd_status.h"

namespace herd::herdctl {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string Label(const NodeState& node) {
  return node.target.name.empty() ? node.target.address : node.target.name;
}

std::string StatusJson(const HerdState& state) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("nodes");
  w.StartArray();
  for (const NodeState& node : state.nodes) {
    w.StartObject();
    w.Key("name");
    w.String(Label(node).c_str());
    w.Key("address");
    w.String(node.target.address.c_str());
    w.Key("up");
    w.Bool(node.up);
    if (node.up) {
      w.Key("stampCount");
      w.Uint64(node.status.stamp_count());
      w.Key("storeDigest");
      w.String(DigestHex(node.status.store_digest()).c_str());
      w.Key("linkedPeers");
      w.StartArray();
      for (const std::string& peer : node.status.linked_peers()) w.String(peer.c_str());
      w.EndArray();
    } else {
      w.Key("error");
      w.String(node.error.c_str());
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("converged");
  w.Bool(state.converged());
  w.Key("down");
  w.StartArray();
  for (const std::string& name : state.down) w.String(name.c_str());
  w.EndArray();
  w.Key("groups");
  w.StartArray();
  for (const DigestGroup& group : state.groups) {
    w.StartObject();
    w.Key("storeDigest");
    w.String(DigestHex(group.digest).c_str());
    w.Key("stampCount");
    w.Uint64(group.stamp_count);
    w.Key("nodes");
    w.StartArray();
    for (const std::string& name : group.nodes) w.String(name.c_str());
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("summary");
  w.String(SummaryLine(state).c_str());
  w.EndObject();
  return buffer.GetString();
}

std::string StatusTable(const HerdState& state) {
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "ADDRESS", "STATE", "STAMPS", "DIGEST", "LINKED PEERS"}};
  for (const NodeState& node : state.nodes) {
    if (node.up) {
      rows.push_back(
          {Label(node), node.target.address, "up", absl::StrCat(node.status.stamp_count()),
           DigestHex(node.status.store_digest()),
           node.status.linked_peers().empty() ? "-"
                                              : absl::StrJoin(node.status.linked_peers(), ",")});
    } else {
      rows.push_back({Label(node), node.target.address, "DOWN", "-", "-", "-"});
    }
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  absl::StrAppend(&out, SummaryLine(state), "\n");
  return out;
}

int ExitStatus(const HerdState& state) {
  if (!state.down.empty()) return kFailed;
  return state.converged() ? kOk : kDiverged;
}

// One line on stderr naming every node that is down and why.
void ReportDown(const HerdState& state) {
  std::vector<std::string> reasons;
  for (const NodeState& node : state.nodes) {
    if (!node.up) {
      reasons.push_back(
          absl::StrCat(Label(node), " at ", node.target.address, " (", node.error, ")"));
    }
  }
  if (reasons.empty()) return;
  std::fprintf(stderr, "herdctl: %zu of %zu nodes down: %s\n", reasons.size(), state.nodes.size(),
               absl::StrJoin(reasons, "; ").c_str());
}

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted.store(true); }

}  // namespace

int RunStatus(const Options& options, const std::vector<Target>& targets) {
  HerdState state = CollectHerdState(targets, options.timeout);
  std::string out = options.json ? StatusJson(state) + "\n" : StatusTable(state);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  ReportDown(state);
  return ExitStatus(state);
}

int RunWatch(const Options& options, const std::vector<Target>& targets) {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  const bool in_place = !options.json && isatty(STDOUT_FILENO);
  int status = kOk;
  for (int refresh = 0; !interrupted.load(); ++refresh) {
    if (options.count > 0 && refresh == options.count) break;
    HerdState state = CollectHerdState(targets, options.timeout);
    status = ExitStatus(state);
    std::string out;
    if (options.json) {
      out = StatusJson(state) + "\n";
    } else {
      // Home + clear screen on a terminal; otherwise frames separated by a blank line.
      out =
          absl::StrCat(in_place ? "\033[H\033[2J" : (refresh > 0 ? "\n" : ""),
                       "herdctl watch, every ", absl::FormatDuration(options.interval), " (",
                       absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::Now(), absl::UTCTimeZone()),
                       "); Ctrl-C stops\n", StatusTable(state));
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (options.count > 0 && refresh + 1 == options.count) break;
    absl::Time next = absl::Now() + options.interval;
    while (!interrupted.load() && absl::Now() < next) absl::SleepFor(absl::Milliseconds(20));
  }
  return status;
}

}  // namespace herd::herdctl
