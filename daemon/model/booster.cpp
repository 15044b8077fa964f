#include "daemon/model/booster.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

namespace cg::model {
namespace {

Error xgb_error(const std::string& during) {
  return make_error(ErrorKind::model, "XGBoost " + during + ": " + XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
};

Result<void> make_dmatrix(const Matrix& m, DMatrix& out) {
  if (m.rows == 0 || m.cols == 0) return make_error(ErrorKind::model, "no rows or no features to work on");
  if (XGDMatrixCreateFromMat(m.x.data(), m.rows, m.cols, std::nanf(""), &out.h) != 0) return xgb_error("creating a matrix");
  return {};
}

}  // namespace

Matrix Matrix::subset(const std::vector<std::size_t>& ids) const {
  Matrix s;
  s.cols = cols;
  s.rows = ids.size();
  s.x.reserve(ids.size() * cols);
  for (auto r : ids) s.x.insert(s.x.end(), x.begin() + r * cols, x.begin() + (r + 1) * cols);
  return s;
}

Booster::Booster(Booster&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)), rounds_(o.rounds_), stages_(std::move(o.stages_)) {}
Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
    rounds_ = o.rounds_;
    stages_ = std::move(o.stages_);
  }
  return *this;
}
Booster::~Booster() {
  if (handle_) XGBoosterFree(handle_);
}

namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// XGBoost opens a parallel region per coordinate step of gblinear and per level of a tree. A
// coordinate step is microseconds of work, so gblinear is faster on one thread at every size
// measured (4,000 x 3 to 100,000 x 50: 2-3x); trees gain from a second thread once the matrix
// has some 100,000 cells (1.6x at 20,000 x 50). Below that a second thread only adds barriers,
// and where other processes share the cores (a busy host, ctest -j) each barrier can wait a
// scheduler slice: that made a 4-second model selection on 4,000 rows take over 300 s in CI.
unsigned threads_for(const std::string& algorithm, std::size_t rows, std::size_t cols) {
  if (algorithm == "logistic_regression") return 1;
  return rows * std::max<std::size_t>(cols, 1) >= kParallelCells ? kThreads : 1;
}

Result<void> configure(BoosterHandle h, const TrainParams& p, std::size_t rows, std::size_t cols,
                       const std::string& groups = {}) {
  std::vector<std::pair<std::string, std::string>> kv{
      {"objective", "binary:logistic"}, {"eval_metric", "logloss"}, {"nthread", std::to_string(threads_for(p.algorithm, rows, cols))},
      {"seed", std::to_string(p.seed)}, {"verbosity", "0"}};
  if (p.algorithm == "logistic_regression") {
    // Cyclic coordinate descent is deterministic (shotgun is not, with threads). gblinear
    // multiplies lambda by the summed instance weight (the row count), so l2 / rows gives the
    // penalty scikit-learn's C = 1 / l2 gives: 0.5 * l2 * |w|^2 against the summed log loss.
    const double lambda = p.l2 / static_cast<double>(std::max<std::size_t>(rows, 1));
    kv.insert(kv.end(), {{"booster", "gblinear"}, {"updater", "coord_descent"}, {"feature_selector", "cyclic"},
                         {"eta", "0.5"}, {"lambda", number(lambda)}, {"alpha", "0"}});
  } else if (p.algorithm == "random_forest") {
    // A forest is one boosting round of many parallel, subsampled trees with no shrinkage.
    kv.insert(kv.end(), {{"booster", "gbtree"}, {"num_parallel_tree", std::to_string(p.forest_trees)},
                         {"subsample", "0.632"}, {"colsample_bynode", "0.5"}, {"eta", "1"},
                         {"max_depth", std::to_string(p.max_depth + 4)}, {"min_child_weight", "1"},
                         {"lambda", "0"}, {"tree_method", "hist"}});
  } else if (p.algorithm == "gradient_boosting") {
    kv.insert(kv.end(), {{"booster", "gbtree"}, {"eta", std::to_string(p.learning_rate)},
                         {"max_depth", std::to_string(p.max_depth)}, {"subsample", "0.8"},
                         {"colsample_bytree", "0.8"}, {"min_child_weight", "2"}, {"lambda", std::to_string(p.l2)},
                         {"tree_method", "hist"}});
  } else if (p.algorithm == "explainable_boosting") {
    // Boosted trees whose every path tests at most two features, by interaction constraints
    // (`groups`: which columns may meet on a path), so the model is a sum of one- and
    // two-feature functions that ShapTables compiles for fast exact reasons.
    kv.insert(kv.end(), {{"booster", "gbtree"}, {"eta", std::to_string(p.learning_rate)},
                         {"max_depth", std::to_string(p.pair_depth)}, {"subsample", "0.8"},
                         {"min_child_weight", "2"}, {"lambda", std::to_string(p.l2)}, {"tree_method", "hist"},
                         {"interaction_constraints", groups}});
  } else {
    return make_error(ErrorKind::model, "unknown algorithm '" + p.algorithm + "' (" + algorithm_names() + ")");
  }
  for (const auto& [k, v] : kv)
    if (XGBoosterSetParam(h, k.c_str(), v.c_str()) != 0) return xgb_error("setting " + k + "=" + v);
  return {};
}

