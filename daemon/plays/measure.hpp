#pragma once
// What a play did, measured against its holdout: churn rate by arm among enrolments whose
// window has ended, the absolute lift (holdout rate minus treatment rate: churn prevented)
// with a 95% confidence interval (Newcombe's hybrid score interval, which keeps its coverage
// for small arms and rates near 0 or 1), the relative lift, cost and customers saved per 1,000
// spent. Pure.
#include "config/config.hpp"
#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cg::plays {

struct ArmComparison {
  std::size_t n_treatment = 0, churned_treatment = 0, n_holdout = 0, churned_holdout = 0;
  double rate_treatment = 0, rate_holdout = 0;
  double lift = 0, lift_low = 0, lift_high = 0;  // in churn-rate points (0..1)
  std::optional<double> relative_lift;           // lift / holdout rate
  bool enough_data = false;
  std::string note;
};

// Wilson score interval for k of n at 95%.
std::pair<double, double> wilson(std::size_t k, std::size_t n);
ArmComparison compare_arms(std::size_t n_treatment, std::size_t churned_treatment, std::size_t n_holdout,
                           std::size_t churned_holdout);

struct PlayReport {
  std::string play_id, kind, description;
  ArmComparison arms;
  std::size_t active_treatment = 0, active_holdout = 0;  // still inside their window
  double cost = 0;                                     // offer value of treated enrolments
  std::optional<double> saved_per_1000;                // customers saved per 1,000 spent
};

std::vector<PlayReport> report(const std::vector<store::PlayTally>& tallies, const std::vector<config::PlayConfig>& plays);

}  // namespace cg::plays
