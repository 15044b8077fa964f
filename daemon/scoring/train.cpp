#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/model/drift.hpp"
#include "daemon/scoring/dataset.hpp"
#include "daemon/scoring/scoring.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

namespace cg::scoring {
namespace json = boost::json;
namespace {

json::object metrics_json(const model::Metrics& m) {
  return {{"roc_auc", m.roc_auc}, {"pr_auc", m.pr_auc}, {"brier", m.brier}, {"log_loss", m.log_loss},
          {"ece", m.ece},         {"rows", m.rows},     {"positives", m.positives}};
}

// At most `n` points, always keeping the first and the last.
json::array curve_json(const std::vector<model::CurvePoint>& pts, std::size_t n = 200) {
  json::array a;
  if (pts.empty()) return a;
  const std::size_t step = std::max<std::size_t>(1, pts.size() / n);
  for (std::size_t i = 0; i < pts.size(); i += step) a.push_back(json::array{pts[i].x, pts[i].y});
  if ((pts.size() - 1) % step != 0) a.push_back(json::array{pts.back().x, pts.back().y});
  return a;
}

json::array reliability_json(const std::vector<float>& p, const std::vector<float>& y) {
  json::array a;
  for (const auto& b : model::reliability(p, y)) a.push_back(json::array{b.mean_predicted, b.observed, b.count});
  return a;
}

// Mean |SHAP| per source over the rows, largest first.
Result<json::array> importance(const model::Model& m, const model::Matrix& x, const std::vector<std::string>& sources) {
  auto contrib = m.contributions(x);
  if (!contrib) return contrib.error();
  std::map<std::string, double> sum;
  const std::size_t width = x.cols + 1;
  for (std::size_t r = 0; r < x.rows; ++r) {
    std::map<std::string, double> row;
    for (std::size_t c = 0; c < x.cols; ++c) row[sources[c]] += (*contrib)[r * width + c];
    for (auto& [s, v] : row) sum[s] += std::abs(v);
  }
  std::vector<std::pair<double, std::string>> ranked;
  for (auto& [s, v] : sum) ranked.emplace_back(v / std::max<double>(1, double(x.rows)), s);
  std::sort(ranked.rbegin(), ranked.rend());
  json::array a;
  for (auto& [v, s] : ranked) a.push_back(json::array{s, v});
  return a;
}

}  // namespace

Result<TrainOutcome> train(store::Store& st, const config::ModelConfig& cfg, std::int64_t now) {
  // A large book trains on a seeded random sample of customers, read with their records only.
  auto ids = st.customer_ids();
  const std::size_t book = ids.size();
  const bool sampled = book > static_cast<std::size_t>(cfg.max_training_customers);
  std::set<std::string> sample;
  if (sampled) {
    std::mt19937 rng(static_cast<std::uint32_t>(cfg.seed));
    std::shuffle(ids.begin(), ids.end(), rng);
    sample.insert(ids.begin(), ids.begin() + cfg.max_training_customers);
  }
  ids = {};
  const auto customers = sampled ? st.customers_of(sample) : st.customers();
  const auto lost_renewals = cfg.label.renewal_types.empty() ? std::map<std::string, std::int64_t>{}
                             : sampled                        ? st.lost_renewals_of(sample)
                                                              : st.lost_renewals();
  auto rows = training_rows(customers, cfg.label, now, lost_renewals);
  if (!rows) return rows.error();
  if (sampled)
    rows->note += std::string(rows->note.empty() ? "" : " ") + "Trained on a random sample of " +
                  std::to_string(customers.size()) + " of " + std::to_string(book) +
                  " customers (model.max_training_customers).";
  const auto activities = sampled ? st.activities_of(sample) : st.activities();
  const auto marketing = sampled ? st.marketing_stats_of(sample) : st.marketing_stats();
  const auto spec =
      features::fit_spec(customers, cfg.numeric_properties, cfg.categorical_properties, cfg.derived_properties);
  std::vector<std::size_t> all(rows->customer.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  model::Dataset data{training_matrix(spec, *rows, all, activities, marketing, now), rows->label, {}, rows->horizon_ms};
  if (rows->time_aware) data.time = rows->as_of;
  model::SelectOptions opt;
  opt.candidates = cfg.candidates;
  opt.calibration = cfg.calibration;
  opt.validation_share = cfg.validation_share;
  opt.test_share = cfg.test_share;
  opt.params.rounds = cfg.rounds;
  opt.params.max_depth = cfg.max_depth;
  opt.params.learning_rate = cfg.learning_rate;
  opt.params.interactions = cfg.interactions;
  opt.params.seed = cfg.seed;
  auto sel = model::select_model(data, opt);
  if (!sel) return sel.error();
  const auto& chosen = *sel->model;
  const auto sources = spec.column_sources();

  TrainOutcome out;
  out.algorithm = sel->chosen;
  out.calibration = chosen.calibrator().method_name();
  out.pr_auc = sel->test.pr_auc;
  out.roc_auc = sel->test.roc_auc;
  out.brier = sel->test.brier;
  out.rows = data.y.size();
  out.positives = static_cast<std::size_t>(std::count(data.y.begin(), data.y.end(), 1.f));
  out.features = data.x.cols;
  out.time_aware = rows->time_aware;
  out.note = rows->note;
  // Milliseconds keep versions unique across retrains in the same second (the store insists).
  out.version = sel->chosen + "-" + format_iso8601(now).substr(0, 23);
  std::replace(out.version.begin(), out.version.end(), ':', '-');

  // The active model, measured on the same test rows (with its own features), decides.
  auto active = st.active_model();
  json::object comparison;
  bool activate = true;
  out.decision = "no active model";
  if (active) {
    auto old_spec = features::FeatureSpec::from_json(active->features_json);
    auto old_model = old_spec ? model::Model::load(active->blob, active->transform_json) : Result<model::Model>(old_spec.error());
    if (!old_model) {
      out.decision = "active model " + active->version + " cannot be evaluated (" + old_model.error().message + ")";
    } else {
      auto old_probs = old_model->predict(training_matrix(*old_spec, *rows, sel->split.test, activities, marketing, now));
      if (!old_probs) return old_probs.error();
      auto old_metrics = model::evaluate(*old_probs, sel->test_labels);
      activate = sel->test.pr_auc >= old_metrics.pr_auc - 1e-9;
      char buf[200];
      std::snprintf(buf, sizeof buf, "test PR-AUC %.4f vs active %s %.4f", sel->test.pr_auc, active->version.c_str(),
                    old_metrics.pr_auc);
      out.decision = buf;
      comparison = {{"active_version", active->version}, {"active", metrics_json(old_metrics)}};
    }
  }
  comparison["decision"] = out.decision;
  comparison["activated"] = activate;

  const auto xtest = data.x.subset(sel->split.test);
  auto imp = importance(chosen, xtest, sources);
  if (!imp) return imp.error();
  json::array cands;
  for (const auto& c : sel->candidates) {
    json::object o{{"algorithm", c.algorithm}, {"rounds", c.rounds}, {"seconds", c.train_seconds},
                   {"valid", metrics_json(c.valid)}};
    if (c.best_beats_share) o["best_beats_share"] = *c.best_beats_share;
    cands.push_back(std::move(o));
  }
  json::object details{
      {"mode", rows->time_aware ? "time_aware" : "cross_sectional"},
      {"note", rows->note},
      {"window", json::object{{"from", format_iso8601(rows->from_ms)}, {"to", format_iso8601(rows->to_ms)}}},
      {"horizon_days", rows->time_aware ? cfg.label.horizon_days : 0},
      {"rows", out.rows},
      {"positives", out.positives},
      {"split", json::object{{"train", sel->split.train.size()}, {"valid", sel->split.valid.size()},
                             {"test", sel->split.test.size()}, {"by_time", sel->split.by_time},
                             {"embargoed", sel->split.embargoed}}},
      {"candidates", std::move(cands)},
      {"chosen", sel->chosen},
      {"best", sel->best},
      {"why", sel->why},
      {"calibration", out.calibration},
      {"valid", metrics_json(sel->valid)},
      {"test_raw", metrics_json(sel->test_raw)},
      {"test", metrics_json(sel->test)},
      {"curves", json::object{{"roc", curve_json(model::roc_curve(sel->test_probs, sel->test_labels))},
                              {"pr", curve_json(model::pr_curve(sel->test_probs, sel->test_labels))},
                              {"reliability_raw", reliability_json(sel->test_raw_probs, sel->test_labels)},
                              {"reliability", reliability_json(sel->test_probs, sel->test_labels)},
                              {"lift", json::value_from(model::lift_by_decile(sel->test_probs, sel->test_labels))}}},
      {"importance", std::move(*imp)},
      {"drift_baseline", json::parse(model::DriftBaseline::fit(data.x.subset(sel->split.train), sources).to_json())},
      {"comparison", std::move(comparison)}};
  if (sel->chosen == "explainable_boosting") {
    // The column pairs it models together, by name, strongest first.
    const auto names = spec.column_names();
    json::array pairs;
    for (const auto& [a, b] : chosen.stages().pairs)
      if (static_cast<std::size_t>(std::max(a, b)) < names.size())
        pairs.push_back(json::array{json::value(names[static_cast<std::size_t>(a)]), json::value(names[static_cast<std::size_t>(b)])});
    details["interactions"] = std::move(pairs);
  }

  auto blob = chosen.blob();
  if (!blob) return blob.error();
  store::ModelRecord rec;
  rec.version = out.version;
  rec.created_ms = now;
  rec.algorithm = sel->chosen;
  rec.features_json = spec.to_json();
  rec.metrics_json = json::serialize(metrics_json(sel->test));
  rec.transform_json = chosen.transform_json();
  rec.details_json = json::serialize(details);
  rec.blob = std::move(*blob);
  auto id = st.save_model(rec);
  if (!id) return id.error();
  out.model_id = *id;
  if (activate) {
    if (auto a = st.activate_model(*id); !a) return a.error();
    out.activated = true;
  } else {
    log::warn("model", "new model " + out.version + " is worse than the active one (" + out.decision +
                           "); keeping the active one (`churnguard models activate " + out.version + "` overrides)");
  }
  return out;
}

}  // namespace cg::scoring
