#include "services/places/google_json.h"

#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace herd::places {
namespace {

constexpr int kIndent = 3;

void NewLine(int depth, std::string* out) {
  out->push_back('\n');
  out->append(static_cast<size_t>(depth) * kIndent, ' ');
}

// Scalars go through rapidjson's writer: correct string escaping and shortest doubles.
void AppendScalar(const rapidjson::Value& value, std::string* out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  if (!value.Accept(writer)) {
    out->append("null");  // NaN/Inf cannot be written as JSON; Google would send null.
    return;
  }
  out->append(buffer.GetString(), buffer.GetSize());
}

void AppendString(const rapidjson::Value::Ch* s, rapidjson::SizeType length, std::string* out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(s, length);
  out->append(buffer.GetString(), buffer.GetSize());
}

void Render(const rapidjson::Value& value, int depth, std::string* out) {
  if (value.IsObject()) {
    if (value.MemberCount() == 0) {
      out->append("{}");
      return;
    }
    out->push_back('{');
    bool first = true;
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      if (!first) out->push_back(',');
      first = false;
      NewLine(depth + 1, out);
      AppendString(it->name.GetString(), it->name.GetStringLength(), out);
      out->append(" : ");
      Render(it->value, depth + 1, out);
    }
    NewLine(depth, out);
    out->push_back('}');
  } else if (value.IsArray()) {
    if (value.Empty()) {
      out->append("[]");
      return;
    }
    out->push_back('[');
    bool first = true;
    for (const auto& element : value.GetArray()) {
      if (!first) out->push_back(',');
      first = false;
      NewLine(depth + 1, out);
      Render(element, depth + 1, out);
    }
    NewLine(depth, out);
    out->push_back(']');
  } else {
    AppendScalar(value, out);
  }
}

}  // namespace

std::string RenderGoogleJson(const rapidjson::Value& value) {
  std::string out;
  Render(value, 0, &out);
  return out;
}

}  // namespace herd::places
