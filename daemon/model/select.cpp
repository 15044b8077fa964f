#include "daemon/model/select.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace cg::model {
namespace {

std::vector<float> labels_of(const std::vector<float>& y, const std::vector<std::size_t>& rows) {
  std::vector<float> out;
  out.reserve(rows.size());
  for (auto r : rows) out.push_back(y[r]);
  return out;
}

std::string counts(const std::vector<float>& y, const std::vector<std::size_t>& rows) {
  std::size_t pos = 0;
  for (auto r : rows) pos += y[r] > 0.5f;
  return std::to_string(rows.size()) + " rows, " + std::to_string(pos) + " churned";
}

Split split_by_time(const Dataset& d, double valid_share, double test_share) {
  std::set<std::int64_t> dates(d.time.begin(), d.time.end());
  std::vector<std::int64_t> ordered(dates.begin(), dates.end());
  std::map<std::int64_t, std::size_t> per_date;
  for (auto t : d.time) ++per_date[t];
  // Walk from the newest date back, filling test, then validation, by row share.
  const auto n = static_cast<double>(d.time.size());
  std::int64_t test_from = INT64_MAX, valid_from = INT64_MAX;
  double acc = 0;
  for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) {
    if (test_share > 0 && acc < test_share * n) {
      test_from = *it;
    } else if (acc < (test_share + valid_share) * n) {
      valid_from = *it;
    } else {
      break;
    }
    acc += static_cast<double>(per_date[*it]);
  }
  Split s;
  s.by_time = true;
  for (std::size_t r = 0; r < d.time.size(); ++r) {
    auto t = d.time[r];
    if (t >= test_from) {
      s.test.push_back(r);
    } else if (t >= valid_from) {
      if (test_share > 0 && t + d.horizon_ms > test_from) {
        ++s.embargoed;
      } else {
        s.valid.push_back(r);
      }
    } else if (t + d.horizon_ms > valid_from) {
      ++s.embargoed;
    } else {
      s.train.push_back(r);
    }
  }
  return s;
}

Split split_stratified(const Dataset& d, double valid_share, double test_share, int seed) {
  std::vector<std::size_t> pos, neg;
  for (std::size_t i = 0; i < d.y.size(); ++i) (d.y[i] > 0.5f ? pos : neg).push_back(i);
  std::mt19937 rng(static_cast<std::uint32_t>(seed));
  std::shuffle(pos.begin(), pos.end(), rng);
  std::shuffle(neg.begin(), neg.end(), rng);
  Split s;
  for (const auto* cls : {&pos, &neg}) {
    auto n = cls->size();
    auto n_test = static_cast<std::size_t>(std::lround(static_cast<double>(n) * test_share));
    auto n_valid = static_cast<std::size_t>(std::lround(static_cast<double>(n) * valid_share));
    for (std::size_t i = 0; i < n; ++i)
      (i < n_test ? s.test : i < n_test + n_valid ? s.valid : s.train).push_back((*cls)[i]);
  }
  for (auto* v : {&s.train, &s.valid, &s.test}) std::sort(v->begin(), v->end());
  return s;
}

// What scoring with exact reasons costs: the linear and explainable-boosting models compile to
// tables (one search per column and one lookup per table; measured at the same speed within
// run-to-run noise), boosted trees and forests need TreeSHAP.
int cost_rank(const std::string& algorithm) {
  if (algorithm == "logistic_regression" || algorithm == "explainable_boosting") return 0;
  if (algorithm == "gradient_boosting") return 1;
  return 2;
}

