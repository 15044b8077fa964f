#include "daemon/model/select.hpp"

#include <algorithm>
#include <cmath>
#include <chrono>
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

Result<Selection> select_model(const Dataset& d, const SelectOptions& o) {
  if (o.candidates.empty()) return make_error(ErrorKind::model, "no candidate algorithms to train");
  auto split = split_rows(d, o.validation_share, o.test_share, o.params.seed);
  if (!split) return split.error();
  Selection sel;
  sel.split = *split;
  const Matrix xtr = d.x.subset(split->train), xva = d.x.subset(split->valid);
  const auto ytr = labels_of(d.y, split->train), yva = labels_of(d.y, split->valid);
  std::vector<float> best_valid_raw;
  for (const auto& algo : o.candidates) {
    TrainParams p = o.params;
    p.algorithm = algo;
    auto t0 = std::chrono::steady_clock::now();
    auto m = Model::train(xtr, ytr, p, &xva, &yva);
    if (!m) return m.error();
    auto raw = m->raw(xva);
    if (!raw) return raw.error();
    CandidateResult c{algo, m->rounds_used(), evaluate(*raw, yva),
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    bool better = !sel.model || c.valid.pr_auc > sel.valid.pr_auc + 0.001 ||
                  (c.valid.pr_auc >= sel.valid.pr_auc - 0.001 && c.valid.log_loss < sel.valid.log_loss);
    if (better) {
      sel.model.emplace(std::move(*m));
      sel.chosen = algo;
      sel.valid = c.valid;
      best_valid_raw = std::move(*raw);
    }
    sel.candidates.push_back(std::move(c));
  }
  auto cal = Calibrator::fit(best_valid_raw, yva, o.calibration, o.params.seed);
  if (!cal) return cal.error();
  if (o.refit) {
    std::vector<std::size_t> both = split->train;
    both.insert(both.end(), split->valid.begin(), split->valid.end());
    TrainParams p = o.params;
    p.algorithm = sel.chosen;
    p.rounds = std::max(1, sel.model->rounds_used());
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
