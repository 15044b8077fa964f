#include "daemon/model/tables.hpp"

#include "daemon/core/scratch.hpp"
#include "daemon/model/xgboost_json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace cg::model {
namespace json = boost::json;
namespace {

constexpr std::uint32_t kNone = UINT32_MAX;

struct Tree {
  std::vector<std::int64_t> left, right, feature;
  std::vector<double> cond, hess;
  std::vector<bool> default_left;
};

struct Step {
  std::size_t node;
  bool left;
};

struct Leaf {
  const Tree* tree;
  std::vector<Step> path;
  double value;
};

// A table while it is built (ShapTables keeps them flattened).
struct Piece {
  std::uint32_t a = 0, b = 0;
  bool pair = false;
  std::uint32_t nb = 1;
  std::vector<std::uint16_t> local_a, local_b;  // global bin -> local bin
  std::vector<float> phi_a, phi_b;              // per cell
};

Error broken(const std::string& what) { return make_error(ErrorKind::model, "model JSON: " + what); }

using xgboost_json::numbers;

double number_text(const json::value& v) {
  return v.is_string() ? std::stod(std::string(v.as_string())) : v.to_number<double>();
}

// Walks a tree, collecting each leaf with its path; false when the tree is malformed.
bool collect(const Tree& t, std::size_t node, std::vector<Step>& path, std::vector<Leaf>& out, std::size_t depth) {
  if (node >= t.left.size() || depth > 64) return false;
  if (t.left[node] < 0) {
    out.push_back({&t, path, t.cond[node]});
    return true;
  }
  for (bool left : {true, false}) {
    path.push_back({node, left});
    auto child = static_cast<std::size_t>(left ? t.left[node] : t.right[node]);
    if (!collect(t, child, path, out, depth + 1)) return false;
    path.pop_back();
  }
  return true;
}

}  // namespace

