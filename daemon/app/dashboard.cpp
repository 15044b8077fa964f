#include "daemon/app/dashboard.hpp"

#include "daemon/core/clock.hpp"
#include "daemon/scoring/reasons.hpp"

#include <set>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace cg::app {
namespace json = boost::json;
namespace {

double mean(double sum, std::size_t n) { return n ? sum / double(n) : 0; }

json::value maybe(double sum, std::size_t n) { return n ? json::value(sum / double(n)) : json::value(nullptr); }

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

BookSummary summarise_book(App& app, std::int64_t now, std::size_t top_n) {
  auto& st = app.store();
  const auto& cfg = app.config();
  BookSummary b;
  b.segment = cfg.http.segment_property;
  if (b.segment.empty() && !cfg.model.categorical_properties.empty()) b.segment = cfg.model.categorical_properties.front();
  // The last 30 days, one point a day (the end of each UTC day, today up to now).
  const std::int64_t today = now / ms_per_day * ms_per_day;
  for (int d = 29; d >= 0; --d) b.trend.push_back({d == 0 ? now : today - std::int64_t{d - 1} * ms_per_day - 1});
  const std::int64_t month_ago = now - 30 * ms_per_day;
  const auto fields_of = app.play_fields();
  auto is_high = [](const store::Score& s) { return s.tier == "high" || s.tier == "critical"; };
  const scoring::ReasonGroups groups(cfg.model.reason_phrases);
  auto riskier = [](const store::Score& x, const store::Score& y) {
    return x.probability != y.probability ? x.probability > y.probability : x.customer_id < y.customer_id;
  };
  // One pass, a batch of customers at a time: each batch's customers, score histories since a
  // month ago and play fields are read, added to the sums, and dropped.
  auto scanned = store::for_each_batch(st.customer_ids(), store::kCustomerBatch, [&](const std::set<std::string>& batch) -> Result<void> {
    const auto history = st.score_history_of(batch, std::min(month_ago, b.trend.front().at));
    const auto fields = fields_of(batch);
    for (const auto& c : st.customers_of(batch)) {
      ++b.customers;
      auto h = history.find(c.id);
      if (h == history.end()) continue;
      for (auto& p : b.trend) {
        const auto* s = store::score_at(h->second, p.at);
        if (!s) continue;
        p.score += s->score, ++p.n, p.high += is_high(*s);
        if (s->sentiment) p.sentiment += *s->sentiment, ++p.n_sentiment;
        if (s->engagement) p.engagement += *s->engagement, ++p.n_engagement;
      }
      const auto* latest = store::score_at(h->second, std::numeric_limits<std::int64_t>::max());
      if (!latest) continue;
      const auto& s = *latest;
      ++b.tiers[s.tier];
      ++b.histogram[static_cast<std::size_t>(std::clamp(s.score / 10, 0, 9))];
      if (s.sentiment) b.sentiment += *s.sentiment, ++b.n_sentiment, b.negative_sentiment += *s.sentiment < 0;
      if (s.engagement) b.engagement += *s.engagement, ++b.n_engagement, b.low_engagement += *s.engagement < 30;
      const auto f = fields.find(c.id);
      if (!b.segment.empty()) {
        auto v = c.properties.find(b.segment);
        auto& acc = b.segments[v == c.properties.end() || v->second.empty() ? "(none)" : v->second];
        acc.now += s.score, ++acc.n, acc.high += is_high(s);
        if (const auto* then = store::score_at(h->second, month_ago)) acc.before += then->score, ++acc.n_before;
      }
      if (is_high(s)) {
        ++b.high_risk;
        if (f == fields.end()) ++b.high_without_play;
        for (const auto& r : split_reasons(s.reasons)) ++b.reason_counts[groups.of(r)];
      }
      if (top_n > 0 && (b.top.size() < top_n || riskier(s, b.top.back().score))) {
        BookSummary::Top t{s, c.name, f == fields.end() ? std::map<std::string, std::string>{} : f->second};
        const auto at = std::upper_bound(b.top.begin(), b.top.end(), t,
                                         [&](const auto& x, const auto& y) { return riskier(x.score, y.score); });
        b.top.insert(at, std::move(t));
        if (b.top.size() > top_n) b.top.pop_back();
      }
    }
    return {};
  });
  if (!scanned) throw ErrorException(scanned.error());  // the callback itself never fails
  return b;
}

std::string dashboard_json(App& app, std::int64_t now) {
  auto& st = app.store();
  const auto& cfg = app.config();
  const auto book = summarise_book(app, now, 25);

  json::object tiers{{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
  for (const auto& [tier, n] : book.tiers) tiers[tier] = n;
  json::array trend;
  for (const auto& p : book.trend)
    trend.push_back(json::object{{"date", format_iso8601(p.at).substr(0, 10)}, {"customers", p.n},
                                 {"mean_score", maybe(p.score, p.n)}, {"high_share", maybe(double(p.high), p.n)},
                                 {"mean_sentiment", maybe(p.sentiment, p.n_sentiment)},
                                 {"mean_engagement", maybe(p.engagement, p.n_engagement)}});
  // By segment: now and 30 days ago.
  json::array segments;
  for (const auto& [value, a] : book.segments)
    segments.push_back(json::object{{"value", value}, {"customers", a.n}, {"mean_score", mean(a.now, a.n)},
                                    {"mean_score_30d_ago", maybe(a.before, a.n_before)},
                                    {"high_share", mean(double(a.high), a.n)}});
  // The riskiest customers, with what to do and whose record it is.
  std::set<std::string> top_ids;
  for (const auto& t : book.top) top_ids.insert(t.score.customer_id);
  const auto owner_of = st.owners_of(top_ids);
  std::set<std::string> owner_ids;
  for (const auto& [_, o] : owner_of) owner_ids.insert(o);
  const auto owners = st.owner_details(owner_ids);
  json::array top;
  for (const auto& t : book.top) {
    auto field = [&](const char* k, const char* fallback) {
      auto it = t.play_fields.find(k);
      return it == t.play_fields.end() ? std::string(fallback) : it->second;
    };
    top.push_back(json::object{{"id", t.score.customer_id}, {"name", t.name}, {"score", t.score.score},
                               {"tier", t.score.tier}, {"reasons", json::value_from(split_reasons(t.score.reasons))},
                               {"next_action", field("next_action", "none")}, {"offer", field("offer", "")},
                               {"holdout", field("holdout", "false") == "true"}});
    // The owner: named when the CRM listed them, the bare id when not, null when there is none.
    json::value owner = nullptr;
    if (auto o = owner_of.find(t.score.customer_id); o != owner_of.end()) {
      auto d = owners.find(o->second);
      owner = d == owners.end() ? json::object{{"id", o->second}, {"name", nullptr}, {"active", nullptr}}
                                : json::object{{"id", o->second}, {"name", d->second.name}, {"active", d->second.active}};
    }
    top.back().as_object()["owner"] = std::move(owner);
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
  std::vector<std::pair<std::size_t, std::string>> drivers;
  for (const auto& [r, n] : book.reason_counts) drivers.emplace_back(n, r);
  std::sort(drivers.rbegin(), drivers.rend());
  json::array driver_json;
  for (std::size_t i = 0; i < drivers.size() && i < 8; ++i)
    driver_json.push_back(json::object{{"reason", drivers[i].second}, {"customers", drivers[i].first}});
  if (!drivers.empty())
    recs.push_back(json::value("Most high-risk customers share \"" + drivers[0].second + "\" (" +
                               std::to_string(drivers[0].first) + " of " + std::to_string(book.high_risk) +
                               "): address it at the source."));
  if (book.high_without_play > 0)
    recs.push_back(json::value(std::to_string(book.high_without_play) + " high-risk customers are in no play" +
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
                   {"customers", book.customers},
                   {"model", std::move(model)},
                   {"tiers", std::move(tiers)},
                   {"histogram", json::value_from(book.histogram)},
                   {"trend", std::move(trend)},
                   {"segment", book.segment},
                   {"segments", std::move(segments)},
                   {"top", std::move(top)},
                   {"engagement", json::object{{"mean_engagement", maybe(book.engagement, book.n_engagement)},
                                               {"mean_sentiment", maybe(book.sentiment, book.n_sentiment)},
                                               {"low_engagement_share", maybe(double(book.low_engagement), book.n_engagement)},
                                               {"negative_sentiment_share", maybe(double(book.negative_sentiment), book.n_sentiment)}}},
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
