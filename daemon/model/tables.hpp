#pragma once
// A trained model compiled to lookup tables, for scoring with exact SHAP reasons in O(features)
// per row instead of TreeSHAP's O(trees x leaves x depth²).
//
// It applies to two model shapes:
//   - tree ensembles in which every root-to-leaf path tests at most two distinct features (the
//     explainable_boosting candidate: XGBoost with interaction constraints of single features and
//     pairs). Such a model is a sum of functions of one or two features. Each tree splits into
//     pieces by the feature set of each leaf's path (the tree with every other leaf set to 0), and
//     path-dependent SHAP is linear in the leaf values, so the model's SHAP values are the sum of
//     the pieces'. A piece with features {a, b} takes v(S) for S ⊆ {a, b} only, so its Shapley
//     values are exact in closed form: phi_a = ½[v(a) − v(∅)] + ½[v(ab) − v(b)]. Tabulated over the
//     cells of the thresholds the piece splits on, one lookup per piece gives both.
//   - the linear model (gblinear): phi_c = w_c · x_c, on the standardised value.
// Other models (deep boosted trees, forests) are not compiled; Model falls back to XGBoost.
//
// The results equal XGBoost's pred_contribs (within float rounding), which the tests check.
#include "daemon/core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cg::model {

class ShapTables {
 public:
  // From XGBoost's JSON model (its num_feature is the column count). Standardisation (linear model only) is folded in. Returns
  // nullopt when the model is not of a shape that compiles; an error when the JSON is broken.
  static Result<std::optional<ShapTables>> compile(const std::string& model_json,
                                                   const std::vector<double>* mean = nullptr,
                                                   const std::vector<double>* scale = nullptr);

  [[nodiscard]] std::size_t cols() const { return cols_; }
  // One row (cols values, NaN = missing): writes cols contributions then the bias to `out`
  // (cols + 1 values) and returns the margin (their sum), in log-odds.
  double contributions(const float* row, float* out) const;
  // The margin alone.
  [[nodiscard]] double margin(const float* row) const;

 private:
  // A table of one or two features, flattened; its cells start at phis_[phi]. A single feature's
  // has one value per global bin of its column. A pair's has two (phi_a, phi_b) per cell of its
  // own bins, which maps_ from `map_a` and `map_b` give for each column's global bin.
  struct Table {
    std::uint32_t a = 0, b = 0, map_a = 0, map_b = 0, phi = 0, nb = 1;
  };
  [[nodiscard]] std::uint32_t bin(std::size_t c, float v) const;
  std::size_t cols_ = 0;
  bool linear_ = false;
  std::vector<double> weight_, offset_;  // linear: phi_c = weight_c * x_c + offset_c
  std::vector<std::vector<float>> thresholds_;  // per column, sorted and unique
  std::vector<std::uint32_t> used_;             // columns some table reads
  std::vector<Table> singles_, pairs_;
  std::vector<std::uint16_t> maps_;
  std::vector<float> phis_;
  double bias_ = 0;
};

}  // namespace cg::model