Result<std::optional<ShapTables>> ShapTables::compile(const std::string& text, const std::vector<double>* mean,
                                                      const std::vector<double>* scale) {
  ShapTables st;
  try {
    auto root = json::parse(text);
    const auto& learner = root.at("learner").as_object();
    const double features = number_text(learner.at("learner_model_param").at("num_feature"));
    if (!(features >= 1 && features <= 1e6)) return broken("num_feature " + std::to_string(features));
    const auto cols = static_cast<std::size_t>(features);
    st.cols_ = cols;
    if (learner.at("objective").at("name").as_string() != "binary:logistic") return std::optional<ShapTables>{};
    double base = number_text(learner.at("learner_model_param").at("base_score"));
    if (!(base > 0 && base < 1)) return broken("base_score " + std::to_string(base) + " is not a probability");
    st.bias_ = std::log(base / (1 - base));
    const auto& gb = learner.at("gradient_booster").as_object();
    const auto name = gb.at("name").as_string();
    if (name == "gblinear") {
      auto w = numbers<double>(gb.at("model").as_object(), "weights");
      if (w.size() != cols + 1) return broken("gblinear has " + std::to_string(w.size()) + " weights for " +
                                              std::to_string(cols) + " columns");
      st.linear_ = true;
      st.weight_.assign(cols, 0);
      st.offset_.assign(cols, 0);
      for (std::size_t c = 0; c < cols; ++c) {
        const double s = scale && c < scale->size() ? (*scale)[c] : 1, m = mean && c < mean->size() ? (*mean)[c] : 0;
        st.weight_[c] = w[c] / s;
        st.offset_[c] = -w[c] * m / s;
      }
      st.bias_ += w[cols];
      return std::optional<ShapTables>(std::move(st));
    }
    if (name != "gbtree") return std::optional<ShapTables>{};
    const auto& model = gb.at("model").as_object();
    if (number_text(model.at("gbtree_model_param").at("num_parallel_tree")) != 1) return std::optional<ShapTables>{};
    std::vector<Tree> trees;
    for (const auto& tv : model.at("trees").as_array()) {
      const auto& o = tv.as_object();
      for (auto s : numbers<int>(o, "split_type"))
        if (s != 0) return std::optional<ShapTables>{};  // categorical splits: not compiled
      Tree t{numbers<std::int64_t>(o, "left_children"), numbers<std::int64_t>(o, "right_children"),
             numbers<std::int64_t>(o, "split_indices"), numbers<double>(o, "split_conditions"),
             numbers<double>(o, "sum_hessian"), {}};
      for (auto d : numbers<int>(o, "default_left")) t.default_left.push_back(d != 0);
      const auto n = t.left.size();
      if (n == 0 || t.right.size() != n || t.feature.size() != n || t.cond.size() != n || t.hess.size() != n ||
          t.default_left.size() != n)
        return broken("tree " + std::to_string(trees.size()) + " has arrays of different lengths");
      for (std::size_t i = 0; i < n; ++i)
        if (t.left[i] >= 0 && (static_cast<std::size_t>(t.left[i]) >= n || t.right[i] < 0 ||
                               static_cast<std::size_t>(t.right[i]) >= n || t.feature[i] < 0 ||
                               static_cast<std::size_t>(t.feature[i]) >= cols || !(t.hess[i] > 0)))
          return broken("tree " + std::to_string(trees.size()) + " node " + std::to_string(i) + " is malformed");
      trees.push_back(std::move(t));
    }
    // Leaves grouped by the feature set of their path.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<Leaf>> groups;
    std::vector<Leaf> leaves;
    for (const auto& t : trees) {
      leaves.clear();
      std::vector<Step> path;
      if (!collect(t, 0, path, leaves, 0)) return broken("a tree's children do not form a tree");
      for (auto& l : leaves) {
        std::uint32_t a = kNone, b = kNone;
        for (const auto& s : l.path) {
          auto f = static_cast<std::uint32_t>(t.feature[s.node]);
          if (f == a || f == b) continue;
          if (a == kNone) {
            a = f;
          } else if (b == kNone) {
            b = f;
          } else {
            return std::optional<ShapTables>{};  // a path with three features: not compiled
          }
        }
        if (a == kNone) {
          st.bias_ += l.value;  // a tree that is one leaf
          continue;
        }
        if (b != kNone && b < a) std::swap(a, b);
        groups[{a, b}].push_back(std::move(l));
      }
    }
    // Global thresholds per column.
    st.thresholds_.assign(cols, {});
    for (const auto& t : trees)
      for (std::size_t i = 0; i < t.left.size(); ++i)
        if (t.left[i] >= 0) st.thresholds_[static_cast<std::size_t>(t.feature[i])].push_back(static_cast<float>(t.cond[i]));
    for (auto& th : st.thresholds_) {
      std::sort(th.begin(), th.end());
      th.erase(std::unique(th.begin(), th.end()), th.end());
    }
    for (auto& entry : groups) {  // not a structured binding: clang 14 cannot capture one in a lambda
      const auto& key = entry.first;
      const auto& group = entry.second;
      Piece p;
      p.a = key.first;
      p.pair = key.second != kNone;
      p.b = p.pair ? key.second : key.first;
      // The piece's own thresholds per feature, and the map from global to local bins.
      auto local = [&](std::uint32_t f) {
        std::vector<float> th;
        for (const auto& l : group)
          for (const auto& s : l.path)
            if (static_cast<std::uint32_t>(l.tree->feature[s.node]) == f) th.push_back(static_cast<float>(l.tree->cond[s.node]));
        std::sort(th.begin(), th.end());
        th.erase(std::unique(th.begin(), th.end()), th.end());
        return th;
      };
      auto map_bins = [&](std::uint32_t f, const std::vector<float>& th) {
        const auto& g = st.thresholds_[f];
        std::vector<std::uint16_t> m(g.size() + 2);
        for (std::size_t bin = 0; bin <= g.size(); ++bin)  // bin: x in [g[bin-1], g[bin])
          m[bin] = static_cast<std::uint16_t>(
              bin == 0 ? 0 : std::upper_bound(th.begin(), th.end(), g[bin - 1]) - th.begin());
        m[g.size() + 1] = static_cast<std::uint16_t>(th.size() + 1);  // missing
        return m;
      };
      const auto ta = local(p.a), tb = p.pair ? local(p.b) : std::vector<float>{};
      if (ta.size() > 60000 || tb.size() > 60000) return broken("too many thresholds on one feature");
      p.local_a = map_bins(p.a, ta);
      if (p.pair) p.local_b = map_bins(p.b, tb);
      const std::size_t na = ta.size() + 2;
      p.nb = p.pair ? static_cast<std::uint32_t>(tb.size() + 2) : 1;
      p.phi_a.assign(na * p.nb, 0);
      if (p.pair) p.phi_b.assign(na * p.nb, 0);
      // Does the cell (la, lb) send this node's test left?
      auto goes_left = [&](const Tree& t, std::size_t node, std::size_t la, std::size_t lb) {
        const bool on_a = static_cast<std::uint32_t>(t.feature[node]) == p.a;
        const auto& th = on_a ? ta : tb;
        const std::size_t l = on_a ? la : lb;
        if (l == th.size() + 1) return static_cast<bool>(t.default_left[node]);
        auto pos = static_cast<std::size_t>(std::lower_bound(th.begin(), th.end(), static_cast<float>(t.cond[node])) - th.begin());
        return l <= pos;  // x < cond
      };
      // w(S): the weight path-dependent SHAP gives a leaf when the features in S are known.
      auto weight = [&](const Leaf& l, bool know_a, bool know_b, std::size_t la, std::size_t lb) {
        double w = 1;
        for (const auto& s : l.path) {
          const auto f = static_cast<std::uint32_t>(l.tree->feature[s.node]);
          const bool known = (f == p.a && know_a) || (p.pair && f == p.b && know_b);
          if (known) {
            if (goes_left(*l.tree, s.node, la, lb) != s.left) return 0.0;
          } else {
            auto child = static_cast<std::size_t>(s.left ? l.tree->left[s.node] : l.tree->right[s.node]);
            w *= l.tree->hess[child] / l.tree->hess[s.node];
          }
        }
        return w;
      };
      for (const auto& l : group) st.bias_ += l.value * weight(l, false, false, 0, 0);
      for (std::size_t la = 0; la < na; ++la)
        for (std::size_t lb = 0; lb < p.nb; ++lb) {
          double v0 = 0, va = 0, vb = 0, vab = 0;
          for (const auto& l : group) {
            v0 += l.value * weight(l, false, false, la, lb);
            va += l.value * weight(l, true, false, la, lb);
            if (p.pair) {
              vb += l.value * weight(l, false, true, la, lb);
              vab += l.value * weight(l, true, true, la, lb);
            }
          }
          const auto cell = la * p.nb + lb;
          if (!p.pair) {
            p.phi_a[cell] = static_cast<float>(va - v0);
          } else {
            p.phi_a[cell] = static_cast<float>(0.5 * (va - v0) + 0.5 * (vab - vb));
            p.phi_b[cell] = static_cast<float>(0.5 * (vb - v0) + 0.5 * (vab - va));
          }
        }
      // Flatten.
      Table t{p.a, p.b, static_cast<std::uint32_t>(st.maps_.size()), 0, static_cast<std::uint32_t>(st.phis_.size()), p.nb};
      if (p.pair) {
        st.maps_.insert(st.maps_.end(), p.local_a.begin(), p.local_a.end());
        t.map_b = static_cast<std::uint32_t>(st.maps_.size());
        st.maps_.insert(st.maps_.end(), p.local_b.begin(), p.local_b.end());
        for (std::size_t cell = 0; cell < p.phi_a.size(); ++cell) st.phis_.insert(st.phis_.end(), {p.phi_a[cell], p.phi_b[cell]});
        st.pairs_.push_back(t);
      } else {
        // A single feature's table is indexed by the column's global bin directly (one lookup
        // fewer per row): its cells repeated over the global bins each covers.
        for (auto local_bin : p.local_a) st.phis_.push_back(p.phi_a[local_bin]);
        st.singles_.push_back(t);
      }
      if (st.maps_.size() > UINT32_MAX / 2 || st.phis_.size() > UINT32_MAX / 2) return broken("model too large to tabulate");
    }
    std::vector<bool> used(cols, false);
    for (const auto* list : {&st.singles_, &st.pairs_})
      for (const auto& t : *list) used[t.a] = used[t.b] = true;
    for (std::uint32_t c = 0; c < cols; ++c)
      if (used[c]) st.used_.push_back(c);
  } catch (const std::exception& e) {
    return broken(e.what());
  }
  return std::optional<ShapTables>(std::move(st));
}

