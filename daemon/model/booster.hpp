#pragma once
// A thin RAII facade over XGBoost's C API: train, predict probabilities, SHAP contributions,
// save/load. Every XGBoost return code is checked and its message carried in the error.
// Not thread-safe: one Booster per thread.
#include "daemon/core/algorithms.hpp"
#include "daemon/core/error.hpp"
#include "daemon/model/interactions.hpp"
#include "daemon/model/metrics.hpp"

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cg::model {

// The most threads for training and scoring: XGBoost's nthread (see threads_for), and the row
// chunks of compiled scoring and of reason rendering.
inline constexpr unsigned kThreads = 2;
// Trees train on kThreads threads from this many cells (rows x columns) up, on one below it;
// linear models always on one (booster.cpp, threads_for, says why).
inline constexpr std::size_t kParallelCells = 100'000;

// Runs f(begin, end) over [0, rows) in up to kThreads chunks (one when rows are few).
template <class F>
void for_row_chunks(std::size_t rows, F&& f) {
  const std::size_t n = rows >= 4096 ? kThreads : 1;
  if (n == 1) return f(std::size_t{0}, rows);
  std::vector<std::thread> workers;
  const std::size_t step = (rows + n - 1) / n;
  for (std::size_t b = step; b < rows; b += step) workers.emplace_back([&f, b, e = std::min(rows, b + step)] { f(b, e); });
  f(0, std::min(rows, step));
  for (auto& w : workers) w.join();
}

// Row-major features; NaN marks a missing value.
struct Matrix {
  std::vector<float> x;
  std::size_t rows = 0, cols = 0;
  [[nodiscard]] Matrix subset(const std::vector<std::size_t>& row_ids) const;
};

// The three candidate families, all through XGBoost:
//   logistic_regression  gblinear with the logistic objective (features standardised by Model)
//   random_forest        one round of `forest_trees` parallel trees on bootstrap-sized subsamples
//   gradient_boosting    boosted trees
//   explainable_boosting boosted trees of at most two features per path (a GA2M), compiled by
//                        ShapTables for fast exact reasons: single-feature rounds first, then
//                        rounds on the `interactions` strongest pairs (interactions.hpp)
// How an explainable_boosting model was grown, so that it can be grown again on more rows.
struct Stages {
  int main_rounds = 0;      // rounds of single-feature trees
  std::vector<Pair> pairs;  // allowed together in the rounds after them
};

struct TrainParams {
  std::string algorithm = "gradient_boosting";
  int rounds = 500;                 // upper bound; early stopping picks the count
  int early_stopping_rounds = 30;   // stop when validation log loss has not improved for this many
  int max_depth = 4;
  int pair_depth = 3;               // explainable_boosting's depth (a path still tests <= 2 features)
  int main_depth = 1;               // explainable_boosting's depth in its single-feature rounds
  int interactions = 10;            // explainable_boosting's most pairs
  std::optional<Stages> stages;     // explainable_boosting: grow as given (rounds in all) instead of searching
  double learning_rate = 0.05;
  int forest_trees = 100;
  double l2 = 1.0;
  int seed = 42;
};

class Booster {
 public:
  // With a validation set, trains until its log loss stops improving, then keeps the best
  // number of rounds (rounds_used()).
  static Result<Booster> train(const Matrix& m, const std::vector<float>& labels, const TrainParams& p,
                               const Matrix* valid = nullptr, const std::vector<float>* valid_labels = nullptr);
  static Result<Booster> load(const std::string& blob);
  Booster(Booster&&) noexcept;
  Booster& operator=(Booster&&) noexcept;
  ~Booster();

  [[nodiscard]] Result<std::string> save() const;
  // XGBoost's JSON model (what ShapTables compiles).
  [[nodiscard]] Result<std::string> json() const;
  [[nodiscard]] int rounds_used() const { return rounds_; }
  // explainable_boosting only (empty after load: the stored trees carry no plan).
  [[nodiscard]] const Stages& stages() const { return stages_; }
  // P(churn) per row.
  [[nodiscard]] Result<std::vector<float>> predict(const Matrix& m) const;
  // SHAP contributions per row: cols values then the bias; each row sums to the margin.
  [[nodiscard]] Result<std::vector<float>> contributions(const Matrix& m) const;

 private:
  Booster() = default;
  Result<std::vector<float>> run(const Matrix& m, int type) const;
  // `n` rounds on `train` (continuing the saved model `from` when not empty); with `watch`, stops
  // once its log loss has not improved for early_stopping_rounds and keeps the best rounds.
  static Result<Booster> grow(void* train, void* watch, const TrainParams& p, std::size_t rows, std::size_t cols,
                              const std::string& groups, const std::string& from, int n);
  static Result<Booster> grow_additive(void* train, void* watch, const TrainParams& p, std::size_t rows, std::size_t cols);
  void* handle_ = nullptr;
  int rounds_ = 0;
  Stages stages_;
};

// Stratified k-fold cross-validation AUC, folds assigned by a seeded shuffle.
Result<double> cross_validate_auc(const Matrix& m, const std::vector<float>& labels, const TrainParams& p, int folds);

}  // namespace cg::model
