#pragma once
// A thin RAII facade over XGBoost's C API: train, predict probabilities, SHAP contributions,
// save/load. Every XGBoost return code is checked and its message carried in the error.
// Not thread-safe: one Booster per thread.
#include "daemon/core/error.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cg::model {

// Row-major features; NaN marks a missing value.
struct Matrix {
  std::vector<float> x;
  std::size_t rows = 0, cols = 0;
  [[nodiscard]] Matrix subset(const std::vector<std::size_t>& row_ids) const;
};

struct TrainParams {
  std::string algorithm = "gbtree";  // gbtree | gblinear | random_forest
  int rounds = 200;
  int max_depth = 4;
  double learning_rate = 0.05;
  int seed = 42;
};

class Booster {
 public:
  static Result<Booster> train(const Matrix& m, const std::vector<float>& labels, const TrainParams& p);
  static Result<Booster> load(const std::string& blob);
  Booster(Booster&&) noexcept;
  Booster& operator=(Booster&&) noexcept;
  ~Booster();

  [[nodiscard]] Result<std::string> save() const;
  // P(churn) per row.
  [[nodiscard]] Result<std::vector<float>> predict(const Matrix& m) const;
  // SHAP contributions per row: cols values then the bias; each row sums to the margin.
  [[nodiscard]] Result<std::vector<float>> contributions(const Matrix& m) const;

 private:
  Booster() = default;
  Result<std::vector<float>> run(const Matrix& m, int type) const;
  void* handle_ = nullptr;
};

// Area under the ROC curve (ties averaged).
double roc_auc(const std::vector<float>& scores, const std::vector<float>& labels);

// Stratified k-fold cross-validation AUC, folds assigned by a seeded shuffle.
Result<double> cross_validate_auc(const Matrix& m, const std::vector<float>& labels, const TrainParams& p, int folds);

}  // namespace cg::model
