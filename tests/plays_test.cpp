// Retention plays: the arm hash, conditions, cooldowns, caps, budgets, restarts, outcomes, and
// the measurement (interval coverage on simulated populations with a known effect).
#include "daemon/core/clock.hpp"
#include "daemon/plays/measure.hpp"
#include "daemon/plays/plays.hpp"
#include "tests/support/sim_server.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <algorithm>
#include <random>

using namespace cg;

namespace {
constexpr std::int64_t day = 86'400'000;

config::PlayConfig offer_play() {
  config::PlayConfig p;
  p.id = "save-offer";
  p.kind = "offer";
  p.when.tiers = {"high", "critical"};
  p.offer_text = "15% off renewal";
  p.offer_value = 10;
  p.cooldown_days = 30;
  p.holdout = 0.10;
  p.outcome_window_days = 60;
  return p;
}

// n customers, all scored high, with a churned flag.
void seed(store::Store& st, int n, std::int64_t now, const std::function<bool(int)>& churned = [](int) { return false; }) {
  crm::PullBatch b;
  std::vector<store::Score> scores;
  for (int i = 0; i < n; ++i) {
    crm::CustomerRecord c;
    c.id = "c" + std::to_string(i);
    c.properties = {{"churned", churned(i) ? "true" : "false"}, {"plan", i % 2 ? "pro" : "basic"}};
    c.modified_ms = 1;
    b.customers.push_back(c);
    store::Score s;
    s.customer_id = c.id;
    s.scored_ms = now;
    s.model_id = 1;
    s.score = 60 + i % 30;
    s.tier = s.score >= 70 ? "critical" : "high";
    s.reasons = i % 3 ? "Contract: Month-to-month" : "3 open support tickets";
    s.sentiment = i % 2 ? -40.0 : 20.0;
    scores.push_back(s);
  }
  ASSERT_TRUE(st.store_batch("customers", b));
  store::ModelRecord m;
  m.version = "m1";
  m.algorithm = "gradient_boosting";
  m.features_json = "{}";
  m.metrics_json = "{}";
  m.blob = "x";
  ASSERT_TRUE(st.save_model(m));
  ASSERT_TRUE(st.save_scores(scores));
}

config::LabelConfig label() {
  config::LabelConfig l;
  l.property = "churned";
  return l;
}
}  // namespace

TEST(Plays, ArmsComeFromAStableSaltedHash) {
  auto p = offer_play();
  int holdout = 0;
  for (int i = 0; i < 20000; ++i) holdout += plays::arm_for("salt", p, "cust" + std::to_string(i)) == "holdout";
  EXPECT_NEAR(holdout / 20000.0, 0.10, 0.01);  // the configured share
  EXPECT_EQ(plays::arm_draw("salt", "a", "c1"), plays::arm_draw("salt", "a", "c1"));
  EXPECT_NE(plays::arm_draw("salt", "a", "c1"), plays::arm_draw("salt", "b", "c1"));  // independent between plays
  EXPECT_NE(plays::arm_draw("salt", "a", "c1"), plays::arm_draw("other", "a", "c1"));
}

TEST(Plays, ConditionsMatchTierScoreReasonsSentimentAndProperties) {
  config::PlayCondition w;
  w.tiers = {"critical"};
  w.min_score = 70;
  w.reasons_any = {"contract"};
  w.sentiment_below = 0;
  w.properties = {{"plan", "pro"}};
  store::Score s;
  s.tier = "critical";
  s.score = 75;
  s.reasons = "Contract: Month-to-month";
  s.sentiment = -10;
  store::Customer c{"c", "", {{"plan", "Pro"}}, {}, 0};
  EXPECT_TRUE(plays::matches(w, s, c));
  auto t = s;
  t.tier = "high";
  EXPECT_FALSE(plays::matches(w, t, c));
  t = s;
  t.sentiment = 5;
  EXPECT_FALSE(plays::matches(w, t, c));
  t = s;
  t.sentiment.reset();
  EXPECT_FALSE(plays::matches(w, t, c));  // unknown sentiment is not "below"
  t = s;
  t.reasons = "3 open support tickets";
  EXPECT_FALSE(plays::matches(w, t, c));
  store::Customer basic{"c", "", {{"plan", "basic"}}, {}, 0};
  EXPECT_FALSE(plays::matches(w, s, basic));
}