// Share of paired bootstrap resamples of the validation rows in which `a` has the higher PR-AUC.
double paired_beats_share(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& y,
                          int resamples, int seed) {
  std::mt19937 rng(static_cast<std::uint32_t>(seed) ^ 0x5eedu);
  std::uniform_int_distribution<std::size_t> pick(0, y.size() - 1);
  std::vector<float> ra(y.size()), rb(y.size()), ry(y.size());
  int wins = 0, counted = 0;
  for (int i = 0; i < resamples; ++i) {
    bool pos = false;
    for (std::size_t k = 0; k < y.size(); ++k) {
      auto j = pick(rng);
      ra[k] = a[j], rb[k] = b[j], ry[k] = y[j];
      pos = pos || y[j] > 0.5f;
    }
    if (!pos) continue;
    ++counted;
    wins += pr_auc(ra, ry) > pr_auc(rb, ry);
  }
  return counted ? static_cast<double>(wins) / counted : 0;
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

bool has_both(const std::vector<float>& y, const std::vector<std::size_t>& rows) {
  bool p = false, n = false;
  for (auto r : rows) (y[r] > 0.5f ? p : n) = true;
  return p && n;
}

}  // namespace

Result<Split> split_rows(const Dataset& d, double valid_share, double test_share, int seed) {
  if (d.y.size() != d.x.rows) return make_error(ErrorKind::model, "labels and rows differ in number");
  if (!d.time.empty() && d.time.size() != d.x.rows) return make_error(ErrorKind::model, "times and rows differ in number");
  Split s = d.time.empty() ? split_stratified(d, valid_share, test_share, seed) : split_by_time(d, valid_share, test_share);
  auto need = [&](const char* part, const std::vector<std::size_t>& rows) -> Result<void> {
    if (has_both(d.y, rows)) return {};
    return make_error(ErrorKind::model, std::string("the ") + part + " part (" + counts(d.y, rows) +
                                            ") needs both churned and retained customers" +
                                            (s.by_time ? "; add snapshots (model.label.snapshots) or shorten the horizon"
                                                       : "; more labelled customers are needed"));
  };
  if (auto r = need("training", s.train); !r) return r.error();
  if (auto r = need("validation", s.valid); !r) return r.error();
  if (test_share > 0)
    if (auto r = need("test", s.test); !r) return r.error();
  return s;
}

Choice choose_candidate(std::vector<CandidateResult>& candidates, const std::vector<std::vector<float>>& valid_raw,
                        const std::vector<float>& y, const SelectOptions& o) {
  // The best PR-AUC, then log loss: between the top PR-AUC and every candidate it does not beat
  // with confidence (in paired resamples of the validation rows; without resampling, within
  // 0.001 of it), the lower log loss wins. A PR-AUC gap inside the validation rows' noise is no
  // reason to pass over a better log loss.
  std::size_t top = 0;
  for (std::size_t i = 1; i < candidates.size(); ++i)
    if (candidates[i].valid.pr_auc > candidates[top].valid.pr_auc) top = i;
  std::size_t best = top;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i].valid;
    if (i == top || c.log_loss >= candidates[best].valid.log_loss) continue;
    const bool tied = o.resamples > 0
                          ? paired_beats_share(valid_raw[top], valid_raw[i], y, o.resamples, o.params.seed) < o.confidence
                          : c.pr_auc >= candidates[top].valid.pr_auc - 0.001;
    if (tied) best = i;
  }
  const std::string& best_name = candidates[best].algorithm;
  std::size_t pick = best;
  std::string why =
      best == top ? best_name + " has the best validation PR-AUC (" + fixed(candidates[best].valid.pr_auc, 4) + ")"
                  : best_name + " has the best validation log loss (" + fixed(candidates[best].valid.log_loss, 4) +
                        ") and a PR-AUC (" + fixed(candidates[best].valid.pr_auc, 4) + ") not significantly below " +
                        candidates[top].algorithm + "'s (" + fixed(candidates[top].valid.pr_auc, 4) + ")";
  if (o.resamples > 0) {
    candidates[best].best_beats_share = 1.0;
    // The cheapest candidate the best does not beat with confidence.
    std::vector<std::size_t> cheaper;
    for (std::size_t i = 0; i < candidates.size(); ++i)
      if (cost_rank(candidates[i].algorithm) < cost_rank(best_name)) cheaper.push_back(i);
    // Cheapest first; among equally cheap ones, the better validation PR-AUC first.
    std::stable_sort(cheaper.begin(), cheaper.end(), [&](auto a, auto b) {
      const auto ra = cost_rank(candidates[a].algorithm), rb = cost_rank(candidates[b].algorithm);
      return ra != rb ? ra < rb : candidates[a].valid.pr_auc > candidates[b].valid.pr_auc;
    });
    for (auto i : cheaper) {
      auto& c = candidates[i];
      c.best_beats_share = paired_beats_share(valid_raw[best], valid_raw[i], y, o.resamples, o.params.seed);
      if (pick == best && *c.best_beats_share < o.confidence) {
        pick = i;
        why = c.algorithm + " is chosen: cheaper to score and explain, and not significantly worse than " + best_name +
              " (PR-AUC " + fixed(c.valid.pr_auc, 4) + " vs " + fixed(candidates[best].valid.pr_auc, 4) + "; " +
              best_name + " ahead in " + fixed(100 * *c.best_beats_share, 0) + "% of " + std::to_string(o.resamples) +
              " paired resamples, under " + fixed(100 * o.confidence, 0) + "%)";
      }
    }
  }
  return {best, pick, why};
}

