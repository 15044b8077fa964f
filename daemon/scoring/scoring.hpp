#pragma once
// Trains churn models from the store (candidates compared on the same validation rows, the
// winner calibrated, kept in the registry, activated only if no worse than the active model
// on the same test rows) and scores every customer: calibrated probability, 0-100 score, tier,
// top reasons from SHAP contributions, and each feature's drift since training.
#include "config/config.hpp"
#include "daemon/features/features.hpp"
#include "daemon/scoring/reasons.hpp"
#include "daemon/store/store.hpp"

#include <set>

namespace cg::scoring {

struct TrainOutcome {
  std::int64_t model_id = 0;
  std::string version, algorithm, calibration;
  double pr_auc = 0, roc_auc = 0, brier = 0;  // calibrated, on the test rows
  std::size_t rows = 0, positives = 0, features = 0;
  bool time_aware = false;
  bool activated = false;
  std::string note;      // how the rows were made
  std::string decision;  // why the model was or was not activated
};

Result<TrainOutcome> train(store::Store& store, const config::ModelConfig& cfg, std::int64_t now_ms);

struct ScoreOutcome {
  std::size_t scored = 0;
  std::string model_version;
  std::map<std::string, int> tiers;  // tier -> customers
  std::size_t with_sentiment = 0, with_engagement = 0;
  std::vector<store::FeatureDrift> drift;  // full passes only
};

// Customers per scoring batch, and the most customers a full pass measures drift on (an even
// sample).
inline constexpr std::size_t kScoreBatch = store::kCustomerBatch;
inline constexpr std::size_t kDriftRows = 50'000;

// Scores every customer, or only `only` (an incremental pass after a webhook), in batches of
// kScoreBatch customers: each is read, built, scored and saved before the next.
Result<ScoreOutcome> score_all(store::Store& store, const config::ModelConfig& cfg, std::int64_t now_ms,
                               const std::set<std::string>* only = nullptr);

}  // namespace cg::scoring
