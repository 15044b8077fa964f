#include "daemon/plays/measure.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace cg::plays {

std::pair<double, double> wilson(std::size_t k, std::size_t n) {
  if (n == 0) return {0, 1};
  const double z = 1.959963984540054, p = double(k) / double(n), nn = double(n);
  const double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

ArmComparison compare_arms(std::size_t nt, std::size_t kt, std::size_t nh, std::size_t kh) {
  ArmComparison c{nt, kt, nh, kh};
  if (nt == 0 || nh == 0) {
    c.note = "no completed enrolments in " + std::string(nt == 0 ? "the treatment arm" : "the holdout arm") + " yet";
    return c;
  }
  c.rate_treatment = double(kt) / double(nt);
  c.rate_holdout = double(kh) / double(nh);
  c.lift = c.rate_holdout - c.rate_treatment;
  // Newcombe (1998), method 10: combine each arm's Wilson interval.
  const auto [lh, uh] = wilson(kh, nh);
  const auto [lt, ut] = wilson(kt, nt);
  c.lift_low = c.lift - std::sqrt((c.rate_holdout - lh) * (c.rate_holdout - lh) + (ut - c.rate_treatment) * (ut - c.rate_treatment));
  c.lift_high = c.lift + std::sqrt((uh - c.rate_holdout) * (uh - c.rate_holdout) + (c.rate_treatment - lt) * (c.rate_treatment - lt));
  if (c.rate_holdout > 0) c.relative_lift = c.lift / c.rate_holdout;
  c.enough_data = nt >= 30 && nh >= 30 && kt + kh >= 10;
  if (!c.enough_data)
    c.note = "too few completed enrolments to say (" + std::to_string(nt) + " treated, " + std::to_string(nh) +
             " held out); the interval is wide";
  else if (c.lift_low > 0)
    c.note = "the play reduces churn (the interval excludes 0)";
  else if (c.lift_high < 0)
    c.note = "the play increases churn (the interval excludes 0): consider stopping it";
  else
    c.note = "no clear effect yet (the interval includes 0)";
  return c;
}

std::vector<PlayReport> report(const std::vector<store::PlayTally>& tallies, const std::vector<config::PlayConfig>& plays) {
  std::vector<PlayReport> out;
  for (const auto& p : plays) {
    PlayReport r{p.id, p.kind, p.description};
    std::size_t nt = 0, kt = 0, nh = 0, kh = 0;
    for (const auto& t : tallies) {
      if (t.play_id != p.id) continue;
      const bool treat = t.arm == "treatment";
      if (treat) r.cost += t.offer_value;
      if (!t.outcome) {
        (treat ? r.active_treatment : r.active_holdout) += t.n;
        continue;
      }
      const std::size_t churned = *t.outcome == "churned" ? t.n : 0;
      if (treat) nt += t.n, kt += churned;
      else nh += t.n, kh += churned;
    }
    r.arms = compare_arms(nt, kt, nh, kh);
    if (r.cost > 0 && nt > 0 && nh > 0) {
      const double completed_cost = r.cost * double(nt) / double(nt + r.active_treatment);
      if (completed_cost > 0) r.saved_per_1000 = r.arms.lift * double(nt) / completed_cost * 1000.0;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace cg::plays
