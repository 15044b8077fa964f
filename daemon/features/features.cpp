#include "daemon/features/features.hpp"

#include "daemon/core/clock.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

namespace cg::features {
namespace json = boost::json;

namespace {
constexpr int windows[] = {7, 30, 90};
constexpr const char* windowed[] = {"tickets_opened", "tickets_resolved", "emails_sent", "email_open_rate",
                                    "email_reply_rate", "usage_events", "usage_minutes"};
const double nan = std::nan("");

std::string fmt(double v) {
  if (std::isnan(v)) return "unknown";
  char buf[32];
  std::snprintf(buf, sizeof buf, v == std::floor(v) ? "%.0f" : "%.1f", v);
  return buf;
}

double ratio(double num, double den) { return den > 0 ? std::min(1.0, num / den) : nan; }

// A share of 0..1 as people read it: "14%".
std::string percent(double v) {
  if (std::isnan(v)) return "unknown";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.0f%%", 100 * v);
  return buf;
}

// The behaviour features that are shares (open and reply rates), shown as percentages.
bool is_rate(std::string_view name) { return name.find("_rate") != std::string_view::npos; }

std::int64_t day_of(std::int64_t ms) { return ms >= 0 ? ms / ms_per_day : (ms - ms_per_day + 1) / ms_per_day; }
}  // namespace

std::int64_t window_start_ms(std::int64_t as_of, int days) { return (day_of(as_of) - days + 1) * ms_per_day; }

const std::vector<std::string>& behaviour_features() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (int w : windows)
      for (auto f : windowed) n.push_back(std::string(f) + "_" + std::to_string(w) + "d");
    for (auto f : {"median_resolution_hours_90d", "open_tickets", "days_since_last_activity", "tickets_trend",
                   "usage_trend", "email_reply_trend", "sentiment_mean_90d", "sentiment_min_90d", "sentiment_trend",
                   "negative_texts_90d", "marketing_open_rate"})
      n.emplace_back(f);
    return n;
  }();
  return names;
}

namespace {

// A property's text, or nullptr when the customer has none.
const std::string* property_text(const store::Customer& c, const std::string& name) {
  auto it = c.properties.find(name);
  return it == c.properties.end() ? nullptr : &it->second;
}

// A property's text as a number; NaN when absent, blank or not wholly a finite number.
double as_number(const std::string* text) {
  if (!text || text->empty()) return NAN;
  char* end = nullptr;
  const double d = std::strtod(text->c_str(), &end);
  return end && *end == '\0' && std::isfinite(d) ? d : NAN;
}

double numeric_property(const store::Customer& c, const std::string& name) { return as_number(property_text(c, name)); }

}  // namespace

double derived_value(const Derived& d, const store::Customer& c) {
  const auto& of = d.of;
  if (d.op == "sum") {
    double sum = 0;
    for (const auto& p : of) sum += numeric_property(c, p);
    return sum;
  }
  if (d.op == "ratio" && of.size() == 2) {
    const double den = numeric_property(c, of[1]);
    return den == 0 ? NAN : numeric_property(c, of[0]) / den;
  }
  if (d.op == "log" && of.size() == 1) {
    const double x = numeric_property(c, of[0]);
    return x > -1 ? std::log1p(x) : NAN;
  }
  return NAN;
}

std::vector<std::string> FeatureSpec::column_names() const {
  std::vector<std::string> out = numeric_properties;
  for (const auto& d : derived) out.push_back(d.name);
  for (const auto& [p, levels] : categorical)
    for (const auto& l : levels) out.push_back(p + "=" + l);
  if (behaviour) out.insert(out.end(), behaviour_features().begin(), behaviour_features().end());
  return out;
}

std::vector<std::string> FeatureSpec::column_sources() const {
  std::vector<std::string> out = numeric_properties;
  for (const auto& d : derived) out.push_back(d.name);
  for (const auto& [p, levels] : categorical) out.insert(out.end(), levels.size(), p);
  if (behaviour) out.insert(out.end(), behaviour_features().begin(), behaviour_features().end());
  return out;
}

