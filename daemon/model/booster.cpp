#include "daemon/model/booster.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
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

Booster::Booster(Booster&& o) noexcept : handle_(std::exchange(o.handle_, nullptr)) {}
Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) XGBoosterFree(handle_);
    handle_ = std::exchange(o.handle_, nullptr);
  }
  return *this;
}
Booster::~Booster() {
  if (handle_) XGBoosterFree(handle_);
}

Result<Booster> Booster::train(const Matrix& m, const std::vector<float>& labels, const TrainParams& p) {
  if (labels.size() != m.rows) return make_error(ErrorKind::model, "labels and rows differ in number");
  DMatrix d;
  if (auto r = make_dmatrix(m, d); !r) return r.error();
  if (XGDMatrixSetFloatInfo(d.h, "label", labels.data(), labels.size()) != 0) return xgb_error("setting labels");
  Booster b;
  if (XGBoosterCreate(&d.h, 1, &b.handle_) != 0) return xgb_error("creating a booster");
  auto set = [&](const char* k, const std::string& v) { return XGBoosterSetParam(b.handle_, k, v.c_str()) == 0; };
  bool ok = set("objective", "binary:logistic") && set("eval_metric", "auc") && set("nthread", "2") &&
            set("seed", std::to_string(p.seed)) && set("verbosity", "0");
  int rounds = p.rounds;
  if (p.algorithm == "gblinear") {
    ok = ok && set("booster", "gblinear") && set("eta", std::to_string(p.learning_rate * 10)) && set("lambda", "1");
  } else if (p.algorithm == "random_forest") {
    // A forest is one boosting round of many parallel, subsampled trees with no shrinkage.
    ok = ok && set("booster", "gbtree") && set("num_parallel_tree", "200") && set("subsample", "0.632") &&
         set("colsample_bynode", "0.6") && set("eta", "1") && set("max_depth", std::to_string(p.max_depth + 4)) &&
         set("tree_method", "hist");
    rounds = 1;
  } else {
    ok = ok && set("booster", "gbtree") && set("eta", std::to_string(p.learning_rate)) &&
         set("max_depth", std::to_string(p.max_depth)) && set("subsample", "0.8") && set("colsample_bytree", "0.8") &&
         set("min_child_weight", "2") && set("tree_method", "hist");
  }
  if (!ok) return xgb_error("setting parameters");
  for (int i = 0; i < rounds; ++i)
    if (XGBoosterUpdateOneIter(b.handle_, i, d.h) != 0) return xgb_error("training round " + std::to_string(i));
  return b;
}

Result<Booster> Booster::load(const std::string& blob) {
  Booster b;
  if (XGBoosterCreate(nullptr, 0, &b.handle_) != 0) return xgb_error("creating a booster");
  if (XGBoosterLoadModelFromBuffer(b.handle_, blob.data(), blob.size()) != 0) return xgb_error("loading a model");
  return b;
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
      if (y[idx[k]] > 0.5) rank_sum += avg_rank, ++pos;
    i = j;
  }
  double neg = static_cast<double>(s.size()) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

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
