#include "daemon/model/interactions.hpp"

#include "daemon/model/xgboost_json.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>

namespace cg::model {
namespace json = boost::json;
using xgboost_json::numbers;

Result<std::vector<Pair>> strongest_pairs(const std::string& text, std::size_t k) {
  std::map<Pair, double> gain;
  try {
    auto root = json::parse(text);
    const auto& trees = root.at("learner").at("gradient_booster").at("model").at("trees").as_array();
    for (const auto& tv : trees) {
      const auto& o = tv.as_object();
      const auto left = numbers<std::int64_t>(o, "left_children"), right = numbers<std::int64_t>(o, "right_children");
      const auto feature = numbers<int>(o, "split_indices");
      const auto loss = numbers<double>(o, "loss_changes");
      const auto n = left.size();
      if (right.size() != n || feature.size() != n || loss.size() != n)
        return make_error(ErrorKind::model, "model JSON: a tree has arrays of different lengths");
      // Depth-first, carrying the features tested above each node (at most two matter).
      struct At {
        std::size_t node;
        int a, b;
      };
      std::vector<At> stack{{0, -1, -1}};
      std::size_t visited = 0;
      while (!stack.empty()) {
        auto [node, a, b] = stack.back();
        stack.pop_back();
        if (node >= n || ++visited > n) return make_error(ErrorKind::model, "model JSON: a tree's children do not form a tree");
        if (left[node] < 0) continue;
        const int f = feature[node];
        if (a < 0) {
          a = f;
        } else if (f != a && b < 0) {
          b = f;
        }
        if (b >= 0) gain[{std::min(a, b), std::max(a, b)}] += loss[node];
        stack.push_back({static_cast<std::size_t>(left[node]), a, b});
        stack.push_back({static_cast<std::size_t>(right[node]), a, b});
      }
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::model, std::string("model JSON: ") + e.what());
  }
  std::vector<std::pair<Pair, double>> ranked(gain.begin(), gain.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  std::vector<Pair> out;
  for (std::size_t i = 0; i < ranked.size() && i < k; ++i) out.push_back(ranked[i].first);
  return out;
}

std::string interaction_groups(std::size_t cols, const std::vector<Pair>& pairs) {
  std::string s = "[";
  for (std::size_t c = 0; c < cols; ++c) s += (c ? ",[" : "[") + std::to_string(c) + "]";
  for (const auto& [a, b] : pairs) s += ",[" + std::to_string(a) + "," + std::to_string(b) + "]";
  return s + "]";
}

std::string every_pair(std::size_t cols) {
  if (cols == 1) return "[[0]]";
  std::string s = "[";
  for (std::size_t a = 0; a < cols; ++a)
    for (std::size_t b = a + 1; b < cols; ++b) s += (s.size() > 1 ? ",[" : "[") + std::to_string(a) + "," + std::to_string(b) + "]";
  return s + "]";
}

}  // namespace cg::model
