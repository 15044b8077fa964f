#pragma once
// The churn model's algorithms. The config checks `model.candidates` against them and the model
// trains them, so the list and its wording are kept once, here: both depend on core, neither on
// the other.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace cg {

inline constexpr std::array<std::string_view, 4> kAlgorithms{"logistic_regression", "random_forest",
                                                             "gradient_boosting", "explainable_boosting"};

inline bool known_algorithm(std::string_view name) {
  return std::find(kAlgorithms.begin(), kAlgorithms.end(), name) != kAlgorithms.end();
}

// Every algorithm, the default candidates.
inline std::vector<std::string> all_algorithms() { return {kAlgorithms.begin(), kAlgorithms.end()}; }

// "logistic_regression, random_forest, gradient_boosting or explainable_boosting", for errors.
inline std::string algorithm_names() {
  std::string out;
  for (std::size_t i = 0; i < kAlgorithms.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == kAlgorithms.size() ? " or " : ", ") + std::string(kAlgorithms[i]);
  return out;
}

}  // namespace cg
