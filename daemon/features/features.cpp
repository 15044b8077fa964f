#include "daemon/features/features.hpp"

#include "daemon/core/clock.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdlib>
#include <set>
#include <unordered_map>

namespace cg::features {
namespace json = boost::json;

std::vector<std::string> FeatureSpec::column_names() const {
  std::vector<std::string> out = numeric_properties;
  for (const auto& [p, levels] : categorical)
    for (const auto& l : levels) out.push_back(p + "=" + l);
  if (behaviour)
    for (auto f : behaviour_features) out.emplace_back(f);
  return out;
}

std::vector<std::string> FeatureSpec::column_sources() const {
  std::vector<std::string> out = numeric_properties;
  for (const auto& [p, levels] : categorical) out.insert(out.end(), levels.size(), p);
  if (behaviour)
    for (auto f : behaviour_features) out.emplace_back(f);
  return out;
}

std::string FeatureSpec::to_json() const {
  json::array num(numeric_properties.begin(), numeric_properties.end());
  json::object cat;
  for (const auto& [p, levels] : categorical) cat[p] = json::array(levels.begin(), levels.end());
  return json::serialize(json::object{{"numeric", num}, {"categorical", cat}, {"behaviour", behaviour}});
}

Result<FeatureSpec> FeatureSpec::from_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::model, "model feature spec is not valid JSON");
  FeatureSpec s;
  try {
    for (auto& n : v.at("numeric").as_array()) s.numeric_properties.emplace_back(n.as_string());
    for (auto& [p, levels] : v.at("categorical").as_object()) {
      std::vector<std::string> ls;
      for (auto& l : levels.as_array()) ls.emplace_back(l.as_string());
      s.categorical.emplace_back(std::string(p), std::move(ls));
    }
    s.behaviour = v.at("behaviour").as_bool();
  } catch (const std::exception& e) {
    return make_error(ErrorKind::model, std::string("model feature spec is malformed: ") + e.what());
  }
  return s;
}

FeatureSpec fit_spec(const std::vector<store::Customer>& customers, const std::vector<std::string>& numeric,
                     const std::vector<std::string>& categorical) {
  FeatureSpec s;
  s.numeric_properties = numeric;
  for (const auto& p : categorical) {
    std::map<std::string, int> counts;
    for (const auto& c : customers)
      if (auto it = c.properties.find(p); it != c.properties.end() && !it->second.empty()) ++counts[it->second];
    std::vector<std::pair<int, std::string>> by_count;
    for (auto& [v, n] : counts) by_count.emplace_back(-n, v);
    std::sort(by_count.begin(), by_count.end());
    if (by_count.size() > 30) by_count.resize(30);
    std::vector<std::string> levels;
    for (auto& [n, v] : by_count) levels.push_back(v);
    std::sort(levels.begin(), levels.end());
    s.categorical.emplace_back(p, std::move(levels));
  }
  return s;
}

namespace {
struct Behaviour {
  int tickets_30d = 0, tickets_90d = 0, open = 0, negative_90d = 0;
  double sentiment_sum = 0;
  int sentiment_n = 0;
};

std::string fmt(double v) {
  if (std::isnan(v)) return "unknown";
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}
}  // namespace

CustomerFeatures build(const FeatureSpec& spec, const std::vector<store::Customer>& customers,
                       const std::vector<store::Activity>& activities, std::int64_t as_of) {
  std::unordered_map<std::string, Behaviour> beh;
  for (const auto& a : activities) {
    if (a.customer_id.empty() || a.occurred_ms > as_of) continue;  // the leakage rule
    auto& b = beh[a.customer_id];
    const auto age = as_of - a.occurred_ms;
    if (age <= 30 * ms_per_day) ++b.tickets_30d;
    if (age <= 90 * ms_per_day) {
      ++b.tickets_90d;
      if (a.sentiment) {
        b.sentiment_sum += *a.sentiment;
        ++b.sentiment_n;
        if (*a.sentiment < -30) ++b.negative_90d;
      }
    }
    if (!a.closed_ms || *a.closed_ms > as_of) ++b.open;
  }
  CustomerFeatures out;
  const auto cols = spec.column_names().size();
  out.matrix.cols = cols;
  out.matrix.rows = customers.size();
  out.matrix.x.reserve(cols * customers.size());
  const float nan = std::nanf("");
  for (const auto& c : customers) {
    std::map<std::string, std::string> disp;
    for (const auto& p : spec.numeric_properties) {
      auto it = c.properties.find(p);
      float v = nan;
      if (it != c.properties.end() && !it->second.empty()) {
        char* end = nullptr;
        double d = std::strtod(it->second.c_str(), &end);
        if (end && *end == '\0' && std::isfinite(d)) v = static_cast<float>(d);
      }
      out.matrix.x.push_back(v);
      disp[p] = std::isnan(v) ? "unknown" : it->second;
    }
    for (const auto& [p, levels] : spec.categorical) {
      auto it = c.properties.find(p);
      std::string val = it == c.properties.end() ? "" : it->second;
      for (const auto& l : levels) out.matrix.x.push_back(val.empty() ? nan : (val == l ? 1.f : 0.f));
      disp[p] = val.empty() ? "unknown" : val;
    }
    std::optional<double> sentiment;
    if (spec.behaviour) {
      Behaviour b;
      if (auto it = beh.find(c.id); it != beh.end()) b = it->second;
      double mean = b.sentiment_n ? b.sentiment_sum / b.sentiment_n : std::nan("");
      if (b.sentiment_n) sentiment = mean;
      const double vals[] = {double(b.tickets_30d), double(b.tickets_90d), double(b.open), mean, double(b.negative_90d)};
      for (std::size_t i = 0; i < std::size(vals); ++i) {
        out.matrix.x.push_back(static_cast<float>(vals[i]));
        disp[behaviour_features[i]] = fmt(vals[i]);
      }
    }
    out.customer_ids.push_back(c.id);
    out.display.push_back(std::move(disp));
    out.sentiment.push_back(sentiment);
  }
  return out;
}

}  // namespace cg::features

namespace cg::features {
std::map<std::string, double> sentiment_by_customer(const std::vector<store::Activity>& activities,
                                                    std::int64_t as_of) {
  std::map<std::string, std::pair<double, int>> acc;
  for (const auto& a : activities) {
    if (a.customer_id.empty() || !a.sentiment || a.occurred_ms > as_of || as_of - a.occurred_ms > 90 * ms_per_day)
      continue;
    auto& [sum, n] = acc[a.customer_id];
    sum += *a.sentiment;
    ++n;
  }
  std::map<std::string, double> out;
  for (auto& [id, sn] : acc) out[id] = sn.first / sn.second;
  return out;
}
}  // namespace cg::features
