// herdctl get, report, near and clients: one call to the first node that answers;
// watch-area: one stream.
#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "herd/v1/location_service.grpc.pb.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "services/core/exact_time.h"
#include "services/core/stamp.h"
#include "tools/herdctl/call.h"
#include "tools/herdctl/commands.h"
#include "tools/herdctl/json_text.h"
#include "tools/herdctl/node_channel.h"

namespace herd::herdctl {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;
using Call = std::function<grpc::Status(v1::LocationService::Stub&, grpc::ClientContext*)>;

void Text(JsonWriter& w, absl::string_view bytes) {
  std::string safe = JsonSafeText(bytes);
  w.String(safe.data(), static_cast<rapidjson::SizeType>(safe.size()));
}

std::string ExactTimeText(const v1::ExactTime& t) {
  return absl::StrFormat("%d.%09u", t.seconds(), t.nanos());
}

void StampJson(JsonWriter& w, const v1::LocationStamp& stamp) {
  w.StartObject();
  w.Key("clientId");
  Text(w, stamp.client_id());
  w.Key("location");
  Text(w, stamp.location_text());
  w.Key("latitude");
  w.Double(stamp.latitude());
  w.Key("longitude");
  w.Double(stamp.longitude());
  w.Key("clientTime");
  Text(w, stamp.client_time_text());
  w.Key("origin");
  Text(w, stamp.origin());
  w.Key("receivedAt");
  w.String(ExactTimeText(stamp.received_at()).c_str());
  w.Key("atLine");
  Text(w, FormatAtLine(stamp));
  w.EndObject();
}

struct Answer {
  std::string node;  // the node that answered
  grpc::Status status;
};

// Runs `call` against the targets in order, moving on only while nodes are unreachable.
Answer AskFirstAnswering(const Options& options, const std::vector<Target>& targets,
                         const Call& call) {
  std::vector<std::string> unreachable;
  for (const Target& target : targets) {
    auto stub = v1::LocationService::NewStub(MakeNodeChannel(target));
    grpc::ClientContext context;
    SetDeadline(&context, options.timeout);
    grpc::Status status = call(*stub, &context);
    std::string label = target.name.empty() ? target.address : target.name;
    if (!Unreachable(status)) return {label, status};
    unreachable.push_back(absl::StrCat(label, " at ", target.address));
  }
  return {"", grpc::Status(
                  grpc::StatusCode::UNAVAILABLE,
                  absl::StrCat("no node answered (tried ", absl::StrJoin(unreachable, ", "), ")"))};
}

// Prints the failure: a JSON error document with --json, and the one-line reason on stderr.
int Fail(const Options& options, const Answer& answer) {
  if (options.json) {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    if (!answer.node.empty()) {
      w.Key("node");
      w.String(answer.node.c_str());
    }
    w.Key("error");
    w.StartObject();
    w.Key("code");
    w.String(CodeName(answer.status.error_code()).c_str());
    w.Key("message");
    Text(w, answer.status.error_message());
    w.EndObject();
    w.EndObject();
    std::printf("%s\n", buffer.GetString());
  }
  std::fprintf(stderr, "herdctl: %s: %s%s\n", options.command.c_str(),
               answer.node.empty() ? "" : absl::StrCat(answer.node, ": ").c_str(),
               DescribeError(answer.status).c_str());
  return kFailed;
}

// With --json, an answer is one document: {"node": <who answered>, ...what `members` writes}.
void PrintAnswerJson(const Answer& answer, const std::function<void(JsonWriter&)>& members) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("node");
  w.String(answer.node.c_str());
  members(w);
  w.EndObject();
  std::printf("%s\n", buffer.GetString());
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "herdctl: %s\n", why.c_str());
  return kBadUsage;
}

}  // namespace

int RunGet(const Options& options, const std::vector<Target>& targets) {
  v1::GetLocationRequest request;
  request.set_client_id(options.args[0]);
  v1::LocationStamp stamp;
  Answer answer = AskFirstAnswering(options, targets, [&](auto& stub, auto* context) {
    return stub.GetLocation(context, request, &stamp);
  });
  if (!answer.status.ok()) return Fail(options, answer);
  if (options.json) {
    PrintAnswerJson(answer, [&](JsonWriter& w) {
      w.Key("stamp");
      StampJson(w, stamp);
    });
  } else {
    std::printf("%s\n", FormatAtLine(stamp).c_str());
  }
  return kOk;
}