TEST(Plays, CooldownCapBudgetAndHoldoutHold) {
  auto st = *store::Store::open(":memory:");
  const std::int64_t t0 = 1000 * day;
  seed(*st, 300, t0);
  auto p = offer_play();
  p.weekly_cap = 100;
  p.budget = 500;  // 50 treated at 10 each, whatever the arm mix
  auto r = plays::run(*st, {p}, {}, label(), t0);
  ASSERT_TRUE(r) << r.error().what();
  const auto all = st->assignments();
  double spent = 0;
  std::size_t treated = 0;
  for (const auto& a : all) spent += a.offer_value, treated += a.arm == "treatment";
  EXPECT_LE(spent, 500.0);
  EXPECT_EQ(treated, 50u);  // the budget stops enrolment when the next treatment is unaffordable
  EXPECT_EQ(r->over_budget + r->enrolled, 300u);
  // Holdout customers carry holdout=true and no action; treated ones the offer.
  auto fields = plays::play_fields(all, {p});
  for (const auto& a : all) {
    const auto& f = fields.at(a.customer_id);
    if (a.arm == "holdout") {
      EXPECT_EQ(f.at("holdout"), "true");
      EXPECT_EQ(f.at("next_action"), "none");
      EXPECT_EQ(f.at("offer"), "");
    } else {
      EXPECT_EQ(f.at("next_action"), "offer");
      EXPECT_EQ(f.at("offer"), "15% off renewal");
    }
  }
  // The weekly cap: without a budget, at most 100 a week.
  auto st2 = *store::Store::open(":memory:");
  seed(*st2, 300, t0);
  p.budget = 0;
  auto capped = plays::run(*st2, {p}, {}, label(), t0);
  EXPECT_EQ(capped->enrolled, 100u);
  EXPECT_EQ(capped->over_cap, 200u);
  EXPECT_EQ(plays::run(*st2, {p}, {}, label(), t0 + 3 * day)->enrolled, 0u);  // same week: the cap is spent
  EXPECT_EQ(plays::run(*st2, {p}, {}, label(), t0 + 8 * day)->enrolled, 100u);  // a new week
}

// Plays run over the book a batch of customers at a time; with more customers than a batch, a
// higher-priority play's cap still takes the first customers in id order, across batches, and a
// lower-priority play takes every other match.
TEST(Plays, BatchesEnrolAsOnePassOfEachPlayOverEveryone) {
  auto st = *store::Store::open(":memory:");
  const std::int64_t t0 = 1000 * day;
  const int n = static_cast<int>(store::kCustomerBatch) * 2 + 500;
  seed(*st, n, t0);
  auto first = offer_play();
  first.priority = 10;
  first.weekly_cap = static_cast<int>(store::kCustomerBatch) + 700;  // spans a batch boundary
  auto second = offer_play();
  second.id = "survey";
  second.kind = "survey";
  second.priority = 1;
  auto r = plays::run(*st, {second, first}, {}, label(), t0);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->enrolled, static_cast<std::size_t>(n));
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("c" + std::to_string(i));
  std::sort(ids.begin(), ids.end());  // the store's order
  std::map<std::string, std::string> play_of;
  for (const auto& a : st->assignments()) play_of[a.customer_id] = a.play_id;
  for (std::size_t i = 0; i < ids.size(); ++i)
    ASSERT_EQ(play_of.at(ids[i]), i < static_cast<std::size_t>(first.weekly_cap) ? "save-offer" : "survey") << ids[i];
}

TEST(Plays, ARestartNeverReassignsAndCooldownsHold) {
  const auto dir = test::temp_dir("cg-plays");
  const auto db = (dir / "s.db").string();
  const std::int64_t t0 = 1000 * day;
  auto p = offer_play();
  std::map<std::string, std::string> arms;
  {
    auto st = *store::Store::open(db);
    seed(*st, 200, t0);
    ASSERT_TRUE(plays::run(*st, {p}, {}, label(), t0));
    for (const auto& a : st->assignments()) arms[a.customer_id] = a.arm;
  }
  EXPECT_EQ(arms.size(), 200u);
  {
    auto st = *store::Store::open(db);  // a restart: a new process on the same file
    auto again = plays::run(*st, {p}, {}, label(), t0 + day);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->enrolled, 0u);  // all are inside their window
    EXPECT_EQ(st->assignments().size(), 200u);
    for (const auto& a : st->assignments()) EXPECT_EQ(a.arm, arms[a.customer_id]);
  }
  {
    // After the 60-day window the outcomes are recorded, and (the 30-day cooldown being over)
    // the customers are enrolled again, each in the arm it had.
    auto st = *store::Store::open(db);
    auto later = plays::run(*st, {p}, {}, label(), t0 + 61 * day);
    ASSERT_TRUE(later);
    EXPECT_EQ(later->outcomes, 200u);
    EXPECT_EQ(later->enrolled, 200u);
    for (const auto& a : st->assignments()) EXPECT_EQ(a.arm, arms[a.customer_id]);
  }
  {
    auto p2 = p;
    p2.cooldown_days = 90;  // longer than the window: no re-enrolment when it ends
    auto st = *store::Store::open(db);
    auto r = plays::run(*st, {p2}, {}, label(), t0 + 122 * day);
    EXPECT_EQ(r->outcomes, 200u);
    EXPECT_EQ(r->enrolled, 0u);
    EXPECT_EQ(r->in_cooldown, 200u);
  }
  std::filesystem::remove_all(dir);
}

