// Explainable boosting in two stages: single-feature rounds, then the strongest pairs only.
#include "daemon/model/booster.hpp"
#include "daemon/model/interactions.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <set>

using namespace cg;
namespace json = boost::json;

namespace {

// Six columns: x0 * x1 carries the pair signal, x2 a main effect, x3..x5 noise.
void data(std::size_t n, model::Matrix& m, std::vector<float>& y, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0, 1);
  m = {{}, n, 6};
  for (std::size_t i = 0; i < n; ++i) {
    float v[6];
    for (auto& x : v) x = g(rng);
    m.x.insert(m.x.end(), v, v + 6);
    y.push_back(u(rng) < 1.f / (1.f + std::exp(-(2.f * v[0] * v[1] + v[2]))) ? 1.f : 0.f);
  }
}

// The distinct features each tree tests, tree by tree.
std::vector<std::set<int>> features_per_tree(const model::Booster& b) {
  auto text = b.json();
  EXPECT_TRUE(text);
  std::vector<std::set<int>> out;
  const auto root = json::parse(*text);
  for (const auto& t : root.at("learner").at("gradient_booster").at("model").at("trees").as_array()) {
    const auto& o = t.as_object();
    std::set<int> f;
    const auto& left = o.at("left_children").as_array();
    const auto& split = o.at("split_indices").as_array();
    for (std::size_t i = 0; i < left.size(); ++i)
      if (left[i].to_number<int>() >= 0) f.insert(split[i].to_number<int>());
    out.push_back(f);
  }
  return out;
}

model::TrainParams params() {
  model::TrainParams p;
  p.algorithm = "explainable_boosting";
  p.rounds = 150;
  p.learning_rate = 0.1;
  p.interactions = 2;
  return p;
}

// Training and validation rows (seeds `seed` and `seed + 1`), and the model searched on them.
struct Grown {
  model::Matrix m, v;
  std::vector<float> y, vy;
  std::optional<model::Booster> booster;
};

void grow(Grown& g, std::size_t train_rows, std::size_t valid_rows, unsigned seed) {
  data(train_rows, g.m, g.y, seed);
  data(valid_rows, g.v, g.vy, seed + 1);
  auto b = model::Booster::train(g.m, g.y, params(), &g.v, &g.vy);
  ASSERT_TRUE(b) << b.error().what();
  g.booster.emplace(std::move(*b));
}

}  // namespace

TEST(ExplainableBoosting, GrowsSingleFeaturesFirstThenOnlyTheStrongestPairs) {
  Grown g;
  ASSERT_NO_FATAL_FAILURE(grow(g, 3000, 1000, 1));
  const auto* b = &*g.booster;
  const auto& st = b->stages();
  ASSERT_GT(st.main_rounds, 0);
  ASSERT_EQ(st.pairs.size(), 2u);
  EXPECT_EQ(st.pairs.front(), (model::Pair{0, 1}));  // the pair that carries the signal
  const auto trees = features_per_tree(*b);
  ASSERT_EQ(static_cast<int>(trees.size()), b->rounds_used());
  ASSERT_GT(b->rounds_used(), st.main_rounds);  // the pair rounds helped on validation rows
  std::set<std::set<int>> allowed{{0, 1}, {st.pairs[1].first, st.pairs[1].second}};
  for (std::size_t t = 0; t < trees.size(); ++t) {
    if (static_cast<int>(t) < st.main_rounds) {
      EXPECT_EQ(trees[t].size(), 1u) << "tree " << t << " is in the single-feature rounds";
    } else if (trees[t].size() == 2) {
      EXPECT_TRUE(allowed.count(trees[t])) << "tree " << t << " tests a pair that was not chosen";
    } else {
      EXPECT_EQ(trees[t].size(), 1u) << "tree " << t;
    }
  }
}

// A refit grows the same stages without validation rows: on the same rows it is the same model.
TEST(ExplainableBoosting, GrowingTheStagesAgainGivesTheSameModel) {
  Grown g;
  ASSERT_NO_FATAL_FAILURE(grow(g, 2000, 800, 3));
  const auto& b = *g.booster;
  auto p = params();
  p.rounds = b.rounds_used();
  p.stages = b.stages();
  auto again = model::Booster::train(g.m, g.y, p);
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(again->rounds_used(), b.rounds_used());
  EXPECT_EQ(again->stages().pairs, b.stages().pairs);
  EXPECT_EQ(*again->predict(g.v), *b.predict(g.v));
}

TEST(ExplainableBoosting, PairsAreRankedBySplitGain) {
  // Tree 0 tests 0 then 2 (gain 1 on the pair's split), tree 1 tests 1 then 3 (gain 5), and
  // tree 2 tests feature 4 alone (no pair).
  const std::string model = R"({"learner":{"gradient_booster":{"model":{"trees":[
    {"left_children":[1,-1,3,-1,-1],"right_children":[2,-1,4,-1,-1],"split_indices":[0,0,2,0,0],"loss_changes":[9,0,1,0,0]},
    {"left_children":[1,3,-1,-1,-1],"right_children":[2,4,-1,-1,-1],"split_indices":[1,3,0,0,0],"loss_changes":[2,5,0,0,0]},
    {"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[4,0,0],"loss_changes":[30,0,0]}]}}}})";
  auto all = model::strongest_pairs(model, 5);
  ASSERT_TRUE(all) << all.error().what();
  EXPECT_EQ(*all, (std::vector<model::Pair>{{1, 3}, {0, 2}}));
  EXPECT_EQ(model::strongest_pairs(model, 1)->size(), 1u);
  auto broken = model::strongest_pairs(R"({"learner":{"gradient_booster":{"model":{"trees":[
    {"left_children":[0],"right_children":[0],"split_indices":[0],"loss_changes":[1]}]}}}})", 3);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("do not form a tree"), std::string::npos) << broken.error().message;
  EXPECT_EQ(model::interaction_groups(3, {{0, 2}}), "[[0],[1],[2],[0,2]]");
  EXPECT_EQ(model::every_pair(3), "[[0,1],[0,2],[1,2]]");
}
