#include "daemon/features/features.hpp"
#include "daemon/model/booster.hpp"
#include "daemon/scoring/scoring.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace cg;

namespace {
// y depends on x0 (strongly) and x1 (weakly); x2 is noise.
void synthetic(std::size_t n, model::Matrix& m, std::vector<float>& y) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  m = {{}, n, 3};
  for (std::size_t i = 0; i < n; ++i) {
    float a = g(rng), b = g(rng), c = g(rng);
    m.x.insert(m.x.end(), {a, b, c});
    float p = 1.f / (1.f + std::exp(-(2.5f * a + 0.8f * b)));
    y.push_back(std::uniform_real_distribution<float>(0, 1)(rng) < p ? 1.f : 0.f);
  }
}
}  // namespace

TEST(RocAuc, KnownValues) {
  EXPECT_DOUBLE_EQ(model::roc_auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(model::roc_auc({0.5f, 0.5f}, {0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(model::roc_auc({0.9f, 0.1f}, {1, 0}), 1.0);
}

TEST(Booster, LearnsSignalAndCrossValidates) {
  model::Matrix m;
  std::vector<float> y;
  synthetic(2000, m, y);
  for (std::string algo : {"gbtree", "gblinear", "random_forest"}) {
    model::TrainParams p;
    p.algorithm = algo;
    p.rounds = 60;
    p.learning_rate = 0.1;
    auto auc = model::cross_validate_auc(m, y, p, 5);
    ASSERT_TRUE(auc) << auc.error().what();
    EXPECT_GT(*auc, 0.8) << algo;
  }
}

TEST(Booster, ShapContributionsSumToTheMargin) {
  model::Matrix m;
  std::vector<float> y;
  synthetic(500, m, y);
  auto b = model::Booster::train(m, y, {"gbtree", 30, 3, 0.1, 1});
  ASSERT_TRUE(b);
  auto probs = b->predict(m);
  auto contrib = b->contributions(m);
  ASSERT_TRUE(probs && contrib);
  ASSERT_EQ(contrib->size(), m.rows * (m.cols + 1));
  for (std::size_t r = 0; r < 20; ++r) {
    double sum = 0;
    for (std::size_t c = 0; c <= m.cols; ++c) sum += (*contrib)[r * (m.cols + 1) + c];
    double margin = std::log((*probs)[r] / (1 - (*probs)[r]));
    EXPECT_NEAR(sum, margin, 1e-3);
  }
  // the strong feature dominates the noise feature on average
  double a = 0, c = 0;
  for (std::size_t r = 0; r < m.rows; ++r) a += std::abs((*contrib)[r * 4]), c += std::abs((*contrib)[r * 4 + 2]);
  EXPECT_GT(a, 3 * c);
}

TEST(Booster, SavedModelPredictsTheSame) {
  model::Matrix m;
  std::vector<float> y;
  synthetic(300, m, y);
  auto b = model::Booster::train(m, y, {"gbtree", 10, 3, 0.1, 1});
  auto blob = b->save();
  ASSERT_TRUE(blob);
  auto again = model::Booster::load(*blob);
  ASSERT_TRUE(again);
  EXPECT_EQ(*b->predict(m), *again->predict(m));
  EXPECT_FALSE(model::Booster::load("not a model"));
}

TEST(Scoring, TiersFollowThresholds) {
  config::TierThresholds t{30, 50, 70};
  EXPECT_EQ(scoring::tier_for(29, t), "low");
  EXPECT_EQ(scoring::tier_for(30, t), "medium");
  EXPECT_EQ(scoring::tier_for(50, t), "high");
  EXPECT_EQ(scoring::tier_for(100, t), "critical");
}

TEST(Scoring, ReasonsGroupOneHotColumnsAndUsePhrases) {
  // columns: tenure, contract=A, contract=B, tickets
  std::vector<std::string> sources{"tenure", "contract", "contract", "tickets"};
  float contrib[] = {0.2f, 0.5f, 0.4f, -0.3f, 0.0f};
  auto r = scoring::top_reasons(contrib, sources, {{"tenure", "3"}, {"contract", "A"}, {"tickets", "0"}},
                                {{"contract", "Contract: {value}"}});
  ASSERT_EQ(r.size(), 2u);  // tickets pushes risk down: not a reason
  EXPECT_EQ(r[0], "Contract: A");
  EXPECT_EQ(r[1], "tenure: 3");
}

TEST(Features, NoFeatureSeesPastTheAsOfDate) {
  const std::int64_t day = 86'400'000, t = 1000 * day;
  std::vector<store::Customer> cs{{"c1", "C", {{"plan", "pro"}}, {}, 0}};
  std::vector<store::Activity> acts{{"a1", "ticket", "c1", t - 10 * day, std::nullopt, -80.0},
                                    {"a2", "ticket", "c1", t - 40 * day, t - 39 * day, 50.0},
                                    {"future", "ticket", "c1", t + 1, std::nullopt, -100.0}};
  auto spec = features::fit_spec(cs, {}, {"plan"});
  auto f = features::build(spec, cs, acts, t);
  auto names = spec.column_names();
  auto col = [&](const std::string& n) { return f.matrix.x[std::find(names.begin(), names.end(), n) - names.begin()]; };
  EXPECT_EQ(col("tickets_30d"), 1);
  EXPECT_EQ(col("tickets_90d"), 2);
  EXPECT_EQ(col("open_tickets"), 1);
  EXPECT_FLOAT_EQ(col("sentiment_mean_90d"), -15);
  EXPECT_EQ(col("negative_tickets_90d"), 1);
  // The same history seen from before a2 closed: a2 was open then.
  auto earlier = features::build(spec, cs, acts, t - 39 * day - 1);
  EXPECT_EQ(earlier.matrix.x[std::find(names.begin(), names.end(), "open_tickets") - names.begin()], 1);
  EXPECT_EQ(earlier.matrix.x[std::find(names.begin(), names.end(), "tickets_90d") - names.begin()], 1);
}

TEST(Features, SpecRoundTripsThroughJson) {
  std::vector<store::Customer> cs{{"1", "", {{"c", "x"}}, {}, 0}, {"2", "", {{"c", "y"}}, {}, 0}};
  auto spec = features::fit_spec(cs, {"n"}, {"c"});
  auto back = features::FeatureSpec::from_json(spec.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->column_names(), spec.column_names());
  EXPECT_FALSE(features::FeatureSpec::from_json("{"));
}