Result<Selection> select_model(const Dataset& d, const SelectOptions& o) {
  if (o.candidates.empty()) return make_error(ErrorKind::model, "no candidate algorithms to train");
  auto split = split_rows(d, o.validation_share, o.test_share, o.params.seed);
  if (!split) return split.error();
  Selection sel;
  sel.split = *split;
  const Matrix xtr = d.x.subset(split->train), xva = d.x.subset(split->valid);
  const auto ytr = labels_of(d.y, split->train), yva = labels_of(d.y, split->valid);
  std::vector<Model> models;
  std::vector<std::vector<float>> valid_raw;
  for (const auto& algo : o.candidates) {
    TrainParams p = o.params;
    p.algorithm = algo;
    auto t0 = std::chrono::steady_clock::now();
    auto m = Model::train(xtr, ytr, p, &xva, &yva);
    if (!m) return m.error();
    auto raw = m->raw(xva);
    if (!raw) return raw.error();
    sel.candidates.push_back({algo, m->rounds_used(), evaluate(*raw, yva),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), std::nullopt});
    models.push_back(std::move(*m));
    valid_raw.push_back(std::move(*raw));
  }
  const auto choice = choose_candidate(sel.candidates, valid_raw, yva, o);
  const std::size_t pick = choice.pick;
  sel.best = sel.candidates[choice.best].algorithm;
  sel.why = choice.why;
  sel.chosen = sel.candidates[pick].algorithm;
  sel.valid = sel.candidates[pick].valid;
  sel.model.emplace(std::move(models[pick]));
  const auto& best_valid_raw = valid_raw[pick];
  auto cal = Calibrator::fit(best_valid_raw, yva, o.calibration, o.params.seed);
  if (!cal) return cal.error();
  if (o.refit) {
    std::vector<std::size_t> both = split->train;
    both.insert(both.end(), split->valid.begin(), split->valid.end());
    TrainParams p = o.params;
    p.algorithm = sel.chosen;
    p.rounds = std::max(1, sel.model->rounds_used());
    if (sel.chosen == "explainable_boosting") p.stages = sel.model->stages();
    auto m = Model::train(d.x.subset(both), labels_of(d.y, both), p);
    if (!m) return m.error();
    sel.model.emplace(std::move(*m));
  }
  sel.model->set_calibrator(std::move(*cal));
  if (!split->test.empty()) {
    const Matrix xte = d.x.subset(split->test);
    sel.test_labels = labels_of(d.y, split->test);
    auto raw = sel.model->raw(xte);
    if (!raw) return raw.error();
    sel.test_raw_probs = std::move(*raw);
    sel.test_probs = sel.model->calibrator().apply(sel.test_raw_probs);
    sel.test_raw = evaluate(sel.test_raw_probs, sel.test_labels);
    sel.test = evaluate(sel.test_probs, sel.test_labels);
  }
  return sel;
}

}  // namespace cg::model
