// ShapTables must give what XGBoost's own TreeSHAP gives, row by row, for the models it compiles,
// and refuse the ones it cannot.
#include "daemon/model/model.hpp"
#include "daemon/model/tables.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace cg;

namespace {

// Five columns: an interaction (x0 * x1), a threshold on x2, a binary x3 with missing values,
// and noise x4.
void interacting(std::size_t n, model::Matrix& m, std::vector<float>& y, unsigned seed = 5) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::uniform_real_distribution<float> u(0, 1);
  m = {{}, n, 5};
  for (std::size_t i = 0; i < n; ++i) {
    float a = g(rng), b = g(rng), c = g(rng), d = u(rng) < 0.5f ? 1.f : 0.f, e = g(rng);
    float logit = 1.5f * a * b + (c > 0.7f ? 2.f : -0.5f) + 0.8f * d;
    if (u(rng) < 0.1f) d = NAN;
    if (u(rng) < 0.05f) c = NAN;
    m.x.insert(m.x.end(), {a, b, c, d, e});
    y.push_back(u(rng) < 1.f / (1.f + std::exp(-logit)) ? 1.f : 0.f);
  }
}

model::Model train(const std::string& algorithm, const model::Matrix& m, const std::vector<float>& y, int rounds = 80) {
  model::TrainParams p;
  p.algorithm = algorithm;
  p.rounds = rounds;
  p.learning_rate = 0.1;
  p.seed = 7;
  auto r = model::Model::train(m, y, p);
  EXPECT_TRUE(r) << (r ? "" : r.error().what());
  return std::move(*r);
}

// The same model, scored by XGBoost: a copy loaded from its blob, with the compiled tables
// bypassed (a Booster loaded directly).
void expect_same_as_xgboost(const model::Model& compiled, const model::Matrix& m) {
  ASSERT_TRUE(compiled.compiled()) << compiled.algorithm();
  auto blob = compiled.blob();
  ASSERT_TRUE(blob);
  auto xgb = model::Booster::load(*blob);
  ASSERT_TRUE(xgb);
  auto ours = compiled.contributions(m);
  auto probs = compiled.raw(m);
  ASSERT_TRUE(ours && probs);
  // The linear model's booster takes standardised columns; the tables fold that in.
  model::Matrix input = m;
  if (compiled.algorithm() == "logistic_regression") input = model::Standardiser::fit(m).apply(m);
  auto theirs = xgb->contributions(input);
  auto their_probs = xgb->predict(input);
  ASSERT_TRUE(theirs && their_probs);
  ASSERT_EQ(ours->size(), theirs->size());
  double worst = 0;
  for (std::size_t i = 0; i < ours->size(); ++i) worst = std::max(worst, double(std::fabs((*ours)[i] - (*theirs)[i])));
  EXPECT_LT(worst, 2e-4) << "largest difference from XGBoost's pred_contribs";
  for (std::size_t r = 0; r < m.rows; ++r) ASSERT_NEAR((*probs)[r], (*their_probs)[r], 2e-5) << "row " << r;
}

}  // namespace

TEST(ShapTables, ExplainableBoostingMatchesXGBoostTreeShap) {
  model::Matrix m;
  std::vector<float> y;
  interacting(3000, m, y);
  auto mdl = train("explainable_boosting", m, y);
  expect_same_as_xgboost(mdl, m);
  // Rows it was not trained on, with values outside the training range.
  model::Matrix other;
  std::vector<float> unused;
  interacting(500, other, unused, 99);
  for (std::size_t i = 0; i < other.x.size(); i += 7) other.x[i] *= 4;
  expect_same_as_xgboost(mdl, other);
}

// Values on a coarse grid land exactly on split thresholds, where XGBoost sends x < cond left:
// the table's bin search must put them on the same side.
TEST(ShapTables, ValuesOnThresholdsGoWhereXGBoostSendsThem) {
  model::Matrix m;
  std::vector<float> y;
  interacting(3000, m, y, 21);
  for (auto& v : m.x)
    if (!std::isnan(v)) v = std::round(v * 4) / 4;
  auto mdl = train("explainable_boosting", m, y);
  expect_same_as_xgboost(mdl, m);
}

TEST(ShapTables, ContributionsSumWithTheBiasToTheMargin) {
  model::Matrix m;
  std::vector<float> y;
  interacting(1000, m, y);
  auto mdl = train("explainable_boosting", m, y, 40);
  auto c = mdl.contributions(m);
  auto p = mdl.raw(m);
  ASSERT_TRUE(c && p);
  for (std::size_t r = 0; r < m.rows; ++r) {
    double margin = 0;
    for (std::size_t k = 0; k <= m.cols; ++k) margin += (*c)[r * (m.cols + 1) + k];
    ASSERT_NEAR(1 / (1 + std::exp(-margin)), (*p)[r], 1e-5) << "row " << r;
  }
}

TEST(ShapTables, LinearModelMatchesXGBoostWithStandardisationFoldedIn) {
  model::Matrix m;
  std::vector<float> y;
  interacting(2000, m, y);
  for (std::size_t r = 0; r < m.rows; ++r) m.x[r * m.cols + 4] = m.x[r * m.cols + 4] * 30 + 100;  // far from unit scale
  auto mdl = train("logistic_regression", m, y);
  expect_same_as_xgboost(mdl, m);
}

TEST(ShapTables, SurvivesSaveAndLoad) {
  model::Matrix m;
  std::vector<float> y;
  interacting(1500, m, y);
  auto mdl = train("explainable_boosting", m, y, 30);
  auto blob = mdl.blob();
  ASSERT_TRUE(blob);
  auto loaded = model::Model::load(*blob, mdl.transform_json());
  ASSERT_TRUE(loaded) << loaded.error().what();
  EXPECT_TRUE(loaded->compiled());
  auto a = mdl.contributions(m), b = loaded->contributions(m);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST(ShapTables, DeepTreesAndForestsAreLeftToXGBoost) {
  model::Matrix m;
  std::vector<float> y;
  interacting(1500, m, y);
  for (const char* algo : {"gradient_boosting", "random_forest"}) {
    auto mdl = train(algo, m, y, 30);
    EXPECT_FALSE(mdl.compiled()) << algo;
    auto blob = mdl.blob();
    ASSERT_TRUE(blob);
    auto loaded = model::Booster::load(*blob);
    ASSERT_TRUE(loaded);
    auto text = loaded->json();
    ASSERT_TRUE(text);
    auto t = model::ShapTables::compile(*text);
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_FALSE(t->has_value()) << algo << ": a path with three features must not compile";
  }
}

TEST(ShapTables, BrokenModelJsonIsAnErrorNamingTheCause) {
  auto r = model::ShapTables::compile(R"({"learner":{"objective":{"name":"binary:logistic"},)"
                                      R"("learner_model_param":{"base_score":"5E-1","num_feature":"2"},)"
                                      R"("gradient_booster":{"name":"gbtree","model":{"gbtree_model_param":)"
                                      R"({"num_parallel_tree":"1"},"trees":[{"left_children":[1,9,-1],)"
                                      R"("right_children":[2,-1,-1],"split_indices":[0,0,0],"split_type":[0,0,0],)"
                                      R"("split_conditions":[0.5,1,2],"sum_hessian":[3,1,2],"default_left":[0,0,0]}]}}}})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tree 0 node"), std::string::npos) << r.error().message;
  auto garbage = model::ShapTables::compile("{not json");
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("model JSON"), std::string::npos);
}
