#pragma once
// Trains churn models from the store and scores every customer: calibrated-by-objective
// probability, 0-100 score, tier and top reasons from SHAP contributions. Pure logic over the
// store's types plus the store itself; no network.
#include "config/config.hpp"
#include "daemon/features/features.hpp"
#include "daemon/store/store.hpp"

#include <set>

namespace cg::scoring {

struct TrainOutcome {
  std::int64_t model_id = 0;
  std::string version;
  double cv_auc = 0;
  std::size_t rows = 0, positives = 0, features = 0;
  bool activated = false;
  std::string note;
};

Result<TrainOutcome> train(store::Store& store, const config::ModelConfig& cfg, std::int64_t now_ms);

struct ScoreOutcome {
  std::size_t scored = 0;
  std::string model_version;
  std::map<std::string, int> tiers;  // tier -> customers
  std::size_t with_sentiment = 0, with_engagement = 0;
};

// Scores every customer, or only `only` (an incremental pass after a webhook).
Result<ScoreOutcome> score_all(store::Store& store, const config::ModelConfig& cfg, std::int64_t now_ms,
                               const std::set<std::string>* only = nullptr);

std::string tier_for(int score, const config::TierThresholds& t);

// The k sources whose summed contributions push risk up most, as phrases.
std::vector<std::string> top_reasons(const float* contributions, const std::vector<std::string>& sources,
                                     const std::map<std::string, std::string>& display,
                                     const std::map<std::string, std::string>& phrases, std::size_t k = 3);

}  // namespace cg::scoring