int RunReport(const Options& options, const std::vector<Target>& targets) {
  v1::ReportRequest request;
  request.set_client_id(options.args[0]);
  request.set_location(options.args[1]);
  if (options.args.size() > 2) {
    request.set_client_time(options.args[2]);
  } else {
    Instant now = Now();
    request.set_client_time(absl::StrFormat("%d.%09u", now.seconds, now.nanos));
  }
  v1::ReportResponse response;
  Answer answer = AskFirstAnswering(options, targets, [&](auto& stub, auto* context) {
    return stub.Report(context, request, &response);
  });
  if (!answer.status.ok()) return Fail(options, answer);
  if (options.json) {
    PrintAnswerJson(answer, [&](JsonWriter& w) {
      w.Key("stored");
      w.Bool(response.stored());
      w.Key("stamp");
      StampJson(w, response.stamp());
    });
  } else {
    std::printf("%s\n%s\n", FormatAtLine(response.stamp()).c_str(),
                response.stored() ? "stored: this is now the client's latest stamp"
                                  : "not stored: the herd already holds a newer stamp");
  }
  return kOk;
}

namespace {

// "LAT,LNG" into `location`; false when `text` is not that (a client id, then).
bool ParseLatLng(const std::string& text, v1::LatLng* location) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  double latitude, longitude;
  if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &latitude) ||
      !absl::SimpleAtod(parts[1], &longitude)) {
    return false;
  }
  location->set_latitude(latitude);
  location->set_longitude(longitude);
  return true;
}

// RADIUS_KM and COUNT, the 2nd and 3rd arguments of `near` and `clients`, into `request`; the
// usage error naming `command` when one is not a number.
template <typename Request>
std::optional<std::string> ParseRadiusAndCount(const Options& options, const char* command,
                                               Request* request) {
  double radius_km;
  if (!absl::SimpleAtod(options.args[1], &radius_km)) {
    return absl::StrCat(command, ": RADIUS_KM is not a number: \"", options.args[1], "\"");
  }
  uint32_t count;
  if (!absl::SimpleAtoi(options.args[2], &count)) {
    return absl::StrCat(command, ": COUNT is not a whole number: \"", options.args[2], "\"");
  }
  request->set_radius_km(radius_km);
  request->set_max_results(count);
  return std::nullopt;
}

}  // namespace

int RunNear(const Options& options, const std::vector<Target>& targets) {
  v1::SearchNearbyRequest request;
  if (!ParseLatLng(options.args[0], request.mutable_location())) {
    request.set_client_id(options.args[0]);
  }
  if (auto error = ParseRadiusAndCount(options, "near", &request)) return Usage(*error);
  v1::SearchNearbyResponse response;
  Answer answer = AskFirstAnswering(options, targets, [&](auto& stub, auto* context) {
    return stub.SearchNearby(context, request, &response);
  });
  if (!answer.status.ok()) return Fail(options, answer);
  if (options.json) {
    PrintAnswerJson(answer, [&](JsonWriter& w) {
      if (response.has_stamp()) {
        w.Key("stamp");
        StampJson(w, response.stamp());
      }
      w.Key("places");
      w.StartArray();
      for (const v1::Place& place : response.places()) {
        w.StartObject();
        w.Key("placeId");
        Text(w, place.place_id());
        w.Key("name");
        Text(w, place.name());
        w.Key("latitude");
        w.Double(place.latitude());
        w.Key("longitude");
        w.Double(place.longitude());
        w.Key("distanceM");
        w.Double(place.distance_m());
        w.Key("types");
        w.StartArray();
        for (const std::string& type : place.types()) Text(w, type);
        w.EndArray();
        w.Key("vicinity");
        Text(w, place.vicinity());
        w.EndObject();
      }
      w.EndArray();
    });
  } else {
    if (response.has_stamp()) std::printf("%s\n", FormatAtLine(response.stamp()).c_str());
    std::printf("%d places within %g km\n", response.places_size(), request.radius_km());
    for (const v1::Place& place : response.places()) {
      std::printf("%8.2f km  %s  [%s]  %s\n", place.distance_m() / 1000, place.name().c_str(),
                  absl::StrJoin(place.types(), ",").c_str(), place.vicinity().c_str());
    }
  }
  return kOk;
}

