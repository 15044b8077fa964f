#pragma once
// Scoring-rule and ranking metrics for binary probabilities, and the curves the model report
// plots. Labels are 0/1 floats; probabilities are in [0, 1].
#include <cstddef>
#include <vector>

namespace cg::model {

// Area under the ROC curve (ties averaged); 0.5 when one class is absent.
double roc_auc(const std::vector<float>& scores, const std::vector<float>& labels);
// Average precision (the step-wise area under the precision-recall curve, as scikit-learn
// computes it); ties are taken as one threshold.
double pr_auc(const std::vector<float>& scores, const std::vector<float>& labels);
double brier(const std::vector<float>& probs, const std::vector<float>& labels);
// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15].
double log_loss(const std::vector<float>& probs, const std::vector<float>& labels);

struct ReliabilityBin {
  double lo = 0, hi = 0;       // predicted-probability range
  double mean_predicted = 0;   // mean probability of the rows in the bin
  double observed = 0;         // share of positives in the bin
  std::size_t count = 0;
};
// `bins` equal-width bins over [0, 1]; empty bins are left out.
std::vector<ReliabilityBin> reliability(const std::vector<float>& probs, const std::vector<float>& labels, int bins = 10);
// Expected calibration error: count-weighted |observed - mean predicted| over the bins.
double expected_calibration_error(const std::vector<float>& probs, const std::vector<float>& labels, int bins = 10);

struct CurvePoint {
  double x = 0, y = 0;
};
// (false-positive rate, true-positive rate) from (0,0) to (1,1), one point per distinct score.
std::vector<CurvePoint> roc_curve(const std::vector<float>& scores, const std::vector<float>& labels);
// (recall, precision), one point per distinct score, highest threshold first.
std::vector<CurvePoint> pr_curve(const std::vector<float>& scores, const std::vector<float>& labels);
// Churn rate of each tenth of customers ranked by score (riskiest first) divided by the overall rate.
std::vector<double> lift_by_decile(const std::vector<float>& scores, const std::vector<float>& labels);

struct Metrics {
  double roc_auc = 0, pr_auc = 0, brier = 0, log_loss = 0, ece = 0;
  std::size_t rows = 0, positives = 0;
};
Metrics evaluate(const std::vector<float>& probs, const std::vector<float>& labels);

}  // namespace cg::model
