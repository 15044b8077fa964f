#include "daemon/app/routes.hpp"

#include "daemon/core/clock.hpp"

#include <boost/json.hpp>

#include <sstream>

namespace cg::app {
namespace json = boost::json;

namespace {

std::string escape_html(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string status_page(App& app, const RunState& st) {
  auto c = app.store().counts();
  auto model = app.store().active_model();
  auto scores = app.store().latest_scores();
  std::map<std::string, int> tiers;
  std::vector<const store::Score*> top;
  for (auto& [id, s] : scores) {
    ++tiers[s.tier];
    top.push_back(&s);
  }
  std::sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->probability > b->probability; });
  if (top.size() > 15) top.resize(15);
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=utf-8><title>ChurnGuard</title><style>"
       "body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
       "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}"
       ".critical{color:#b00020;font-weight:600}.high{color:#d35400}.medium{color:#b7950b}.low{color:#1e8449}"
       "</style></head><body><h1>ChurnGuard</h1>";
  o << "<p>CRM: " << escape_html(app.crm().name()) << " &middot; model: "
    << (model ? escape_html(model->version) : "none yet") << " &middot; last run: "
    << (st.last_run_ms ? format_iso8601(st.last_run_ms) : "never") << "</p>";
  if (!st.last_error.empty()) o << "<p class=critical>Last run failed: " << escape_html(st.last_error) << "</p>";
  o << "<h2>Store</h2><table><tr><th>customers</th><td>" << c.customers << "</td></tr><tr><th>activities</th><td>"
    << c.activities << "</td></tr><tr><th>texts scored</th><td>" << c.texts_scored << " / " << c.texts
    << "</td></tr><tr><th>writes pending / done / failed</th><td>" << c.outbox_pending << " / " << c.outbox_done << " / "
    << c.outbox_failed << "</td></tr></table><h2>Risk tiers</h2><table>";
  for (const char* t : {"critical", "high", "medium", "low"}) o << "<tr><th class=" << t << ">" << t << "</th><td>" << tiers[t] << "</td></tr>";
  o << "</table><h2>Highest risk</h2><table><tr><th>customer</th><th>score</th><th>tier</th><th>reasons</th></tr>";
  for (auto* s : top)
    o << "<tr><td>" << escape_html(s->customer_id) << "</td><td>" << s->score << "</td><td class=" << s->tier << ">"
      << s->tier << "</td><td>" << escape_html(s->reasons) << "</td></tr>";
  o << "</table></body></html>";
  return o.str();
}

std::string metrics(App& app, const RunState& st) {
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
  o << "# TYPE churnguard_last_run_timestamp_seconds gauge\nchurnguard_last_run_timestamp_seconds " << st.last_run_ms / 1000 << "\n";
  return o.str();
}

}  // namespace

http::Handler make_routes(App& app, const RunState& state) {
  return [&app, &state](http::Request req) -> boost::asio::awaitable<http::Response> {
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    if (req.method() != boost::beast::http::verb::get)
      co_return http::make_response(req, 405, R"({"error":"method not allowed"})");
    if (path == "/healthz")
      co_return http::make_response(req, 200, json::serialize(json::object{{"status", "ok"}, {"crm", app.crm().name()}}));
    if (path == "/metrics") co_return http::make_response(req, 200, metrics(app, state), "text/plain; version=0.0.4");
    if (path == "/") co_return http::make_response(req, 200, status_page(app, state), "text/html; charset=utf-8");
    co_return http::make_response(req, 404, R"({"error":"not found"})");
  };
}

}  // namespace cg::app
