#pragma once
// Maps a model's raw probability to a calibrated one, fitted on data the model did not train on.
// Platt scaling fits sigmoid(a * logit(p) + b); isotonic regression fits a monotone step
// function by pool-adjacent-violators, interpolated linearly between pools. Monotone both, so
// rankings (and ROC-AUC) are kept, up to ties that isotonic pools create.
#include "daemon/core/error.hpp"

#include <string>
#include <vector>

namespace cg::model {

class Calibrator {
 public:
  enum class Method { none, platt, isotonic };

  // `method` is none | platt | isotonic | auto. auto fits both on two halves of the data in
  // turn and keeps the one with the lower held-out log loss (Platt when there are too few rows).
  static Result<Calibrator> fit(const std::vector<float>& raw, const std::vector<float>& labels,
                                const std::string& method, int seed = 42);
  static Result<Calibrator> from_json(const std::string& text);

  [[nodiscard]] float apply(float raw) const;
  [[nodiscard]] std::vector<float> apply(const std::vector<float>& raw) const;
  [[nodiscard]] Method method() const { return method_; }
  [[nodiscard]] std::string method_name() const;
  [[nodiscard]] std::string to_json() const;

 private:
  static Calibrator fit_platt(const std::vector<float>& raw, const std::vector<float>& labels);
  static Calibrator fit_isotonic(const std::vector<float>& raw, const std::vector<float>& labels);
  Method method_ = Method::none;
  double a_ = 1, b_ = 0;             // platt
  std::vector<double> xs_, ys_;      // isotonic knots, xs_ ascending
};

}  // namespace cg::model
