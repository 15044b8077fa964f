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
  for (std::string algo : {"gradient_boosting", "logistic_regression", "random_forest"}) {
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
  model::TrainParams p;
  p.rounds = 30, p.max_depth = 3, p.learning_rate = 0.1, p.seed = 1;
  auto b = model::Booster::train(m, y, p);
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
  model::TrainParams p;
  p.rounds = 10, p.max_depth = 3, p.learning_rate = 0.1, p.seed = 1;
  auto b = model::Booster::train(m, y, p);
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
  auto r = scoring::top_reasons(contrib, sources, {"3", "A", "0"},
                                {{"contract", "Contract: {value}"}});
  ASSERT_EQ(r.size(), 2u);  // tickets pushes risk down: not a reason
  EXPECT_EQ(r[0], "Contract: A");
  EXPECT_EQ(r[1], "tenure: 3");
}

TEST(Scoring, ReasonsSumALongOneHotRunAndASourceSplitAcrossTheRow) {
  // state has a run of six columns and a seventh after tenure: all seven are its sum.
  std::vector<std::string> sources{"state", "state", "state", "state", "state", "state", "tenure", "state", "plan"};
  const scoring::ReasonWriter w(sources, {});
  float contrib[] = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.75f, 0.2f, 0.72f, 0.0f};
  // state without its last column (0.6) would come third; with it (0.8) it is first.
  EXPECT_EQ(w.sentence(contrib, {"CA", "12", "pro"}), "state: CA; tenure: 12; plan: pro");
  contrib[7] = -0.2f;  // 0.4 now: last
  EXPECT_EQ(w.sentence(contrib, {"CA", "12", "pro"}), "tenure: 12; plan: pro; state: CA");
}