std::string FeatureSpec::to_json() const {
  json::array num(numeric_properties.begin(), numeric_properties.end());
  json::object cat;
  for (const auto& [p, levels] : categorical) cat[p] = json::array(levels.begin(), levels.end());
  json::array beh;
  if (behaviour) beh = json::array(behaviour_features().begin(), behaviour_features().end());
  json::array der;
  for (const auto& d : derived) der.push_back(json::object{{"name", d.name}, {"op", d.op}, {"of", json::array(d.of.begin(), d.of.end())}});
  return json::serialize(json::object{{"numeric", num}, {"derived", der}, {"categorical", cat}, {"behaviour", behaviour}, {"behaviour_columns", beh}});
}

Result<FeatureSpec> FeatureSpec::from_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::model, "model feature spec is not valid JSON");
  FeatureSpec s;
  try {
    for (auto& n : v.at("numeric").as_array()) s.numeric_properties.emplace_back(n.as_string());
    if (auto* der = v.as_object().if_contains("derived"))  // absent in models from before derived features
      for (auto& d : der->as_array()) {
        Derived x{std::string(d.at("name").as_string()), std::string(d.at("op").as_string()), {}};
        for (auto& p : d.at("of").as_array()) x.of.emplace_back(p.as_string());
        if (auto e = config::derived_form_error(x); !e.empty())
          return make_error(ErrorKind::model, "model feature spec: derived column '" + x.name + "' (" + x.op + "): " + e);
        s.derived.push_back(std::move(x));
      }
    for (auto& [p, levels] : v.at("categorical").as_object()) {
      std::vector<std::string> ls;
      for (auto& l : levels.as_array()) ls.emplace_back(l.as_string());
      s.categorical.emplace_back(std::string(p), std::move(ls));
    }
    s.behaviour = v.at("behaviour").as_bool();
    if (s.behaviour) {
      // A model trained on another feature set must not be fed this one's columns.
      std::vector<std::string> stored;
      if (auto* b = v.as_object().if_contains("behaviour_columns"))
        for (auto& n : b->as_array()) stored.emplace_back(n.as_string());
      if (stored != behaviour_features())
        return make_error(ErrorKind::model, "the model was trained on another set of behaviour features; retrain it");
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::model, std::string("model feature spec is malformed: ") + e.what());
  }
  return s;
}

