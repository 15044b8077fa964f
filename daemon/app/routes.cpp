#include "daemon/app/routes.hpp"

#include "daemon/app/dashboard.hpp"
#include "daemon/report/report.hpp"
#include "daemon/report/svg.hpp"

#include "connectors/hubspot/webhook.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"

#include <boost/url/parse.hpp>
#include <openssl/crypto.h>

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <sstream>

namespace cg::app {
namespace json = boost::json;

namespace {

using report::svg::escape;

std::string status_page(App& app) {
  const auto& st = app.state();
  auto c = app.store().counts();
  auto model = app.store().active_model();
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=utf-8><title>ChurnGuard</title><style>"
       "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
       "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}"
       ".critical{color:#b00020;font-weight:600}.high{color:#d35400}.medium{color:#b7950b}.low{color:#1e8449}"
       "</style></head><body><h1>ChurnGuard</h1>";
  o << "<p>CRM: " << escape(app.crm().name()) << " &middot; model: "
    << (model ? "<a href=\"/models/active/report\">" + escape(model->version) + "</a>" : std::string("none yet")) << " &middot; last run: "
    << (st.last_run_ms ? format_iso8601(st.last_run_ms) : "never") << "</p>";
  if (!st.last_error.empty()) o << "<p class=critical>Last run failed: " << escape(st.last_error) << "</p>";
  o << "<h2>Store</h2><table><tr><th>customers</th><td>" << c.customers << "</td></tr><tr><th>activities</th><td>"
    << c.activities << "</td></tr><tr><th>texts scored</th><td>" << c.texts_scored << " / " << c.texts
    << "</td></tr><tr><th>writes pending / done / failed</th><td>" << c.outbox_pending << " / " << c.outbox_done << " / "
    << c.outbox_failed << "</td></tr></table><h2>Risk tiers</h2><table>";
  // Tiers as this daemon's last scheduled pass scored everyone: the page costs a few counts,
  // never a pass over the book, and names no customer (the dashboard does, behind the token).
  for (const char* t : {"critical", "high", "medium", "low"}) {
    auto n = st.tiers.find(t);
    o << "<tr><th class=" << t << ">" << t << "</th><td>"
      << (st.tiers.empty() ? std::string("–") : std::to_string(n == st.tiers.end() ? 0 : n->second)) << "</td></tr>";
  }
  o << "</table>" << (st.tiers.empty() ? "<p>Tiers appear after this daemon's first scheduled pass.</p>" : "")
    << "<p>Customers by risk, with reasons and next actions: the dashboard (it asks for the API token).</p></body></html>";
  return o.str();
}

std::string metrics(App& app) {
  const auto& st = app.state();
  auto c = app.store().counts();
  auto u = app.crm().usage();
  std::ostringstream o;
  o << "# TYPE churnguard_customers gauge\nchurnguard_customers " << c.customers << "\n"
    << "# TYPE churnguard_texts_scored gauge\nchurnguard_texts_scored " << c.texts_scored << "\n"
    << "# TYPE churnguard_outbox gauge\nchurnguard_outbox{status=\"pending\"} " << c.outbox_pending << "\n"
    << "churnguard_outbox{status=\"done\"} " << c.outbox_done << "\nchurnguard_outbox{status=\"failed\"} "
    << c.outbox_failed << "\n"
    << "# TYPE churnguard_crm_api_calls_total counter\nchurnguard_crm_api_calls_total " << u.calls << "\n"
    << "# TYPE churnguard_crm_rate_limited_total counter\nchurnguard_crm_rate_limited_total " << u.rate_limited << "\n";
  if (u.daily_remaining) o << "# TYPE churnguard_crm_daily_remaining gauge\nchurnguard_crm_daily_remaining " << *u.daily_remaining << "\n";
  o << "# TYPE churnguard_pipeline_runs_total counter\nchurnguard_pipeline_runs_total " << st.runs << "\n"
    << "# TYPE churnguard_webhook_runs_total counter\nchurnguard_webhook_runs_total " << st.webhook_runs << "\n";
  o << "# TYPE churnguard_last_run_timestamp_seconds gauge\nchurnguard_last_run_timestamp_seconds " << st.last_run_ms / 1000 << "\n";
  if (auto active = app.store().active_model()) {
    o << "# HELP churnguard_feature_psi Population stability of each feature, today against the active model's training rows\n"
      << "# TYPE churnguard_feature_psi gauge\n";
    for (const auto& d : app.store().drift(active->id))
      o << "churnguard_feature_psi{feature=\"" << d.source << "\"} " << d.psi << "\n";
  }
  return o.str();
}

http::Response json_error(const http::Request& req, unsigned status, const std::string& message) {
  return http::make_response(req, status, json::serialize(json::object{{"error", message}}));
}

// Constant-time bearer check: the comparison takes as long whatever the guess.
bool bearer_ok(const http::Request& req, const Secret& token) {
  std::string got(req[boost::beast::http::field::authorization]);
  const std::string want = "Bearer " + token.reveal();
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

// The answer when `req` may not use an endpoint guarded by `token` (503 when it is not
// configured, 401 when the bearer is missing or wrong); nullopt when it may.
std::optional<http::Response> refuse(const http::Request& req, const Secret* token, const std::string& off) {
  if (!token) return json_error(req, 503, off);
  if (!bearer_ok(req, *token)) return json_error(req, 401, "missing or wrong bearer token");
  return std::nullopt;
}

http::Response events(App& app, const http::Request& req) {
  if (auto no = refuse(req, app.api_token(), "the events API is off: set api.token in the config")) return std::move(*no);
  if (req.body().size() > static_cast<std::size_t>(app.config().api.max_body_bytes))
    return json_error(req, 413, "body larger than api.max_body_bytes");
  auto r = app.ingest_events(req.body());
  if (!r) return json_error(req, 500, r.error().what());
  json::array rejected;
  for (auto& [line, why] : r->rejected) rejected.push_back(json::object{{"line", line}, {"error", why}});
  json::object body{{"accepted", r->accepted}, {"duplicates", r->duplicates}, {"rejected", rejected}};
  const bool none_good = r->accepted == 0 && r->duplicates == 0;
  return http::make_response(req, none_good ? 400 : 200, json::serialize(body));
}

http::Response webhook(App& app, const http::Request& req) {
  const Secret* secret = app.webhook_secret();
  if (!secret) return json_error(req, 503, "webhooks are off: set hubspot.webhook_url and hubspot.client_secret");
  if (req.body().size() > (1u << 20)) return json_error(req, 413, "webhook body too large");
  // HubSpot signs the URL it called: our public origin plus the path and query it used.
  auto url = boost::urls::parse_absolute_uri(app.config().hubspot.webhook_url);
  std::string uri = std::string(url->scheme()) + "://" + std::string(url->encoded_authority()) + std::string(req.target());
  auto ok = hubspot::verify_v3(secret->reveal(), std::string(req.method_string()), uri, req.body(),
                               std::string(req["X-HubSpot-Request-Timestamp"]), std::string(req["X-HubSpot-Signature-v3"]),
                               SystemClock{}.now_ms());
  if (!ok) {
    log::warn("webhook", "rejected: " + ok.error().message);
    return json_error(req, 401, ok.error().message);
  }
  auto evs = hubspot::parse_webhook_events(req.body());
  if (!evs) return json_error(req, 400, evs.error().message);
  std::string what = std::to_string(evs->size()) + " HubSpot event(s)";
  if (!evs->empty()) what += ", first " + evs->front().subscription_type + " " + evs->front().object_id;
  app.request_resync(what);
  return http::make_response(req, 200, json::serialize(json::object{{"accepted", evs->size()}}));
}

// Salesforce changes relayed by a Flow HTTP callout or a platform-event subscriber:
// {"recordIds": ["001...", ...]} with the configured bearer token. Any id triggers one
// incremental pass (idempotent: a repeat only costs another pass).
http::Response salesforce_webhook(App& app, const http::Request& req) {
  if (auto no = refuse(req, app.salesforce_webhook_token(), "the Salesforce relay is off: set salesforce.webhook_token"))
    return std::move(*no);
  if (req.body().size() > (1u << 20)) return json_error(req, 413, "relay body too large");
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  auto* ids = !ec && v.is_object() ? v.as_object().if_contains("recordIds") : nullptr;
  if (!ids || !ids->is_array() || ids->as_array().empty())
    return json_error(req, 400, "body must be {\"recordIds\": [\"001...\", ...]} with at least one id");
  for (const auto& id : ids->as_array()) {
    bool ok = id.is_string() && (id.as_string().size() == 15 || id.as_string().size() == 18);
    for (char c : ok ? std::string_view(id.as_string()) : std::string_view()) ok = ok && std::isalnum(static_cast<unsigned char>(c));
    if (!ok) return json_error(req, 400, "recordIds holds " + json::serialize(id) + ", not a 15- or 18-character Salesforce id");
  }
  const auto n = ids->as_array().size();
  app.request_resync(std::to_string(n) + " Salesforce change(s), first " + std::string(ids->as_array()[0].as_string()));
  return http::make_response(req, 200, json::serialize(json::object{{"accepted", n}}));
}

json::object arms_json(const plays::ArmComparison& a) {
  json::object o{{"treatment", json::object{{"n", a.n_treatment}, {"churned", a.churned_treatment}, {"rate", a.rate_treatment}}},
                 {"holdout", json::object{{"n", a.n_holdout}, {"churned", a.churned_holdout}, {"rate", a.rate_holdout}}},
                 {"lift", a.lift},
                 {"lift_ci95", json::array{a.lift_low, a.lift_high}},
                 {"enough_data", a.enough_data},
                 {"note", a.note}};
  o["relative_lift"] = a.relative_lift ? json::value(*a.relative_lift) : json::value(nullptr);
  return o;
}

// GET /api/v1/plays: each play's effect measured against its holdout.
http::Response plays_api(App& app, const http::Request& req) {
  if (auto no = refuse(req, app.api_token(), "the API is off: set api.token in the config")) return std::move(*no);
  json::array out;
  for (const auto& r : app.play_report()) {
    json::object o{{"id", r.play_id}, {"kind", r.kind}, {"description", r.description}, {"outcomes", arms_json(r.arms)},
                   {"active", json::object{{"treatment", r.active_treatment}, {"holdout", r.active_holdout}}},
                   {"cost", r.cost}};
    o["saved_per_1000"] = r.saved_per_1000 ? json::value(*r.saved_per_1000) : json::value(nullptr);
    out.push_back(std::move(o));
  }
  return http::make_response(req, 200, json::serialize(json::object{{"plays", std::move(out)}}));
}

}  // namespace

http::Handler make_routes(App& app) {
  auto dashboard = std::make_shared<DashboardCache>();
  return [&app, dashboard](http::Request req) -> boost::asio::awaitable<http::Response> {
    using boost::beast::http::verb;
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    if (req.method() == verb::post && path == "/api/v1/events") {
      dashboard->invalidate();
      co_return events(app, req);
    }
    if (req.method() == verb::post && path == "/webhooks/hubspot") co_return webhook(app, req);
    if (req.method() == verb::post && path == "/webhooks/salesforce") co_return salesforce_webhook(app, req);
    if (req.method() != verb::get) co_return json_error(req, 405, "method not allowed");
    if (path == "/api/v1/plays") co_return plays_api(app, req);
    if (path == "/api/v1/dashboard") {
      if (auto no = refuse(req, app.api_token(), "the API is off: set api.token in the config")) co_return std::move(*no);
      co_return http::make_response(req, 200, dashboard->get(app, SystemClock{}.now_ms()));
    }
    if (path == "/status") co_return http::make_response(req, 200, status_page(app), "text/html; charset=utf-8");
    if (auto file = static_file(req, app.config().http.dashboard_dir, path)) co_return std::move(*file);
    if (path == "/healthz")
      co_return http::make_response(req, 200, json::serialize(json::object{{"status", "ok"}, {"crm", app.crm().name()}}));
    if (path == "/metrics") co_return http::make_response(req, 200, metrics(app), "text/plain; version=0.0.4");
    if (path == "/models/active/report") {
      auto active = app.store().active_model();
      if (!active) co_return json_error(req, 404, "no trained model yet");
      co_return http::make_response(req, 200, report::model_report_html(*active, app.store().drift(active->id)),
                                    "text/html; charset=utf-8");
    }
    if (path == "/") co_return http::make_response(req, 200, status_page(app), "text/html; charset=utf-8");
    co_return json_error(req, 404, "not found");
  };
}

}  // namespace cg::app