// "[3]\tvalid-logloss:0.41233" -> 0.41233
double parse_eval(const char* text) {
  std::string s(text ? text : "");
  auto colon = s.rfind(':');
  return colon == std::string::npos ? NAN : std::atof(s.c_str() + colon + 1);
}

}  // namespace

Result<Booster> Booster::grow(void* train, void* watch, const TrainParams& p, std::size_t rows, std::size_t cols,
                              const std::string& groups, const std::string& from, int n) {
  Booster b;
  if (XGBoosterCreate(&train, 1, &b.handle_) != 0) return xgb_error("creating a booster");
  int first = 0;
  if (!from.empty()) {
    if (XGBoosterLoadModelFromBuffer(b.handle_, from.data(), from.size()) != 0) return xgb_error("loading a model");
    if (XGBoosterBoostedRounds(b.handle_, &first) != 0) return xgb_error("counting rounds");
  }
  if (auto r = configure(b.handle_, p, rows, cols, groups); !r) return r.error();
  double best = INFINITY;
  int best_round = 0;
  for (int i = 0; i < n; ++i) {
    if (XGBoosterUpdateOneIter(b.handle_, first + i, train) != 0) return xgb_error("training round " + std::to_string(first + i));
    if (!watch) continue;
    const char* names[] = {"valid"};
    const char* out = nullptr;
    if (XGBoosterEvalOneIter(b.handle_, first + i, &watch, names, 1, &out) != 0)
      return xgb_error("evaluating round " + std::to_string(first + i));
    double loss = parse_eval(out);
    if (loss < best - 1e-7) best = loss, best_round = i;
    if (i - best_round >= p.early_stopping_rounds) break;
  }
  b.rounds_ = first + (watch ? best_round + 1 : n);
  if (!watch || b.rounds_ == first + n) return b;
  // Keep the best rounds. A linear model is one weight vector, so it is trained again to that
  // count (seeded: the same steps); trees are cut to them (the same trees a shorter run grows).
  if (p.algorithm == "logistic_regression") return grow(train, nullptr, p, rows, cols, groups, from, b.rounds_ - first);
  {
    BoosterHandle cut = nullptr;
    if (XGBoosterSlice(b.handle_, 0, b.rounds_, 1, &cut) != 0) return xgb_error("cutting to the best rounds");
    XGBoosterFree(b.handle_);
    b.handle_ = cut;
  }
  return b;
}

// Explainable boosting in two stages: single-feature rounds, then, from that model, a probe on
// every pair ranks the pairs, and rounds on the strongest few follow. Given p.stages, grows
// exactly that (a refit on more rows).
Result<Booster> Booster::grow_additive(void* train, void* watch, const TrainParams& p, std::size_t rows, std::size_t cols) {
  const int budget = std::max(1, p.rounds);
  // Searching with validation rows, each stage may take the whole budget and stops early;
  // otherwise the stages share it (halves, or as p.stages says).
  void* const seen = p.stages ? nullptr : watch;
  Stages plan;
  const int main_n = p.stages ? std::clamp(p.stages->main_rounds, 1, budget) : seen ? budget : std::max(1, budget / 2);
  TrainParams pm = p;  // single-feature rounds grow trees of main_depth (stumps)
  pm.pair_depth = p.main_depth;
  auto mains = grow(train, seen, pm, rows, cols, interaction_groups(cols, {}), {}, main_n);
  if (!mains) return mains.error();
  plan.main_rounds = mains->rounds_;
  const int rest = seen ? budget : budget - plan.main_rounds;
  if (rest <= 0 || cols < 2 || p.interactions <= 0) {
    mains->stages_ = plan;
    return mains;
  }
  auto base = mains->save();
  if (!base) return base.error();
  if (p.stages) {
    plan.pairs = p.stages->pairs;
  } else {
    auto probe = grow(train, seen, p, rows, cols, every_pair(cols), *base, rest);
    if (!probe) return probe.error();
    auto text = probe->json();
    if (!text) return text.error();
    auto pairs = strongest_pairs(*text, static_cast<std::size_t>(p.interactions));
    if (!pairs) return pairs.error();
    plan.pairs = std::move(*pairs);
  }
  if (plan.pairs.empty()) {
    mains->stages_ = plan;
    return mains;
  }
  auto full = grow(train, seen, p, rows, cols, interaction_groups(cols, plan.pairs), *base, rest);
  if (!full) return full.error();
  full->stages_ = plan;
  return full;
}

