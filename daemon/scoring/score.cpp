#include "daemon/model/drift.hpp"
#include "daemon/model/model.hpp"
#include "daemon/scoring/scoring.hpp"

#include <boost/json.hpp>

#include <cmath>

namespace cg::scoring {
namespace json = boost::json;
namespace {

model::DriftBaseline baseline_of(const store::ModelRecord& rec) {
  boost::system::error_code ec;
  auto v = json::parse(rec.details_json, ec);
  if (ec || !v.is_object()) return {};
  auto* b = v.as_object().if_contains("drift_baseline");
  return b ? model::DriftBaseline::from_json(json::serialize(*b)) : model::DriftBaseline{};
}

}  // namespace

Result<ScoreOutcome> score_all(store::Store& st, const config::ModelConfig& cfg, std::int64_t now,
                               const std::set<std::string>* only) {
  auto rec = st.active_model();
  if (!rec) return make_error(ErrorKind::model, "no trained model yet; run `churnguard train` first");
  auto spec = features::FeatureSpec::from_json(rec->features_json);
  if (!spec) return spec.error();
  auto mdl = model::Model::load(rec->blob, rec->transform_json);
  if (!mdl) return mdl.error();
  ScoreOutcome out;
  out.model_version = rec->version;
  // Customers go in batches, each read, built, scored and saved before the next, so that memory
  // holds one batch's customers, activities and features, not the whole book.
  std::vector<std::string> ids;
  if (only) {
    ids.assign(only->begin(), only->end());
  } else {
    ids = st.customer_ids();
  }
  if (ids.empty()) return out;
  // Usage is ranked against everyone, from one aggregate query rather than every event.
  std::vector<double> population;
  {
    auto counts = st.usage_counts_since(features::window_start_ms(now, 30));
    const auto everyone = only ? st.customer_ids() : std::vector<std::string>{};
    for (const auto& id : only ? everyone : ids) {  // both lvalues: a full pass reads its ids, no copy
      auto c = counts.find(id);
      population.push_back(c == counts.end() ? 0 : c->second);
    }
  }
  const ReasonWriter reasons(spec->column_sources(), cfg.reason_phrases);
  // Drift is measured on an even sample of at most kDriftRows customers.
  const std::size_t stride = std::max<std::size_t>(1, ids.size() / kDriftRows);
  model::Matrix drift_rows;
  drift_rows.cols = spec->column_names().size();
  std::size_t from = 0;  // where this batch starts in `ids`, for the drift sample
  auto scored_all = store::for_each_batch(ids, kScoreBatch, [&](const std::set<std::string>& batch) -> Result<void> {
    const std::size_t start = from;
    from += batch.size();
    const auto customers = st.customers_of(batch);
    if (customers.empty()) return {};
    const auto f = features::build(*spec, customers, st.activities_of(batch), now, st.marketing_stats_of(batch), &population);
    std::vector<float> probs(f.matrix.rows);
    std::vector<std::string> sentences(f.matrix.rows);
    auto scored = mdl->score_rows(f.matrix, [&](std::size_t i, float p, const float* contrib) {
      probs[i] = p;
      sentences[i] = reasons.sentence(contrib, f.display[i]);
    });
    if (!scored) return scored.error();
    std::vector<store::Score> scores;
    scores.reserve(f.matrix.rows);
    for (std::size_t i = 0; i < f.matrix.rows; ++i) {
      store::Score s;
      s.customer_id = f.customer_ids[i];
      s.scored_ms = now;
      s.model_id = rec->id;
      s.probability = probs[i];
      s.score = static_cast<int>(std::lround(s.probability * 100));
      s.tier = tier_for(s.score, cfg.tiers);
      s.sentiment = f.sentiment[i];
      s.engagement = f.engagement[i];
      s.reasons = std::move(sentences[i]);
      ++out.tiers[s.tier];
      out.with_sentiment += s.sentiment.has_value();
      out.with_engagement += s.engagement.has_value();
      scores.push_back(std::move(s));
      if (!only && (start + i) % stride == 0 && drift_rows.rows < kDriftRows) {
        drift_rows.x.insert(drift_rows.x.end(), f.matrix.x.begin() + static_cast<std::ptrdiff_t>(i * f.matrix.cols),
                            f.matrix.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * f.matrix.cols));
        ++drift_rows.rows;
      }
    }
    if (auto r = st.save_scores(scores); !r) return r.error();
    out.scored += scores.size();
    return {};
  });
  if (!scored_all) return scored_all.error();
  if (!only && drift_rows.rows > 0) {
    for (const auto& [source, psi] : baseline_of(*rec).psi(drift_rows)) out.drift.push_back({source, psi, now});
    if (auto r = st.save_drift(rec->id, out.drift); !r) return r.error();
  }
  return out;
}

}  // namespace cg::scoring