TEST(Scoring, ReasonSentenceKeepsTheStrongestThreeInOrder) {
  std::vector<std::string> sources{"a", "b", "c", "d", "e", "f"};
  const scoring::ReasonWriter w(sources, {{"c", "C is {value}!"}, {"e", "plain E"}});
  // e and b tie: column order decides; f is below the 0.01 floor.
  float contrib[] = {0.3f, 0.5f, 0.9f, -1.0f, 0.5f, 0.005f, 2.0f};
  EXPECT_EQ(w.sentence(contrib, {"", "x", "7", "", "", ""}), "C is 7!; b: x; plain E");
  EXPECT_EQ(w.top(contrib, {"", "x", "7"}, 2), (std::vector<std::string>{"C is 7!", "b: x"}));
  EXPECT_EQ(w.top(contrib, {"", "x"}, 1), (std::vector<std::string>{"C is ?!"})) << "a value not built reads as ?";
  float none[] = {-0.1f, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(w.sentence(none, {}), "");
}

// A phrase's `one` form reads where the value is exactly 1; every other value, and a source
// without that form, reads the `other` form.
TEST(Scoring, ReasonsUseAPhrasesOneFormForAValueOfOne) {
  std::vector<std::string> sources{"months", "tickets", "plan"};
  const scoring::ReasonWriter w(sources, {{"months", {"Customer for {value} months", "Customer for {value} month"}},
                                          {"tickets", "{value} tickets"}});
  float contrib[] = {0.9f, 0.5f, 0.2f, 0.0f};
  EXPECT_EQ(w.sentence(contrib, {"1", "1", "pro"}), "Customer for 1 month; 1 tickets; plan: pro");
  EXPECT_EQ(w.sentence(contrib, {"12", "3", "pro"}), "Customer for 12 months; 3 tickets; plan: pro");
  EXPECT_EQ(w.top(contrib, {"1.5"}, 1), (std::vector<std::string>{"Customer for 1.5 months"}));
  EXPECT_EQ(w.top(contrib, {"10"}, 1), (std::vector<std::string>{"Customer for 10 months"}));
}

// Counting what drives risk across customers: reasons group by the phrase they came from.
TEST(Scoring, ReasonGroupsCountEachPhraseOnceWhateverItsValue) {
  const scoring::ReasonGroups g({{"months", {"Customer for only {value} months", "Customer for only {value} month"}},
                                 {"sentiment", "Support sentiment {value} (of -100..100)"},
                                 {"resolved", "Only {value} tickets resolved in 30 days"},
                                 {"a_short", "Only {value}"},
                                 {"rate", "Contacts open {value} of marketing e-mails"},
                                 {"contract", "Contract: {value}"},
                                 {"flag", "Flagged by the account team"}});
  EXPECT_EQ(g.of("Customer for only 1 month"), "Customer for only # months");
  EXPECT_EQ(g.of("Customer for only 14 months"), "Customer for only # months");
  const scoring::ReasonGroups tickets({{"tickets", {"{value} tickets this week", "A ticket this week"}}});
  EXPECT_EQ(tickets.of("A ticket this week"), "# tickets this week");
  EXPECT_EQ(tickets.of("4 tickets this week"), "# tickets this week");
  // The phrase's own numbers stay; only the value is masked.
  EXPECT_EQ(g.of("Support sentiment -39.2 (of -100..100)"), "Support sentiment # (of -100..100)");
  EXPECT_EQ(g.of("Contacts open 12% of marketing e-mails"), "Contacts open # of marketing e-mails");
  // The most specific phrase wins over a shorter one that also fits.
  EXPECT_EQ(g.of("Only 3 tickets resolved in 30 days"), "Only # tickets resolved in 30 days");
  EXPECT_EQ(g.of("Only 3"), "Only #");
  // Categories are what the team acts on: they stay apart.
  EXPECT_EQ(g.of("Contract: Month-to-month"), "Contract: Month-to-month");
  EXPECT_EQ(g.of("Flagged by the account team"), "Flagged by the account team");
  // No phrase renders it (a source without one): its numbers are masked.
  EXPECT_EQ(g.of("tenure: 12"), "tenure: #");
}

namespace {
const std::int64_t day = 86'400'000, t0 = 1000 * day;
store::Activity act(std::string id, std::string kind, double days_ago, std::optional<double> closed_days_ago = {},
                    std::optional<double> sentiment = {}, std::optional<double> value = {}) {
  store::Activity a{std::move(id), std::move(kind), "c1", t0 - static_cast<std::int64_t>(days_ago * day)};
  if (closed_days_ago) a.closed_ms = t0 - static_cast<std::int64_t>(*closed_days_ago * day);
  a.sentiment = sentiment;
  a.value = value;
  return a;
}
// A hand-built timeline for one customer, as of t0.
std::vector<store::Activity> timeline() {
  return {act("t1", "ticket", 10, {}, -80.0),      act("t2", "ticket", 40, 39.5, 50.0),
          act("t3", "ticket", 60, 58, -40.0),      act("e1", "email_out", 5, {}, {}, 1.0),
          act("e2", "email_out", 20, {}, {}, 0.0), act("e3", "email_out", 50, {}, {}, 1.0),
          act("r1", "email_in", 4, {}, 20.0),      act("u1", "usage", 2, {}, {}, 600.0),
          act("u2", "usage", 6, {}, {}, 300.0),    act("u3", "usage", 45, {}, {}, 120.0),
          act("u4", "usage", 80, {}, {}, 60.0)};
}
}  // namespace

TEST(Features, WindowsOnAHandBuiltTimeline) {
  auto acts = timeline();
  std::vector<const store::Activity*> ptrs;
  for (auto& a : acts) ptrs.push_back(&a);
  store::MarketingStats m{10, 4};
  auto f = features::behaviour_of(ptrs, t0, &m);
  EXPECT_EQ(f["tickets_opened_7d"], 0);
  EXPECT_EQ(f["tickets_opened_30d"], 1);
  EXPECT_EQ(f["tickets_opened_90d"], 3);
  EXPECT_EQ(f["tickets_resolved_90d"], 2);
  EXPECT_EQ(f["open_tickets"], 1);
  EXPECT_NEAR(f["median_resolution_hours_90d"], (12 + 48) / 2.0, 1e-6);
  EXPECT_EQ(f["emails_sent_30d"], 2);
  EXPECT_DOUBLE_EQ(f["email_open_rate_30d"], 0.5);
  EXPECT_DOUBLE_EQ(f["email_reply_rate_7d"], 1.0);
  EXPECT_DOUBLE_EQ(f["email_open_rate_90d"], 2.0 / 3);
  EXPECT_EQ(f["usage_events_7d"], 2);
  EXPECT_DOUBLE_EQ(f["usage_minutes_7d"], 15);
  EXPECT_EQ(f["usage_events_90d"], 4);
  EXPECT_DOUBLE_EQ(f["usage_trend"], 2 - 2 / 2.0);
  EXPECT_DOUBLE_EQ(f["tickets_trend"], 1 - 2 / 2.0);
  EXPECT_DOUBLE_EQ(f["days_since_last_activity"], 2);
  EXPECT_DOUBLE_EQ(f["sentiment_mean_90d"], (-80 + 50 - 40 + 20) / 4.0);
  EXPECT_DOUBLE_EQ(f["sentiment_min_90d"], -80);
  EXPECT_DOUBLE_EQ(f["sentiment_trend"], (-80 + 20) / 2.0 - (50 - 40) / 2.0);
  EXPECT_EQ(f["negative_texts_90d"], 2);
  EXPECT_DOUBLE_EQ(f["marketing_open_rate"], 0.4);
  EXPECT_TRUE(std::isnan(features::behaviour_of({}, t0, nullptr)["email_open_rate_30d"]));
}

// Open and reply rates read as percentages in reasons; counts as numbers.
TEST(Features, RatesReadAsPercentages) {
  std::vector<store::Customer> cs{{"c1", "", {}, {}, 0}};
  auto spec = features::fit_spec(cs, {}, {}, {});
  spec.behaviour = true;
  auto acts = timeline();
  auto f = features::build(spec, cs, acts, t0, {{"c1", store::MarketingStats{10, 4}}});
  ASSERT_EQ(f.display.size(), 1u);
  const auto& names = features::behaviour_features();
  auto shown = [&](const std::string& name) {
    const auto at = std::find(names.begin(), names.end(), name) - names.begin();
    return f.display[0].at(static_cast<std::size_t>(at));
  };
  EXPECT_EQ(shown("email_open_rate_30d"), "50%");
  EXPECT_EQ(shown("email_open_rate_90d"), "67%");
  EXPECT_EQ(shown("email_reply_rate_7d"), "100%");
  EXPECT_EQ(shown("marketing_open_rate"), "40%");
  EXPECT_EQ(shown("tickets_opened_90d"), "3");
  EXPECT_EQ(shown("days_since_last_activity"), "2");
}

TEST(Features, NoFeatureSeesPastTheAsOfDate) {
  std::vector<store::Customer> cs{{"c1", "C", {{"plan", "pro"}}, {}, 0}};
  auto spec = features::fit_spec(cs, {}, {"plan"});
  auto past = timeline();
  auto before = features::build(spec, cs, past, t0);
  // The future: new tickets, replies, usage, and a past ticket closed later.
  auto with_future = past;
  with_future.push_back(act("f1", "ticket", -1, {}, -100.0));
  with_future.push_back(act("f2", "usage", -0.5, {}, {}, 9999.0));
  with_future.push_back(act("f3", "email_in", -2, {}, -90.0));
  with_future.push_back(act("f4", "email_out", -3, {}, {}, 1.0));
  with_future[0].closed_ms = t0 + day;  // t1 closes tomorrow: still open today
  auto after = features::build(spec, cs, with_future, t0);
  ASSERT_EQ(before.matrix.x.size(), after.matrix.x.size());
  auto names = spec.column_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    float a = before.matrix.x[i], b = after.matrix.x[i];
    EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << names[i] << ": " << a << " became " << b;
  }
  EXPECT_EQ(before.engagement[0], after.engagement[0]);
}

