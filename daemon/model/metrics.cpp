#include "daemon/model/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cg::model {
namespace {

// Row indices by descending score.
std::vector<std::size_t> by_score_desc(const std::vector<float>& s) {
  std::vector<std::size_t> idx(s.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s[a] > s[b]; });
  return idx;
}

double positives_of(const std::vector<float>& y) {
  return static_cast<double>(std::count_if(y.begin(), y.end(), [](float v) { return v > 0.5f; }));
}

// Calls f(true_positives, false_positives) after each group of tied scores, highest first.
template <class F>
void sweep(const std::vector<float>& s, const std::vector<float>& y, F f) {
  auto idx = by_score_desc(s);
  double tp = 0, fp = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && s[idx[j]] == s[idx[i]]) {
      (y[idx[j]] > 0.5f ? tp : fp) += 1;
      ++j;
    }
    f(tp, fp);
    i = j;
  }
}

}  // namespace

double roc_auc(const std::vector<float>& s, const std::vector<float>& y) {
  std::vector<std::size_t> idx(s.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return s[a] < s[b]; });
  double rank_sum = 0, pos = 0;
  for (std::size_t i = 0; i < idx.size();) {
    std::size_t j = i;
    while (j < idx.size() && s[idx[j]] == s[idx[i]]) ++j;
    double avg_rank = (i + j + 1) / 2.0;  // 1-based average rank of the tie group
    for (std::size_t k = i; k < j; ++k)
      if (y[idx[k]] > 0.5f) rank_sum += avg_rank, ++pos;
    i = j;
  }
  double neg = static_cast<double>(s.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double pr_auc(const std::vector<float>& s, const std::vector<float>& y) {
  const double pos = positives_of(y);
  if (pos == 0) return 0;
  double ap = 0, prev_recall = 0;
  sweep(s, y, [&](double tp, double fp) {
    double recall = tp / pos, precision = tp / (tp + fp);
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  });
  return ap;
}

double brier(const std::vector<float>& p, const std::vector<float>& y) {
  if (p.empty()) return 0;
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) s += (p[i] - y[i]) * (p[i] - y[i]);
  return s / static_cast<double>(p.size());
}

double log_loss(const std::vector<float>& p, const std::vector<float>& y) {
  if (p.empty()) return 0;
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    double q = std::clamp(static_cast<double>(p[i]), 1e-15, 1 - 1e-15);
    s -= y[i] > 0.5f ? std::log(q) : std::log(1 - q);
  }
  return s / static_cast<double>(p.size());
}

std::vector<ReliabilityBin> reliability(const std::vector<float>& p, const std::vector<float>& y, int bins) {
  std::vector<ReliabilityBin> all(static_cast<std::size_t>(bins));
  for (int b = 0; b < bins; ++b) all[b].lo = double(b) / bins, all[b].hi = double(b + 1) / bins;
  for (std::size_t i = 0; i < p.size(); ++i) {
    int b = std::clamp(static_cast<int>(p[i] * bins), 0, bins - 1);
    all[b].mean_predicted += p[i];
    all[b].observed += y[i] > 0.5f;
    ++all[b].count;
  }
  std::vector<ReliabilityBin> out;
  for (auto& b : all) {
    if (b.count == 0) continue;
    b.mean_predicted /= static_cast<double>(b.count);
    b.observed /= static_cast<double>(b.count);
    out.push_back(b);
  }
  return out;
}

double expected_calibration_error(const std::vector<float>& p, const std::vector<float>& y, int bins) {
  if (p.empty()) return 0;
  double e = 0;
  for (const auto& b : reliability(p, y, bins)) e += static_cast<double>(b.count) * std::abs(b.observed - b.mean_predicted);
  return e / static_cast<double>(p.size());
}

std::vector<CurvePoint> roc_curve(const std::vector<float>& s, const std::vector<float>& y) {
  const double pos = positives_of(y), neg = static_cast<double>(y.size()) - pos;
  std::vector<CurvePoint> out{{0, 0}};
  if (pos == 0 || neg == 0) return {{0, 0}, {1, 1}};
  sweep(s, y, [&](double tp, double fp) { out.push_back({fp / neg, tp / pos}); });
  return out;
}

std::vector<CurvePoint> pr_curve(const std::vector<float>& s, const std::vector<float>& y) {
  const double pos = positives_of(y);
  std::vector<CurvePoint> out;
  if (pos == 0) return out;
  sweep(s, y, [&](double tp, double fp) { out.push_back({tp / pos, tp / (tp + fp)}); });
  return out;
}

std::vector<double> lift_by_decile(const std::vector<float>& s, const std::vector<float>& y) {
  const double base = y.empty() ? 0 : positives_of(y) / static_cast<double>(y.size());
  auto idx = by_score_desc(s);
  std::vector<double> out;
  if (base == 0) return out;
  for (int d = 0; d < 10; ++d) {
    std::size_t from = idx.size() * d / 10, to = idx.size() * (d + 1) / 10;
    if (to == from) continue;
    double churned = 0;
    for (std::size_t i = from; i < to; ++i) churned += y[idx[i]] > 0.5f;
    out.push_back(churned / static_cast<double>(to - from) / base);
  }
  return out;
}

Metrics evaluate(const std::vector<float>& p, const std::vector<float>& y) {
  Metrics m;
  m.roc_auc = roc_auc(p, y);
  m.pr_auc = pr_auc(p, y);
  m.brier = brier(p, y);
  m.log_loss = log_loss(p, y);
  m.ece = expected_calibration_error(p, y);
  m.rows = p.size();
  m.positives = static_cast<std::size_t>(positives_of(y));
  return m;
}

}  // namespace cg::model
