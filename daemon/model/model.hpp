#pragma once
// A trained churn model as scoring uses it: the XGBoost booster, the standardisation the linear
// model was trained on, and the calibrator. A linear or explainable_boosting model is also
// compiled to ShapTables (on training and on load), which then answer raw() and contributions()
// without XGBoost, in O(features) per row. The booster is stored as XGBoost UBJSON and the rest
// as a small JSON "transform", so old models (without a transform) still load.
#include "daemon/model/booster.hpp"
#include "daemon/model/calibration.hpp"
#include "daemon/model/tables.hpp"

#include <functional>
#include <optional>

namespace cg::model {

// Per-column centre and scale from training rows; missing values stay missing (gblinear then
// gives them no weight, which is the same as the training mean).
struct Standardiser {
  std::vector<double> mean, scale;
  static Standardiser fit(const Matrix& m);
  [[nodiscard]] Matrix apply(const Matrix& m) const;
};

class Model {
 public:
  Model(std::string algorithm, Booster booster, std::optional<Standardiser> standardiser, Calibrator calibrator,
        std::optional<ShapTables> tables);
  // Trains one candidate; the linear model is fitted on standardised columns.
  static Result<Model> train(const Matrix& m, const std::vector<float>& labels, const TrainParams& p,
                             const Matrix* valid = nullptr, const std::vector<float>* valid_labels = nullptr);
  static Result<Model> load(const std::string& blob, const std::string& transform_json);

  // Uncalibrated probabilities (for ranking and for fitting the calibrator).
  [[nodiscard]] Result<std::vector<float>> raw(const Matrix& m) const;
  // Calibrated probabilities.
  [[nodiscard]] Result<std::vector<float>> predict(const Matrix& m) const;
  // Scores every row in one pass and hands `sink` each row's index, calibrated probability and
  // contributions (cols + 1 values, valid during the call; the margin is their sum). Rows go in
  // chunks on up to kThreads threads, each row once, so `sink` may only touch that row's slots.
  // Memory stays at one block of contributions, never a matrix for every row.
  using RowSink = std::function<void(std::size_t row, float probability, const float* contributions)>;
  Result<void> score_rows(const Matrix& m, const RowSink& sink) const;
  // Per row: one contribution per column then the bias, summing to the raw margin (log-odds).
  [[nodiscard]] Result<std::vector<float>> contributions(const Matrix& m) const;

  void set_calibrator(Calibrator c) { calibrator_ = std::move(c); }
  [[nodiscard]] const Calibrator& calibrator() const { return calibrator_; }
  [[nodiscard]] const std::string& algorithm() const { return algorithm_; }
  [[nodiscard]] int rounds_used() const { return booster_.rounds_used(); }
  [[nodiscard]] const Stages& stages() const { return booster_.stages(); }
  [[nodiscard]] Result<std::string> blob() const { return booster_.save(); }
  [[nodiscard]] std::string transform_json() const;
  // True when scoring runs on compiled tables rather than XGBoost.
  [[nodiscard]] bool compiled() const { return tables_.has_value(); }

 private:
  [[nodiscard]] Matrix prepared(const Matrix& m) const;
  std::string algorithm_;
  Booster booster_;
  std::optional<Standardiser> standardiser_;
  Calibrator calibrator_;
  std::optional<ShapTables> tables_;
};

}  // namespace cg::model
