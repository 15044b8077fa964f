#include "daemon/report/report.hpp"

#include "daemon/core/clock.hpp"
#include "daemon/report/svg.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <sstream>

namespace cg::report {
namespace json = boost::json;
namespace {

const json::value kNull;

const json::value& at(const json::value& v, const char* key) {
  if (!v.is_object()) return kNull;
  auto* p = v.as_object().if_contains(key);
  return p ? *p : kNull;
}

double number(const json::value& v) {
  if (v.is_double()) return v.as_double();
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  return 0;
}

std::string text(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

std::string fixed(double v, int digits = 3) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", digits, v);
  return b;
}

std::vector<std::pair<double, double>> points(const json::value& arr) {
  std::vector<std::pair<double, double>> out;
  if (!arr.is_array()) return out;
  for (const auto& p : arr.as_array())
    if (p.is_array() && p.as_array().size() >= 2) out.emplace_back(number(p.as_array()[0]), number(p.as_array()[1]));
  return out;
}

std::string metrics_row(const std::string& name, const json::value& m) {
  std::ostringstream o;
  o << "<tr><th>" << svg::escape(name) << "</th><td>" << fixed(number(at(m, "roc_auc"))) << "</td><td>"
    << fixed(number(at(m, "pr_auc"))) << "</td><td>" << fixed(number(at(m, "brier")), 4) << "</td><td>"
    << fixed(number(at(m, "log_loss")), 4) << "</td><td>" << fixed(number(at(m, "ece")), 4) << "</td><td>"
    << static_cast<long long>(number(at(m, "rows"))) << "</td><td>" << static_cast<long long>(number(at(m, "positives")))
    << "</td></tr>";
  return o.str();
}

constexpr const char* kStyle = R"(
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d8dee6;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.3rem .7rem;border-bottom:1px solid #e6eaef;text-align:right}
th:first-child,td:first-child{text-align:left}.note{background:#f4f7fa;border-left:4px solid #5b7fa6;padding:.6rem 1rem}
.warn{border-left-color:#c77700}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{width:440px;height:auto}
.chart.wide{width:560px}.title{font-size:14px;font-weight:600;fill:#1d2733}.tick{font-size:11px;fill:#4a5868}
.axis{font-size:12px;fill:#1d2733}.frame{fill:none;stroke:#9aa7b5}.grid{stroke:#eef1f4}.bar{fill:#5b7fa6}
.ref{stroke:#c0392b;stroke-dasharray:4 3}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0}
)";

}  // namespace

std::string model_report_html(const store::ModelRecord& m, const std::vector<store::FeatureDrift>& drift) {
  boost::system::error_code ec;
  json::value d = json::parse(m.details_json.empty() ? "{}" : m.details_json, ec);
  if (ec) d = json::object{};
  std::ostringstream o;
  o << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ChurnGuard model "
    << svg::escape(m.version) << "</title><style>" << kStyle << "</style></head><body>";
  o << "<h1>ChurnGuard model <code>" << svg::escape(m.version) << "</code>" << (m.active ? " (active)" : "") << "</h1>";
  o << "<dl><dt>Trained</dt><dd>" << format_iso8601(m.created_ms) << "</dd><dt>Algorithm</dt><dd>"
    << svg::escape(m.algorithm) << "</dd><dt>Calibration</dt><dd>" << svg::escape(text(at(d, "calibration")))
    << "</dd><dt>Training window</dt><dd>" << svg::escape(text(at(at(d, "window"), "from"))) << " &rarr; "
    << svg::escape(text(at(at(d, "window"), "to"))) << "</dd>";
  if (number(at(d, "horizon_days")) > 0)
    o << "<dt>Horizon</dt><dd>churn within " << number(at(d, "horizon_days")) << " days</dd>";
  const auto& split = at(d, "split");
  o << "<dt>Rows</dt><dd>" << number(at(d, "rows")) << " (" << number(at(d, "positives")) << " churned); train "
    << number(at(split, "train")) << ", validation " << number(at(split, "valid")) << ", test " << number(at(split, "test"))
    << (at(split, "by_time").is_bool() && at(split, "by_time").as_bool() ? ", split by time" : ", stratified random split");
  if (number(at(split, "embargoed")) > 0) o << ", " << number(at(split, "embargoed")) << " held back by the embargo";
  o << "</dd></dl>";
  const bool cross = text(at(d, "mode")) == "cross_sectional";
  if (!text(at(d, "note")).empty())
    o << "<p class=\"note" << (cross ? " warn" : "") << "\">" << svg::escape(text(at(d, "note"))) << "</p>";
  if (m.details_json.size() <= 2) {
    o << "<p class=\"note warn\">This model was trained before the registry kept details; retrain for a full report.</p>";
  }

  o << "<h2>Candidates (validation rows, before calibration)</h2><table><tr><th>algorithm</th><th>ROC-AUC</th>"
       "<th>PR-AUC</th><th>Brier</th><th>log loss</th><th>ECE</th><th>rows</th><th>churned</th><th>rounds</th></tr>";
  if (at(d, "candidates").is_array())
    for (const auto& c : at(d, "candidates").as_array()) {
      auto row = metrics_row(text(at(c, "algorithm")) + (text(at(c, "algorithm")) == text(at(d, "chosen")) ? " ✔" : ""),
                             at(c, "valid"));
      row.insert(row.size() - 5, "<td>" + std::to_string(static_cast<long long>(number(at(c, "rounds")))) + "</td>");
      o << row;
    }
  o << "</table><p>The best has the highest PR-AUC, or the lowest log loss among the candidates the highest PR-AUC "
       "does not beat in at least 95% of paired bootstrap resamples of these rows; a candidate that is cheaper to "
       "score and explain is chosen instead when the best does not beat it in at least 95% of those resamples. The calibrator is fitted on the same validation rows; the test rows are used "
       "only below.</p>";
  if (!text(at(d, "why")).empty()) o << "<p>Choice: " << svg::escape(text(at(d, "why"))) << ".</p>";
  if (const auto* pairs = d.is_object() ? d.as_object().if_contains("interactions") : nullptr; pairs && pairs->is_array()) {
    o << "<p>Column pairs modelled together (strongest first): ";
    std::string sep;
    for (const auto& p : pairs->as_array())
      if (p.is_array() && p.as_array().size() == 2) {
        o << sep << svg::escape(text(p.as_array()[0])) << " &times; " << svg::escape(text(p.as_array()[1]));
        sep = "; ";
      }
    o << (sep.empty() ? "none" : "") << ".</p>";
  }
  o << "<h2>Test rows</h2><table><tr><th></th><th>ROC-AUC</th><th>PR-AUC</th><th>Brier</th><th>log loss</th><th>ECE</th>"
       "<th>rows</th><th>churned</th></tr>"
    << metrics_row("before calibration", at(d, "test_raw")) << metrics_row("calibrated", at(d, "test"));
  const auto& cmp = at(d, "comparison");
  if (!at(cmp, "active").is_null()) o << metrics_row("previous active model", at(cmp, "active"));
  o << "</table>";
  if (!text(at(cmp, "decision")).empty())
    o << "<p>Activation: " << svg::escape(text(at(cmp, "decision"))) << " &rarr; "
      << (at(cmp, "activated").is_bool() && at(cmp, "activated").as_bool() ? "activated" : "kept the active model")
      << ".</p>";

  const auto& curves = at(d, "curves");
  o << "<div class=\"charts\">";
  auto roc = points(at(curves, "roc"));
  o << svg::line_chart("ROC curve (test)", "false-positive rate", "true-positive rate",
                       {{"model", "#5b7fa6", roc}, {"chance", "#9aa7b5", {{0, 0}, {1, 1}}, true}});
  auto pr = points(at(curves, "pr"));
  double base = number(at(at(d, "test"), "rows")) > 0
                    ? number(at(at(d, "test"), "positives")) / number(at(at(d, "test"), "rows"))
                    : 0;
  o << svg::line_chart("Precision-recall (test)", "recall", "precision",
                       {{"model", "#5b7fa6", pr}, {"churn rate", "#9aa7b5", {{0, base}, {1, base}}, true}});
  auto rel_raw = points(at(curves, "reliability_raw")), rel = points(at(curves, "reliability"));
  o << svg::line_chart("Calibration (test)", "predicted probability", "observed churn rate",
                       {{"perfect", "#9aa7b5", {{0, 0}, {1, 1}}, true},
                        {"before", "#c77700", rel_raw, false, true},
                        {"calibrated", "#2e7d32", rel, false, true}});
  std::vector<std::pair<std::string, double>> lift;
  if (at(curves, "lift").is_array()) {
    int i = 0;
    for (const auto& v : at(curves, "lift").as_array()) lift.emplace_back(std::to_string(++i), number(v));
  }
  o << svg::bar_chart("Lift by decile (1 = riskiest tenth)", lift, "churn rate / average", 1.0);
  o << "</div>";

  std::vector<std::pair<std::string, double>> imp;
  if (at(d, "importance").is_array())
    for (const auto& p : at(d, "importance").as_array())
      if (p.is_array() && p.as_array().size() == 2 && imp.size() < 20)
        imp.emplace_back(text(p.as_array()[0]), number(p.as_array()[1]));
  o << "<h2>Feature importance</h2><p>Mean absolute SHAP contribution (log-odds) on the test rows, top 20.</p>"
    << svg::hbar_chart("Mean |SHAP|", imp);

  o << "<h2>Drift since training</h2>";
  if (drift.empty()) {
    o << "<p>Not measured yet: drift is computed at each full scoring pass.</p>";
  } else {
    std::vector<std::pair<std::string, double>> bars;
    std::string high;
    for (const auto& f : drift) {
      if (bars.size() < 20) bars.emplace_back(f.source, f.psi);
      if (f.psi > 0.25) high += (high.empty() ? "" : ", ") + f.source;
    }
    o << "<p>Population stability index of each feature, today's customers against the training rows (measured "
      << format_iso8601(drift.front().computed_ms) << "). Below 0.1 stable; 0.1&ndash;0.25 moderate; above 0.25 "
      << "investigate and retrain.</p>";
    if (!high.empty()) o << "<p class=\"note warn\">Shifted: " << svg::escape(high) << ".</p>";
    o << svg::hbar_chart("PSI (top 20)", bars, {{0.1, "0.1"}, {0.25, "0.25"}});
  }
  o << "</body></html>\n";
  return o.str();
}

}  // namespace cg::report