FeatureSpec fit_spec(const std::vector<store::Customer>& customers, const std::vector<std::string>& numeric,
                     const std::vector<std::string>& categorical, const std::vector<Derived>& derived) {
  FeatureSpec s;
  s.numeric_properties = numeric;
  s.derived = derived;
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

std::map<std::string, double> behaviour_of(const std::vector<const store::Activity*>& acts, std::int64_t as_of,
                                           const store::MarketingStats* marketing) {
  struct Window {
    double opened = 0, resolved = 0, sent = 0, email_opened = 0, replies = 0, usage = 0, usage_s = 0;
  } w[3];
  double open_tickets = 0, prev_tickets = 0, prev_usage = 0, prev_replies = 0, negative = 0;
  double s90 = 0, n90 = 0, s30 = 0, n30 = 0, sprev = 0, nprev = 0, smin = nan;
  std::optional<std::int64_t> last;
  std::vector<double> resolution_hours;
  for (const auto* a : acts) {
    if (a->occurred_ms > as_of) continue;  // the leakage rule
    // Windows are whole UTC days ending with the as-of day: features hold still during a day
    // and move only when something happens, so a re-run writes nothing new.
    const auto age = day_of(as_of) - day_of(a->occurred_ms);
    const bool in90 = age < 90, in30 = age < 30;
    const bool customer_initiated = a->kind == "ticket" || a->kind == "email_in" || a->kind == "usage";
    if (customer_initiated && (!last || a->occurred_ms > *last)) last = a->occurred_ms;
    for (int i = 0; i < 3; ++i) {
      const bool in = age < windows[i];
      if (a->kind == "ticket") {
        if (in) ++w[i].opened;
        if (a->closed_ms && *a->closed_ms <= as_of && day_of(as_of) - day_of(*a->closed_ms) < windows[i]) ++w[i].resolved;
      } else if (a->kind == "email_out" && in) {
        ++w[i].sent;
        if (a->value && *a->value > 0) ++w[i].email_opened;
      } else if (a->kind == "email_in" && in) {
        ++w[i].replies;
      } else if (a->kind == "usage" && in) {
        ++w[i].usage;
        w[i].usage_s += a->value.value_or(0);
      }
    }
    if (a->kind == "ticket") {
      if (!a->closed_ms || *a->closed_ms > as_of) ++open_tickets;
      else if (day_of(as_of) - day_of(*a->closed_ms) < 90)
        resolution_hours.push_back(double(*a->closed_ms - a->occurred_ms) / 3.6e6);
      if (in90 && !in30) ++prev_tickets;
    }
    if (a->kind == "usage" && in90 && !in30) ++prev_usage;
    if (a->kind == "email_in" && in90 && !in30) ++prev_replies;
    if (a->sentiment && in90) {
      s90 += *a->sentiment, ++n90;
      smin = std::isnan(smin) ? *a->sentiment : std::min(smin, *a->sentiment);
      if (*a->sentiment < -30) ++negative;
      if (in30) s30 += *a->sentiment, ++n30;
      else sprev += *a->sentiment, ++nprev;
    }
  }
  std::map<std::string, double> f;
  for (int i = 0; i < 3; ++i) {
    auto sfx = "_" + std::to_string(windows[i]) + "d";
    f["tickets_opened" + sfx] = w[i].opened;
    f["tickets_resolved" + sfx] = w[i].resolved;
    f["emails_sent" + sfx] = w[i].sent;
    f["email_open_rate" + sfx] = ratio(w[i].email_opened, w[i].sent);
    f["email_reply_rate" + sfx] = ratio(w[i].replies, w[i].sent);
    f["usage_events" + sfx] = w[i].usage;
    f["usage_minutes" + sfx] = w[i].usage_s / 60.0;
  }
  double median = nan;
  if (!resolution_hours.empty()) {
    std::sort(resolution_hours.begin(), resolution_hours.end());
    auto n = resolution_hours.size();
    median = n % 2 ? resolution_hours[n / 2] : (resolution_hours[n / 2 - 1] + resolution_hours[n / 2]) / 2;
  }
  f["median_resolution_hours_90d"] = median;
  f["open_tickets"] = open_tickets;
  f["days_since_last_activity"] = last ? double(day_of(as_of) - day_of(*last)) : nan;
  f["tickets_trend"] = w[1].opened - prev_tickets / 2;
  f["usage_trend"] = w[1].usage - prev_usage / 2;
  f["email_reply_trend"] = w[1].replies - prev_replies / 2;
  f["sentiment_mean_90d"] = n90 ? s90 / n90 : nan;
  f["sentiment_min_90d"] = smin;
  f["sentiment_trend"] = (n30 && nprev) ? s30 / n30 - sprev / nprev : nan;
  f["negative_texts_90d"] = negative;
  f["marketing_open_rate"] = marketing ? ratio(marketing->opened, marketing->delivered) : nan;
  return f;
}

std::optional<double> engagement_index(const std::map<std::string, double>& b, std::optional<double> usage_pct) {
  double sum = 0, weight = 0;
  auto add = [&](double v, double wgt) {
    if (std::isnan(v)) return;
    sum += wgt * std::clamp(v, 0.0, 1.0);
    weight += wgt;
  };
  if (usage_pct) add(*usage_pct, 0.4);
  double open = b.at("email_open_rate_90d");
  add(std::isnan(open) ? b.at("marketing_open_rate") : open, 0.2);
  add(b.at("email_reply_rate_90d"), 0.2);
  double days = b.at("days_since_last_activity");
  if (!std::isnan(days)) add(std::exp(-days / 30.0), 0.2);
  if (weight == 0) return std::nullopt;
  return 100.0 * sum / weight;
}

CustomerFeatures build(const FeatureSpec& spec, const std::vector<store::Customer>& customers,
                       const std::vector<store::Activity>& activities, std::int64_t as_of,
                       const std::map<std::string, store::MarketingStats>& marketing,
                       const std::vector<double>* usage_population) {
  std::unordered_map<std::string, std::vector<const store::Activity*>> by_customer;
  for (const auto& a : activities)
    if (!a.customer_id.empty()) by_customer[a.customer_id].push_back(&a);
  const std::vector<const store::Activity*> none;

  std::vector<std::map<std::string, double>> beh(customers.size());
  bool any_usage = false;
  for (std::size_t i = 0; i < customers.size(); ++i) {
    auto it = by_customer.find(customers[i].id);
    auto m = marketing.find(customers[i].id);
    beh[i] = behaviour_of(it == by_customer.end() ? none : it->second, as_of, m == marketing.end() ? nullptr : &m->second);
    any_usage = any_usage || beh[i]["usage_events_90d"] > 0;
  }
  // Usage is judged against the other customers: its percentile among them.
  std::vector<double> usage_sorted;
  if (usage_population) {
    usage_sorted = *usage_population;
    any_usage = any_usage || std::any_of(usage_sorted.begin(), usage_sorted.end(), [](double v) { return v > 0; });
  } else {
    for (auto& b : beh) usage_sorted.push_back(b["usage_events_30d"]);
  }
  std::sort(usage_sorted.begin(), usage_sorted.end());

  CustomerFeatures out;
  out.matrix.cols = spec.column_names().size();
  out.matrix.rows = customers.size();
  out.matrix.x.reserve(out.matrix.cols * customers.size());
  const float fnan = std::nanf("");
  const auto& behaviour_names = behaviour_features();
  std::vector<bool> rate(behaviour_names.size());
  for (std::size_t k = 0; k < rate.size(); ++k) rate[k] = is_rate(behaviour_names[k]);
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const auto& c = customers[i];
    std::vector<std::string> disp;
    disp.reserve(spec.numeric_properties.size() + spec.derived.size() + spec.categorical.size() + (spec.behaviour ? behaviour_features().size() : 0));
    for (const auto& p : spec.numeric_properties) {
      const auto* text = property_text(c, p);
      const double v = as_number(text);
      out.matrix.x.push_back(static_cast<float>(v));
      disp.push_back(std::isnan(v) ? "unknown" : *text);
    }
    for (const auto& d : spec.derived) {
      const double v = derived_value(d, c);
      out.matrix.x.push_back(static_cast<float>(v));
      // A log is a modelling device: people read the value it was taken of ("12" months).
      char text[32];
      std::snprintf(text, sizeof text, "%.4g", d.op == "log" ? std::expm1(v) : v);  // 75.31, 0.03412
      disp.push_back(std::isnan(v) ? "unknown" : text);
    }
    for (const auto& [p, levels] : spec.categorical) {
      auto it = c.properties.find(p);
      std::string val = it == c.properties.end() ? "" : it->second;
      for (const auto& l : levels) out.matrix.x.push_back(val.empty() ? fnan : (val == l ? 1.f : 0.f));
      disp.push_back(val.empty() ? "unknown" : val);
    }
    if (spec.behaviour)
      for (std::size_t k = 0; k < behaviour_names.size(); ++k) {
        double v = beh[i][behaviour_names[k]];
        out.matrix.x.push_back(static_cast<float>(v));
        disp.push_back(rate[k] ? percent(v) : fmt(v));
      }
    double s = beh[i]["sentiment_mean_90d"];
    out.sentiment.push_back(std::isnan(s) ? std::nullopt : std::optional<double>(s));
    std::optional<double> pct;
    if (any_usage && !usage_sorted.empty()) {
      auto v = beh[i]["usage_events_30d"];
      auto lo = std::lower_bound(usage_sorted.begin(), usage_sorted.end(), v) - usage_sorted.begin();
      auto hi = std::upper_bound(usage_sorted.begin(), usage_sorted.end(), v) - usage_sorted.begin();
      pct = (lo + hi) / 2.0 / static_cast<double>(usage_sorted.size());
    }
    out.engagement.push_back(engagement_index(beh[i], pct));
    out.customer_ids.push_back(c.id);
    out.display.push_back(std::move(disp));
  }
  return out;
}

}  // namespace cg::features