TEST(Plays, OutcomesAndLiftFromCrmData) {
  auto st = *store::Store::open(":memory:");
  const std::int64_t t0 = 1000 * day;
  seed(*st, 400, t0, [](int i) { return i % 4 == 0; });  // 25% churned (current label)
  auto p = offer_play();
  p.holdout = 0.5;
  ASSERT_TRUE(plays::run(*st, {p}, {}, label(), t0));
  auto r = plays::run(*st, {p}, {}, label(), t0 + 61 * day);
  EXPECT_EQ(r->outcomes, 400u);
  auto rep = plays::report(st->play_tallies(0), {p});
  ASSERT_EQ(rep.size(), 1u);
  EXPECT_EQ(rep[0].arms.n_treatment + rep[0].arms.n_holdout, 400u);
  EXPECT_EQ(rep[0].arms.churned_treatment + rep[0].arms.churned_holdout, 100u);
  EXPECT_GT(rep[0].cost, 0);
}

// With model.label.renewal_types, a customer churned in a play's window when a renewal closed lost
// by the window's end; one lost after it, or won, was retained. The churned property is not read.
TEST(Plays, ARenewalLostByTheWindowsEndIsAChurn) {
  auto st = *store::Store::open(":memory:");
  const std::int64_t t0 = 1000 * day;
  seed(*st, 40, t0, [](int) { return true; });
  crm::PullBatch renewals;
  for (int i = 0; i < 30; ++i) {
    crm::ActivityRecord a;
    a.id = "r" + std::to_string(i);
    a.kind = "renewal";
    a.customer_id = "c" + std::to_string(i);
    a.occurred_ms = t0 + (i < 10 ? 30 : i < 20 ? 90 : 20) * day;  // lost in the window, lost after it, won
    a.closed_ms = a.occurred_ms;
    a.value = i < 20 ? 0.0 : 1.0;
    renewals.activities.push_back(a);
  }
  ASSERT_TRUE(st->store_batch("renewals", renewals));
  auto p = offer_play();
  p.holdout = 0.5;
  config::LabelConfig l;
  l.renewal_types = {"Renewal"};
  ASSERT_TRUE(plays::run(*st, {p}, {}, l, t0));
  auto r = plays::run(*st, {p}, {}, l, t0 + 61 * day);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcomes, 40u);
  auto rep = plays::report(st->play_tallies(0), {p});
  ASSERT_EQ(rep.size(), 1u);
  EXPECT_EQ(rep[0].arms.churned_treatment + rep[0].arms.churned_holdout, 10u);
}

TEST(PlayMeasure, WilsonAndNewcombeMatchKnownValues) {
  // Wilson 95% for 10/100: (0.0552, 0.1744) (Newcombe 1998, table I style check).
  auto [lo, hi] = plays::wilson(10, 100);
  EXPECT_NEAR(lo, 0.0552, 5e-4);
  EXPECT_NEAR(hi, 0.1744, 5e-4);
  // Newcombe's example 1 (method 10): 56/70 vs 48/80 -> difference 0.2000, CI (0.0524, 0.3339).
  auto c = plays::compare_arms(80, 48, 70, 56);  // treatment 48/80, holdout 56/70
  EXPECT_NEAR(c.lift, 0.2, 1e-9);
  EXPECT_NEAR(c.lift_low, 0.0524, 5e-4);
  EXPECT_NEAR(c.lift_high, 0.3339, 5e-4);
  EXPECT_TRUE(c.enough_data);
  auto small = plays::compare_arms(10, 2, 3, 1);
  EXPECT_FALSE(small.enough_data);
  EXPECT_NE(small.note.find("too few"), std::string::npos);
}

TEST(PlayMeasure, IntervalCoversTheTrueLiftInAtLeast45Of50Populations) {
  // Churn 30% untreated, 24% treated: the true lift is 6 points. 10% holdout, as shipped.
  auto p = offer_play();
  int covered = 0;
  for (int seed_i = 0; seed_i < 50; ++seed_i) {
    std::mt19937 rng(static_cast<std::uint32_t>(1000 + seed_i));
    std::uniform_real_distribution<double> u(0, 1);
    std::size_t nt = 0, kt = 0, nh = 0, kh = 0;
    for (int i = 0; i < 6000; ++i) {
      const bool hold = plays::arm_for("pop" + std::to_string(seed_i), p, "c" + std::to_string(i)) == "holdout";
      const bool churned = u(rng) < (hold ? 0.30 : 0.24);
      if (hold) ++nh, kh += churned;
      else ++nt, kt += churned;
    }
    auto c = plays::compare_arms(nt, kt, nh, kh);
    covered += c.lift_low <= 0.06 && 0.06 <= c.lift_high;
  }
  EXPECT_GE(covered, 45) << "95% intervals covered the true lift in " << covered << " of 50 populations";
}
