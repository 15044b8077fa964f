#pragma once
// Which pairs of columns explainable boosting should model, in the way of the GA2M/EBM papers
// (Lou et al., KDD 2013): first the single-feature functions, then a probe of boosting on every
// pair, whose split gains rank the pairs; the model keeps only the strongest. Fewer pair
// functions fit less noise and are fewer table lookups when scoring.
#include "daemon/core/error.hpp"

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace cg::model {

using Pair = std::pair<int, int>;  // two column indices, first < second

// The `k` pairs whose splits gained most in an XGBoost JSON model, strongest first (ties: the
// lower pair). A split counts for a pair when the features tested from the root down to it are
// exactly that pair; splits on one feature count for none.
Result<std::vector<Pair>> strongest_pairs(const std::string& model_json, std::size_t k);

// XGBoost's interaction_constraints: every column alone, then the given pairs.
std::string interaction_groups(std::size_t cols, const std::vector<Pair>& pairs);
// Every pair of columns (one column alone when there is only one).
std::string every_pair(std::size_t cols);

}  // namespace cg::model