namespace {

const char* EventName(v1::WatchEvent::Type type) {
  switch (type) {
    case v1::WatchEvent::READY:
      return "READY";
    case v1::WatchEvent::ENTER:
      return "ENTER";
    case v1::WatchEvent::EXIT:
      return "EXIT";
    case v1::WatchEvent::MOVE:
      return "MOVE";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

int RunClients(const Options& options, const std::vector<Target>& targets) {
  v1::SearchClientsRequest request;
  if (!ParseLatLng(options.args[0], request.mutable_location())) {
    request.set_client_id(options.args[0]);
  }
  if (auto error = ParseRadiusAndCount(options, "clients", &request)) return Usage(*error);
  v1::SearchClientsResponse response;
  Answer answer = AskFirstAnswering(options, targets, [&](auto& stub, auto* context) {
    return stub.SearchClients(context, request, &response);
  });
  if (!answer.status.ok()) return Fail(options, answer);
  if (options.json) {
    PrintAnswerJson(answer, [&](JsonWriter& w) {
      if (response.has_center_stamp()) {
        w.Key("center");
        StampJson(w, response.center_stamp());
      }
      w.Key("clients");
      w.StartArray();
      for (const v1::ClientHit& hit : response.hits()) {
        w.StartObject();
        w.Key("distanceM");
        w.Double(hit.distance_m());
        w.Key("stamp");
        StampJson(w, hit.stamp());
        w.EndObject();
      }
      w.EndArray();
    });
  } else {
    std::printf("%d clients within %g km\n", response.hits_size(), request.radius_km());
    for (const v1::ClientHit& hit : response.hits()) {
      std::printf("%10.3f km  %s\n", hit.distance_m() / 1000, FormatAtLine(hit.stamp()).c_str());
    }
  }
  return kOk;
}

int RunWatchArea(const Options& options, const std::vector<Target>& targets) {
  v1::WatchRequest request;
  if (!ParseLatLng(options.args[0], request.mutable_circle()->mutable_center())) {
    return Usage(absl::StrCat("watch-area: LAT,LNG expected, not \"", options.args[0], "\""));
  }
  double radius_km;
  if (!absl::SimpleAtod(options.args[1], &radius_km)) {
    return Usage(absl::StrCat("watch-area: RADIUS_KM is not a number: \"", options.args[1], "\""));
  }
  request.mutable_circle()->set_radius_km(radius_km);
  // The first node that answers READY within --timeout; then events until interrupted (or
  // --count events).
  std::vector<std::string> unreachable;
  for (const Target& target : targets) {
    std::string label = target.name.empty() ? target.address : target.name;
    auto stub = v1::LocationService::NewStub(MakeNodeChannel(target));
    grpc::ClientContext context;
    auto reader = stub->Watch(&context, request);
    v1::WatchEvent event;
    // READY within --timeout, or the call is given up.
    std::atomic<bool> ready{false};
    std::thread guard([&] {
      absl::Time until = absl::Now() + options.timeout;
      while (!ready.load() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(5));
      if (!ready.load()) context.TryCancel();
    });
    bool got = reader->Read(&event);
    ready = true;
    guard.join();
    if (!got) {
      grpc::Status status = reader->Finish();
      if (status.error_code() == grpc::StatusCode::CANCELLED) {
        status = grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no READY within --timeout");
      }
      if (!Unreachable(status)) return Fail(options, {label, status});
      unreachable.push_back(absl::StrCat(label, " at ", target.address));
      continue;
    }
    if (!options.json) {
      std::printf("watching %g km around %s at %s\n", radius_km, options.args[0].c_str(),
                  label.c_str());
      std::fflush(stdout);
    }
    int events = 0;
    while ((options.count == 0 || events < options.count) && reader->Read(&event)) {
      ++events;
      if (options.json) {
        rapidjson::StringBuffer buffer;
        JsonWriter w(buffer);
        w.StartObject();
        w.Key("node");
        w.String(label.c_str());
        w.Key("event");
        w.String(EventName(event.type()));
        w.Key("stamp");
        StampJson(w, event.stamp());
        w.EndObject();
        std::printf("%s\n", buffer.GetString());
      } else {
        std::printf("%-5s %s\n", EventName(event.type()), FormatAtLine(event.stamp()).c_str());
      }
      std::fflush(stdout);
    }
    if (options.count != 0 && events == options.count) {
      context.TryCancel();
      return kOk;
    }
    grpc::Status status = reader->Finish();
    return Fail(options, {label, status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                            "the node ended the watch")
                                             : status});
  }
  return Fail(options, {"", grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         absl::StrCat("no node answered (tried ",
                                                      absl::StrJoin(unreachable, ", "), ")"))});
}

}  // namespace herd::herdctl
