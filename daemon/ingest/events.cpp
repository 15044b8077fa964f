#include "daemon/ingest/events.hpp"

#include "daemon/core/clock.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace cg::ingest {
namespace json = boost::json;

namespace {

constexpr std::size_t max_id = 128, max_name = 128, max_properties = 50;

// Returns an empty string when the event is good.
std::string parse_one(const json::value& v, crm::ActivityRecord& out) {
  if (!v.is_object()) return "an event must be a JSON object";
  const auto& o = v.as_object();
  auto str = [&](const char* key, std::string& dst, std::size_t max) -> std::string {
    auto* f = o.if_contains(key);
    if (!f) return std::string("missing '") + key + "'";
    if (!f->is_string() || f->as_string().empty()) return std::string("'") + key + "' must be a non-empty string";
    if (f->as_string().size() > max) return std::string("'") + key + "' is longer than " + std::to_string(max);
    dst = std::string(f->as_string());
    return {};
  };
  std::string name;
  for (auto [key, dst, max] : {std::tuple{"id", &out.id, max_id}, std::tuple{"customer_id", &out.customer_id, max_id},
                               std::tuple{"event", &name, max_name}})
    if (auto e = str(key, *dst, max); !e.empty()) return e;
  auto* ts = o.if_contains("timestamp");
  if (!ts) return "missing 'timestamp'";
  std::optional<std::int64_t> when;
  if (ts->is_string()) when = parse_timestamp(std::string(ts->as_string()));
  else if (ts->is_int64()) when = ts->as_int64();
  else if (ts->is_uint64()) when = static_cast<std::int64_t>(ts->as_uint64());
  if (!when || *when <= 0) return "'timestamp' must be ISO-8601 or epoch milliseconds";
  out.occurred_ms = *when;
  if (auto* d = o.if_contains("duration_s")) {
    if (!d->is_number()) return "'duration_s' must be a number";
    double s = d->to_number<double>();
    if (!std::isfinite(s) || s < 0 || s > 86'400 * 7) return "'duration_s' must be between 0 and 604800";
    out.value = s;
  }
  out.kind = "usage";
  out.properties["event"] = name;
  if (auto* p = o.if_contains("properties")) {
    if (!p->is_object()) return "'properties' must be an object";
    if (p->as_object().size() > max_properties) return "more than 50 properties";
    for (auto& [k, val] : p->as_object()) {
      if (val.is_object() || val.is_array()) return "property '" + std::string(k) + "' must be a scalar";
      out.properties[std::string(k)] = val.is_string() ? std::string(val.as_string()) : json::serialize(val);
    }
  }
  return {};
}

}  // namespace

EventParse parse_events(const std::string& body) {
  EventParse out;
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) {
    out.rejected.emplace_back(1, "the body is empty");
    return out;
  }
  auto take = [&](const json::value& v, std::size_t line) {
    crm::ActivityRecord e;
    if (auto why = parse_one(v, e); !why.empty()) out.rejected.emplace_back(line, why);
    else out.events.push_back(std::move(e));
  };
  if (body[first] == '[') {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_array()) {
      out.rejected.emplace_back(1, "the body starts with '[' but is not a JSON array: " + ec.message());
      return out;
    }
    std::size_t i = 0;
    for (auto& e : v.as_array()) take(e, ++i);
    return out;
  }
  std::size_t line = 0, pos = 0;
  while (pos <= body.size()) {
    auto end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    ++line;
    std::string_view l(body.data() + pos, end - pos);
    pos = end + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    boost::system::error_code ec;
    auto v = json::parse(l, ec);
    if (ec) out.rejected.emplace_back(line, "not valid JSON: " + ec.message());
    else take(v, line);
  }
  return out;
}

}  // namespace cg::ingest