TEST(Features, EngagementIndexReweightsOverWhatIsKnown) {
  std::map<std::string, double> b{{"email_open_rate_90d", 0.5}, {"marketing_open_rate", std::nan("")},
                                  {"email_reply_rate_90d", std::nan("")}, {"days_since_last_activity", 0}};
  // 0.2*0.5 + 0.2*1 over weight 0.4
  EXPECT_DOUBLE_EQ(*features::engagement_index(b, std::nullopt), 75);
  EXPECT_NEAR(*features::engagement_index(b, 0.0), 100 * 0.3 / 0.8, 1e-9);
  std::map<std::string, double> empty{{"email_open_rate_90d", std::nan("")}, {"marketing_open_rate", std::nan("")},
                                      {"email_reply_rate_90d", std::nan("")}, {"days_since_last_activity", std::nan("")}};
  EXPECT_FALSE(features::engagement_index(empty, std::nullopt));
}

TEST(Features, SpecRoundTripsThroughJson) {
  std::vector<store::Customer> cs{{"1", "", {{"c", "x"}}, {}, 0}, {"2", "", {{"c", "y"}}, {}, 0}};
  auto spec = features::fit_spec(cs, {"n"}, {"c"});
  auto back = features::FeatureSpec::from_json(spec.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->column_names(), spec.column_names());
  EXPECT_FALSE(features::FeatureSpec::from_json("{"));
}

