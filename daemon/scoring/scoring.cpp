#include "daemon/scoring/scoring.hpp"

#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

namespace cg::scoring {
namespace json = boost::json;

std::string tier_for(int score, const config::TierThresholds& t) {
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}

std::vector<std::string> top_reasons(const float* contrib, const std::vector<std::string>& sources,
                                     const std::map<std::string, std::string>& display,
                                     const std::map<std::string, std::string>& phrases, std::size_t k) {
  std::map<std::string, double> by_source;
  for (std::size_t i = 0; i < sources.size(); ++i) by_source[sources[i]] += contrib[i];
  std::vector<std::pair<double, std::string>> ranked;
  for (auto& [s, v] : by_source)
    if (v > 0.01) ranked.emplace_back(-v, s);
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ranked.size() && out.size() < k; ++i) {
    const auto& src = ranked[i].second;
    auto val = display.count(src) ? display.at(src) : std::string("?");
    std::string phrase = phrases.count(src) ? phrases.at(src) : src + ": {value}";
    if (auto p = phrase.find("{value}"); p != std::string::npos) phrase.replace(p, 7, val);
    out.push_back(phrase);
  }
  return out;
}

namespace {

bool is_positive(const std::string& v, const std::vector<std::string>& positives) {
  std::string low = v;
  std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(positives.begin(), positives.end(), low) != positives.end();
}

model::TrainParams params(const config::ModelConfig& c) {
  return {c.algorithm, c.rounds, c.max_depth, c.learning_rate, c.seed};
}

double metric(const std::string& metrics_json, const char* key) {
  boost::system::error_code ec;
  auto v = json::parse(metrics_json, ec);
  if (ec || !v.is_object()) return 0;
  auto* m = v.as_object().if_contains(key);
  return m && m->is_double() ? m->as_double() : 0;
}

}  // namespace

Result<TrainOutcome> train(store::Store& st, const config::ModelConfig& cfg, std::int64_t now) {
  auto all = st.customers();
  std::vector<store::Customer> labelled;
  std::vector<float> y;
  for (auto& c : all) {
    auto it = c.properties.find(cfg.label.property);
    if (it == c.properties.end() || it->second.empty()) continue;  // outcome unknown: not a training row
    y.push_back(is_positive(it->second, cfg.label.positive_values) ? 1.f : 0.f);
    labelled.push_back(c);
  }
  if (labelled.empty())
    return make_error(ErrorKind::model, "no customer has the label property '" + cfg.label.property +
                                            "'; set model.label.property to the property that records churn");
  auto spec = features::fit_spec(labelled, cfg.numeric_properties, cfg.categorical_properties);
  auto f = features::build(spec, labelled, st.activities(), now, st.marketing_stats());
  auto p = params(cfg);
  auto auc = model::cross_validate_auc(f.matrix, y, p, cfg.cv_folds);
  if (!auc) return auc.error();
  auto booster = model::Booster::train(f.matrix, y, p);
  if (!booster) return booster.error();
  auto blob = booster->save();
  if (!blob) return blob.error();

  TrainOutcome out;
  out.cv_auc = *auc;
  out.rows = labelled.size();
  out.positives = static_cast<std::size_t>(std::count(y.begin(), y.end(), 1.f));
  out.features = f.matrix.cols;
  // Milliseconds keep versions unique across retrains in the same second (the store insists).
  out.version = cfg.algorithm + "-" + format_iso8601(now).substr(0, 23);
  std::replace(out.version.begin(), out.version.end(), ':', '-');
  out.note = "cross-sectional: labels are the current value of '" + cfg.label.property +
             "', features as of training time";
  store::ModelRecord rec;
  rec.version = out.version;
  rec.created_ms = now;
  rec.algorithm = cfg.algorithm;
  rec.features_json = spec.to_json();
  rec.metrics_json = json::serialize(json::object{{"cv_auc", *auc}, {"folds", cfg.cv_folds},
                                                  {"rows", out.rows}, {"positives", out.positives},
                                                  {"note", out.note}});
  rec.blob = std::move(*blob);
  auto id = st.save_model(rec);
  if (!id) return id.error();
  out.model_id = *id;
  // Keep the last good model when the new one is clearly worse.
  auto active = st.active_model();
  double prev = active ? metric(active->metrics_json, "cv_auc") : 0;
  if (!active || *auc >= prev - 0.01) {
    if (auto a = st.activate_model(*id); !a) return a.error();
    out.activated = true;
  } else {
    log::warn("model", "new model " + out.version + " (CV AUC " + std::to_string(*auc) + ") is worse than active " +
                           active->version + " (" + std::to_string(prev) + "); keeping the active one");
  }
  return out;
}

Result<ScoreOutcome> score_all(store::Store& st, const config::ModelConfig& cfg, std::int64_t now,
                               const std::set<std::string>* only) {
  auto rec = st.active_model();
  if (!rec) return make_error(ErrorKind::model, "no trained model yet; run `churnguard train` first");
  auto spec = features::FeatureSpec::from_json(rec->features_json);
  if (!spec) return spec.error();
  auto booster = model::Booster::load(rec->blob);
  if (!booster) return booster.error();
  auto customers = only ? st.customers_of(*only) : st.customers();
  ScoreOutcome out;
  out.model_version = rec->version;
  if (customers.empty()) return out;
  features::CustomerFeatures f;
  if (only) {
    // Usage is ranked against everyone, from one aggregate query rather than every event.
    std::vector<double> population;
    auto counts = st.usage_counts_since(features::window_start_ms(now, 30));
    for (const auto& c : st.customers()) population.push_back(counts.count(c.id) ? counts[c.id] : 0);
    f = features::build(*spec, customers, st.activities_of(*only), now, st.marketing_stats(), &population);
  } else {
    f = features::build(*spec, customers, st.activities(), now, st.marketing_stats());
  }
  auto probs = booster->predict(f.matrix);
  if (!probs) return probs.error();
  auto contrib = booster->contributions(f.matrix);
  if (!contrib) return contrib.error();
  const auto sources = spec->column_sources();
  const std::size_t width = f.matrix.cols + 1;
  std::vector<store::Score> scores;
  scores.reserve(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    store::Score s;
    s.customer_id = f.customer_ids[i];
    s.scored_ms = now;
    s.model_id = rec->id;
    s.probability = (*probs)[i];
    s.score = static_cast<int>(std::lround(s.probability * 100));
    s.tier = tier_for(s.score, cfg.tiers);
    s.sentiment = f.sentiment[i];
    s.engagement = f.engagement[i];
    auto reasons = top_reasons(contrib->data() + i * width, sources, f.display[i], cfg.reason_phrases);
    for (const auto& r : reasons) s.reasons += (s.reasons.empty() ? "" : "; ") + r;
    ++out.tiers[s.tier];
    out.with_sentiment += s.sentiment.has_value();
    out.with_engagement += s.engagement.has_value();
    scores.push_back(std::move(s));
  }
  if (auto r = st.save_scores(scores); !r) return r.error();
  out.scored = scores.size();
  return out;
}

}  // namespace cg::scoring
