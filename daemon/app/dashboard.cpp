#include "daemon/app/dashboard.hpp"

#include "daemon/core/clock.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cg::app {
namespace json = boost::json;
namespace {

double mean(double sum, std::size_t n) { return n ? sum / double(n) : 0; }

json::value maybe(double sum, std::size_t n) { return n ? json::value(sum / double(n)) : json::value(nullptr); }

// "3 support tickets in the last 30 days" -> "# support tickets in the last # days"
std::string reason_template(const std::string& r) {
  std::string out;
  bool in_number = false;
  for (char c : r) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) || ((c == '.' || c == '-') && in_number);
    if (digit) {
      if (!in_number) out += '#';
      in_number = true;
    } else {
      in_number = false;
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_reasons(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0, j; i <= s.size(); i = j + 2) {
    j = s.find("; ", i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
  }
  return out;
}

}  // namespace

const std::string& DashboardCache::get(App& app, std::int64_t now_ms) {
  const auto runs = app.completed_runs();
  const auto minute = now_ms / 60'000;
  if (!valid_ || runs != runs_ || minute != minute_) {
    json_ = dashboard_json(app, now_ms);
    valid_ = true, runs_ = runs, minute_ = minute;
  }
  return json_;
}

std::string dashboard_json(App& app, std::int64_t now) {
  auto& st = app.store();
  const auto& cfg = app.config();
  const auto latest = st.latest_scores();
  std::map<std::string, store::Customer> customers;
  for (auto& c : st.customers()) customers[c.id] = std::move(c);

  // Distribution and tiers.
  json::object tiers{{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
  std::vector<int> histogram(10, 0);
  double sent = 0, eng = 0;
  std::size_t n_sent = 0, n_eng = 0, low_eng = 0, neg_sent = 0;
  for (const auto& [id, s] : latest) {
    if (!customers.count(id)) continue;
    tiers[s.tier] = tiers[s.tier].as_int64() + 1;
    ++histogram[std::clamp(s.score / 10, 0, 9)];
    if (s.sentiment) sent += *s.sentiment, ++n_sent, neg_sent += *s.sentiment < 0;
    if (s.engagement) eng += *s.engagement, ++n_eng, low_eng += *s.engagement < 30;
  }

  // The last 30 days, one point a day (the end of each UTC day, today up to now).
  json::array trend;
  const std::int64_t today = now / ms_per_day * ms_per_day;
  for (int d = 29; d >= 0; --d) {
    const std::int64_t at = d == 0 ? now : today - std::int64_t{d - 1} * ms_per_day - 1;
    const auto snap = st.score_snapshot(at);
    double sc = 0, se = 0, en = 0;
    std::size_t n = 0, ns = 0, ne = 0, high = 0;
    for (const auto& [id, s] : snap) {
      if (!customers.count(id)) continue;
      sc += s.score, ++n, high += s.tier == "high" || s.tier == "critical";
      if (s.sentiment) se += *s.sentiment, ++ns;
      if (s.engagement) en += *s.engagement, ++ne;
    }
    trend.push_back(json::object{{"date", format_iso8601(at).substr(0, 10)}, {"customers", n},
                                 {"mean_score", maybe(sc, n)}, {"high_share", maybe(double(high), n)},
                                 {"mean_sentiment", maybe(se, ns)}, {"mean_engagement", maybe(en, ne)}});
  }

  // By segment: now and 30 days ago.
  std::string segment = cfg.http.segment_property;
  if (segment.empty() && !cfg.model.categorical_properties.empty()) segment = cfg.model.categorical_properties.front();
  json::array segments;
  if (!segment.empty()) {
    const auto month_ago = st.scores_as_of(now - 30 * ms_per_day);
    struct Acc {
      double now = 0, before = 0;
      std::size_t n = 0, n_before = 0, high = 0;
    };
    std::map<std::string, Acc> by;
    for (const auto& [id, s] : latest) {
      auto c = customers.find(id);
      if (c == customers.end()) continue;
      auto v = c->second.properties.find(segment);
      auto& a = by[v == c->second.properties.end() || v->second.empty() ? "(none)" : v->second];
      a.now += s.score, ++a.n, a.high += s.tier == "high" || s.tier == "critical";
      if (auto b = month_ago.find(id); b != month_ago.end()) a.before += b->second, ++a.n_before;
    }
    for (const auto& [value, a] : by)
      segments.push_back(json::object{{"value", value}, {"customers", a.n}, {"mean_score", mean(a.now, a.n)},
                                      {"mean_score_30d_ago", maybe(a.before, a.n_before)},
                                      {"high_share", mean(double(a.high), a.n)}});
  }

  // The riskiest customers, with what to do.
  const auto fields = plays::play_fields(st.assignments(), cfg.plays);
  std::vector<const store::Score*> ranked;
  for (const auto& [id, s] : latest)
    if (customers.count(id)) ranked.push_back(&s);
  std::sort(ranked.begin(), ranked.end(), [](auto* a, auto* b) {
    return a->probability != b->probability ? a->probability > b->probability : a->customer_id < b->customer_id;
  });
  json::array top;
  for (std::size_t i = 0; i < ranked.size() && i < 25; ++i) {
    const auto& s = *ranked[i];
    std::string action = "none", offer;
    bool holdout = false;
    if (auto f = fields.find(s.customer_id); f != fields.end()) {
      action = f->second.at("next_action");
      offer = f->second.at("offer");
      holdout = f->second.at("holdout") == "true";
    }
    top.push_back(json::object{{"id", s.customer_id}, {"name", customers[s.customer_id].name}, {"score", s.score},
                               {"tier", s.tier}, {"reasons", json::value_from(split_reasons(s.reasons))},
                               {"next_action", action}, {"offer", offer}, {"holdout", holdout}});
  }

  // Plays and what to do about them; the reasons behind most high risk.
  json::array plays_out;
  json::array recs;
  for (const auto& r : app.play_report()) {
    const auto& a = r.arms;
    json::object o{{"id", r.play_id},
                   {"kind", r.kind},
                   {"treatment", json::object{{"n", a.n_treatment}, {"rate", a.rate_treatment}, {"active", r.active_treatment}}},
                   {"holdout", json::object{{"n", a.n_holdout}, {"rate", a.rate_holdout}, {"active", r.active_holdout}}},
                   {"lift", a.lift},
                   {"lift_ci95", json::array{a.lift_low, a.lift_high}},
                   {"enough_data", a.enough_data},
                   {"note", a.note},
                   {"cost", r.cost}};
    o["saved_per_1000"] = r.saved_per_1000 ? json::value(*r.saved_per_1000) : json::value(nullptr);
    plays_out.push_back(std::move(o));
    if (a.enough_data && a.lift_low > 0)
      recs.push_back(json::value("Widen play '" + r.play_id + "': it reduces churn (95% interval excludes 0)."));
    else if (a.enough_data && a.lift_high < 0)
      recs.push_back(json::value("Stop play '" + r.play_id + "': churn is higher when it runs."));
    else if (!a.enough_data)
      recs.push_back(json::value("Keep play '" + r.play_id + "' running: too few completed enrolments to judge it."));
  }
  std::map<std::string, std::size_t> reason_counts;
  std::size_t high_risk = 0, high_without_play = 0;
  for (const auto& [id, s] : latest) {
    if (!customers.count(id) || (s.tier != "high" && s.tier != "critical")) continue;
    ++high_risk;
    if (!fields.count(id)) ++high_without_play;
    for (const auto& r : split_reasons(s.reasons)) ++reason_counts[reason_template(r)];
  }
  std::vector<std::pair<std::size_t, std::string>> drivers;
  for (const auto& [r, n] : reason_counts) drivers.emplace_back(n, r);
  std::sort(drivers.rbegin(), drivers.rend());
  json::array driver_json;
  for (std::size_t i = 0; i < drivers.size() && i < 8; ++i)
    driver_json.push_back(json::object{{"reason", drivers[i].second}, {"customers", drivers[i].first}});
  if (!drivers.empty())
    recs.push_back(json::value("Most high-risk customers share \"" + drivers[0].second + "\" (" +
                               std::to_string(drivers[0].first) + " of " + std::to_string(high_risk) +
                               "): address it at the source."));
  if (high_without_play > 0)
    recs.push_back(json::value(std::to_string(high_without_play) + " high-risk customers are in no play" +
                               (cfg.plays.empty() ? ": configure one (plays: in the config)." : ": widen a play's condition or cap.")));

  const auto& state = app.state();
  const auto counts = st.counts();
  const auto usage = app.crm().usage();
  json::object sync{{"crm", app.crm().name()},
                    {"last_run", state.last_run_ms ? json::value(format_iso8601(state.last_run_ms)) : json::value(nullptr)},
                    {"last_error", state.last_error},
                    {"runs", state.runs},
                    {"webhook_runs", state.webhook_runs},
                    {"api_calls", usage.calls},
                    {"rate_limited", usage.rate_limited},
                    {"retries", usage.retries},
                    {"outbox", json::object{{"pending", counts.outbox_pending}, {"done", counts.outbox_done}, {"failed", counts.outbox_failed}}}};
  sync["daily_remaining"] = usage.daily_remaining ? json::value(*usage.daily_remaining) : json::value(nullptr);
  json::object model{{"version", nullptr}};
  if (auto m = st.active_model()) {
    boost::system::error_code ec;
    auto metrics = json::parse(m->metrics_json, ec);
    model = json::object{{"version", m->version}, {"algorithm", m->algorithm}, {"trained", format_iso8601(m->created_ms)},
                         {"metrics", ec ? json::value(nullptr) : metrics}};
  }
  json::object doc{{"generated_at", format_iso8601(now)},
                   {"customers", customers.size()},
                   {"model", std::move(model)},
                   {"tiers", std::move(tiers)},
                   {"histogram", json::value_from(histogram)},
                   {"trend", std::move(trend)},
                   {"segment", segment},
                   {"segments", std::move(segments)},
                   {"top", std::move(top)},
                   {"engagement", json::object{{"mean_engagement", maybe(eng, n_eng)},
                                               {"mean_sentiment", maybe(sent, n_sent)},
                                               {"low_engagement_share", maybe(double(low_eng), n_eng)},
                                               {"negative_sentiment_share", maybe(double(neg_sent), n_sent)}}},
                   {"plays", std::move(plays_out)},
                   {"risk_drivers", std::move(driver_json)},
                   {"recommendations", std::move(recs)},
                   {"sync", std::move(sync)}};
  return json::serialize(doc);
}

std::optional<http::Response> static_file(const http::Request& req, const std::string& dir, const std::string& path) {
  namespace fs = std::filesystem;
  if (dir.empty() || path.find("..") != std::string::npos || path.find('\0') != std::string::npos) return std::nullopt;
  const std::string rel = path == "/" ? "index.html" : path.substr(1);
  std::error_code ec;
  const auto base = fs::weakly_canonical(dir, ec);
  const auto file = fs::weakly_canonical(fs::path(dir) / rel, ec);
  if (ec || file.string().rfind(base.string(), 0) != 0 || !fs::is_regular_file(file)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto ext = file.extension().string();
  const std::string type = ext == ".html" ? "text/html; charset=utf-8"
                           : ext == ".js" ? "text/javascript; charset=utf-8"
                           : ext == ".css" ? "text/css; charset=utf-8"
                           : ext == ".svg" ? "image/svg+xml"
                           : ext == ".png" ? "image/png"
                                           : "application/octet-stream";
  auto res = http::make_response(req, 200, ss.str(), type);
  res.set("Cache-Control", ext == ".html" ? "no-cache" : "max-age=3600");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'");
  return res;
}

}  // namespace cg::app