// Derived features: the value, missing where an input is, their place among the columns, their
// display for reasons, and the spec's JSON (with and without them, as older models stored it).
TEST(Features, DerivedPropertiesComputeAfterTheNumericOnes) {
  std::vector<store::Customer> cs{
      {"1", "", {{"day", "30.5"}, {"eve", "12"}, {"months", "10"}, {"c", "x"}}, {}, 0},
      {"2", "", {{"day", "30.5"}, {"eve", ""}, {"months", "0"}, {"c", "y"}}, {}, 0},
      {"3", "", {{"day", "n/a"}, {"eve", "1"}, {"months", "-1"}}, {}, 0}};
  std::vector<features::Derived> derived{
      {"total", "sum", {"day", "eve"}}, {"per_month", "ratio", {"day", "months"}}, {"log_months", "log", {"months"}}};
  auto spec = features::fit_spec(cs, {"months"}, {"c"}, derived);
  spec.behaviour = false;
  EXPECT_EQ(spec.column_names(), (std::vector<std::string>{"months", "total", "per_month", "log_months", "c=x", "c=y"}));
  EXPECT_EQ(spec.column_sources(), (std::vector<std::string>{"months", "total", "per_month", "log_months", "c", "c"}));
  auto f = features::build(spec, cs, {}, t0);
  const auto& x = f.matrix.x;
  EXPECT_FLOAT_EQ(x[1], 42.5f);
  EXPECT_FLOAT_EQ(x[2], 3.05f);
  EXPECT_FLOAT_EQ(x[3], static_cast<float>(std::log1p(10.0)));
  EXPECT_TRUE(std::isnan(x[6 + 1]));   // eve is blank
  EXPECT_TRUE(std::isnan(x[6 + 2]));   // divided by 0
  EXPECT_FLOAT_EQ(x[6 + 3], 0.f);      // log(1 + 0)
  EXPECT_TRUE(std::isnan(x[12 + 1]));  // day is not a number
  EXPECT_TRUE(std::isnan(x[12 + 3]));  // log(1 + -1)
  EXPECT_EQ(f.display[0][1], "42.5");
  EXPECT_EQ(f.display[0][3], "10");  // a log shows the value it was taken of
  EXPECT_EQ(f.display[1][2], "unknown");
  auto back = features::FeatureSpec::from_json(spec.to_json());
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->column_names(), spec.column_names());
  ASSERT_EQ(back->derived.size(), 3u);
  EXPECT_EQ(back->derived[1].op, "ratio");
  EXPECT_EQ(back->derived[1].of, (std::vector<std::string>{"day", "months"}));
  auto old = features::FeatureSpec::from_json(R"({"numeric":["months"],"categorical":{},"behaviour":false})");
  ASSERT_TRUE(old) << old.error().what();
  EXPECT_TRUE(old->derived.empty());
  // A hand-edited stored spec with a form scoring cannot compute is an error, not a blank column.
  auto odd = features::FeatureSpec::from_json(
      R"({"numeric":[],"derived":[{"name":"x","op":"product","of":["a","b"]}],"categorical":{},"behaviour":false})");
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message.find("derived column 'x' (product): 'product' is not sum, ratio or log"), std::string::npos)
      << odd.error().message;
  auto one = features::FeatureSpec::from_json(
      R"({"numeric":[],"derived":[{"name":"r","op":"ratio","of":["a"]}],"categorical":{},"behaviour":false})");
  ASSERT_FALSE(one);
  EXPECT_NE(one.error().message.find("must list exactly two properties"), std::string::npos) << one.error().message;
}