Result<Booster> Booster::train(const Matrix& m, const std::vector<float>& labels, const TrainParams& p,
                               const Matrix* valid, const std::vector<float>* valid_labels) {
  if (labels.size() != m.rows) return make_error(ErrorKind::model, "labels and rows differ in number");
  DMatrix d, v;
  if (auto r = make_dmatrix(m, d); !r) return r.error();
  if (XGDMatrixSetFloatInfo(d.h, "label", labels.data(), labels.size()) != 0) return xgb_error("setting labels");
  int rounds = p.algorithm == "random_forest" ? 1 : p.rounds;
  const bool early = valid && valid_labels && p.early_stopping_rounds > 0 && rounds > 1;
  if (early) {
    if (valid_labels->size() != valid->rows) return make_error(ErrorKind::model, "validation labels and rows differ");
    if (auto r = make_dmatrix(*valid, v); !r) return r.error();
    if (XGDMatrixSetFloatInfo(v.h, "label", valid_labels->data(), valid_labels->size()) != 0)
      return xgb_error("setting validation labels");
  }
  if (p.algorithm == "explainable_boosting") return grow_additive(d.h, early ? v.h : nullptr, p, m.rows, m.cols);
  return grow(d.h, early ? v.h : nullptr, p, m.rows, m.cols, {}, {}, rounds);
}

Result<Booster> Booster::load(const std::string& blob) {
  Booster b;
  if (XGBoosterCreate(nullptr, 0, &b.handle_) != 0) return xgb_error("creating a booster");
  if (XGBoosterLoadModelFromBuffer(b.handle_, blob.data(), blob.size()) != 0) return xgb_error("loading a model");
  return b;
}

Result<std::string> Booster::json() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, R"({"format":"json"})", &len, &data) != 0) return xgb_error("saving a model as JSON");
  return std::string(data, len);
}

Result<std::string> Booster::save() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  if (XGBoosterSaveModelToBuffer(handle_, R"({"format":"ubj"})", &len, &data) != 0) return xgb_error("saving a model");
  return std::string(data, len);
}

Result<std::vector<float>> Booster::run(const Matrix& m, int type) const {
  DMatrix d;
  if (auto r = make_dmatrix(m, d); !r) return r.error();
  std::string cfg = R"({"type":)" + std::to_string(type) +
                    R"(,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  if (XGBoosterPredictFromDMatrix(handle_, d.h, cfg.c_str(), &shape, &dim, &out) != 0) return xgb_error("predicting");
  bst_ulong n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<float>(out, out + n);
}

Result<std::vector<float>> Booster::predict(const Matrix& m) const { return run(m, 0); }
Result<std::vector<float>> Booster::contributions(const Matrix& m) const { return run(m, 2); }

Result<double> cross_validate_auc(const Matrix& m, const std::vector<float>& y, const TrainParams& p, int folds) {
  std::vector<std::size_t> pos, neg;
  for (std::size_t i = 0; i < y.size(); ++i) (y[i] > 0.5 ? pos : neg).push_back(i);
  if (pos.size() < static_cast<std::size_t>(folds) || neg.size() < static_cast<std::size_t>(folds))
    return make_error(ErrorKind::model, "too few churned (" + std::to_string(pos.size()) + ") or retained (" +
                                            std::to_string(neg.size()) + ") customers for " + std::to_string(folds) +
                                            "-fold cross-validation");
  std::mt19937 rng(static_cast<std::uint32_t>(p.seed));
  std::shuffle(pos.begin(), pos.end(), rng);
  std::shuffle(neg.begin(), neg.end(), rng);
  std::vector<int> fold_of(y.size());
  for (std::size_t i = 0; i < pos.size(); ++i) fold_of[pos[i]] = static_cast<int>(i % folds);
  for (std::size_t i = 0; i < neg.size(); ++i) fold_of[neg[i]] = static_cast<int>(i % folds);
  double sum = 0;
  for (int f = 0; f < folds; ++f) {
    std::vector<std::size_t> tr, te;
    for (std::size_t i = 0; i < y.size(); ++i) (fold_of[i] == f ? te : tr).push_back(i);
    std::vector<float> ytr, yte;
    for (auto i : tr) ytr.push_back(y[i]);
    for (auto i : te) yte.push_back(y[i]);
    auto b = Booster::train(m.subset(tr), ytr, p);
    if (!b) return b.error();
    auto pr = b->predict(m.subset(te));
    if (!pr) return pr.error();
    sum += roc_auc(*pr, yte);
  }
  return sum / folds;
}

}  // namespace cg::model