// The count of thresholds <= v, by a binary search without branches on the data: a model with
// hundreds of rounds has hundreds of thresholds on a column, and std::upper_bound's mispredicted
// branches made this search most of a row's scoring time.
std::uint32_t ShapTables::bin(std::size_t c, float v) const {
  const auto& th = thresholds_[c];
  std::size_t n = th.size();
  if (std::isnan(v)) return static_cast<std::uint32_t>(n + 1);
  if (n == 0) return 0;
  const float* base = th.data();
  while (n > 1) {
    const std::size_t half = n / 2;
    base = base[half] <= v ? base + half : base;
    n -= half;
  }
  return static_cast<std::uint32_t>(base - th.data()) + (*base <= v);
}

double ShapTables::contributions(const float* row, float* out) const {
  std::fill(out, out + cols_ + 1, 0.f);
  double sum = bias_;
  out[cols_] = static_cast<float>(bias_);
  if (linear_) {
    for (std::size_t c = 0; c < cols_; ++c) {
      if (std::isnan(row[c])) continue;
      out[c] = static_cast<float>(weight_[c] * row[c] + offset_[c]);
      sum += out[c];
    }
    return sum;
  }
  Scratch<std::uint32_t, 512> scratch(cols_);
  std::uint32_t* bins = scratch.data();
  for (auto c : used_) bins[c] = bin(c, row[c]);
  const std::uint16_t* maps = maps_.data();
  const float* phis = phis_.data();
  // The margin in two sums, singles and pairs: two short chains of dependent adds, not one long one.
  double singles = 0, pairs = 0;
  for (const auto& t : singles_) {
    const float v = phis[t.phi + bins[t.a]];
    out[t.a] += v;
    singles += v;
  }
  for (const auto& t : pairs_) {
    const float* cell = phis + t.phi + 2 * (std::size_t{maps[t.map_a + bins[t.a]]} * t.nb + maps[t.map_b + bins[t.b]]);
    out[t.a] += cell[0];
    out[t.b] += cell[1];
    pairs += double(cell[0]) + cell[1];
  }
  return sum + singles + pairs;
}

double ShapTables::margin(const float* row) const {
  thread_local std::vector<float> scratch;
  scratch.resize(cols_ + 1);
  return contributions(row, scratch.data());
}

}  // namespace cg::model
