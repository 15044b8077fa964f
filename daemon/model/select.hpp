#pragma once
// Model selection: split the rows, train every candidate on the same training rows (boosting
// stops early on the validation rows), pick the best PR-AUC on validation (log loss decides
// between it and the candidates it does not beat with confidence), then prefer the cheapest
// candidate to score and explain that is not significantly worse than that best (paired
// bootstrap of the validation rows), fit the calibrator on the winner's validation predictions,
// retrain the winner on training + validation rows (same rounds), and measure the calibrated
// model once on the untouched test rows.
//
// Rows with times (snapshots) are split by time, whole snapshot dates to a part, oldest to
// training, newest to test, and a part only keeps rows whose label window closed before the
// next part starts (an embargo of one horizon), so no label peeks into a later part. Rows
// without times are split at random, stratified by label.
#include "daemon/model/model.hpp"

#include <cstdint>
#include <optional>

namespace cg::model {

struct Dataset {
  Matrix x;
  std::vector<float> y;
  std::vector<std::int64_t> time;  // snapshot time per row; empty when cross-sectional
  std::int64_t horizon_ms = 0;     // label window after each snapshot
};

struct SelectOptions {
  std::vector<std::string> candidates = all_algorithms();
  TrainParams params;               // algorithm is set per candidate
  std::string calibration = "auto";
  double validation_share = 0.2;
  double test_share = 0.2;          // 0: no test part (the caller measures elsewhere)
  // Parsimony: candidates are ranked by what scoring with reasons costs (logistic_regression,
  // explainable_boosting, gradient_boosting, random_forest). A cheaper candidate is chosen over
  // the best one unless the best has the higher validation PR-AUC in at least `confidence` of
  // `resamples` paired bootstrap resamples. 0 resamples: the best PR-AUC always wins.
  int resamples = 200;
  double confidence = 0.95;
  // Retrain the winner on training + validation rows with the chosen number of rounds; the
  // calibrator stays the one fitted on the validation rows, and the test rows measure the pair.
  bool refit = true;
};

struct Split {
  std::vector<std::size_t> train, valid, test;
  bool by_time = false;
  std::size_t embargoed = 0;  // rows dropped so that no label window overlaps a later part
};

// Deterministic for a seed.
Result<Split> split_rows(const Dataset& d, double validation_share, double test_share, int seed);

struct CandidateResult {
  std::string algorithm;
  int rounds = 0;
  Metrics valid;  // uncalibrated, on the validation rows
  double train_seconds = 0;
  // Share of paired bootstrap resamples in which the best candidate's PR-AUC beat this one's
  // (1 for the best itself; unset when no resampling was done).
  std::optional<double> best_beats_share;
};

struct Selection {
  std::optional<Model> model;
  std::vector<CandidateResult> candidates;
  std::string chosen;
  std::string best;  // the best validation PR-AUC (chosen, unless a cheaper one is not significantly worse)
  std::string why;   // the choice in a sentence, for the model report
  Split split;
  Metrics valid, test_raw, test;  // chosen model: validation (raw), test before and after calibration
  std::vector<float> test_raw_probs, test_probs, test_labels;
};

Result<Selection> select_model(const Dataset& d, const SelectOptions& o);

// The choice among trained candidates, from their validation metrics and raw validation
// probabilities (`y` the validation labels): `best` has the top PR-AUC, or, among the candidates
// that top one does not beat with confidence, the lowest log loss; `pick` is the cheapest to
// score and explain that `best` does not beat with confidence. Sets each compared candidate's
// best_beats_share.
struct Choice {
  std::size_t best = 0, pick = 0;
  std::string why;
};
Choice choose_candidate(std::vector<CandidateResult>& candidates, const std::vector<std::vector<float>>& valid_raw,
                        const std::vector<float>& y, const SelectOptions& o);

}  // namespace cg::model
