#include "daemon/sync/sync.hpp"

#include <gtest/gtest.h>

using namespace cg;

namespace {
// Stores `ids` as customers and an active model; returns the model's id.
std::int64_t customers_and_model(store::Store& st, const std::vector<std::string>& ids) {
  crm::PullBatch b;
  for (const auto& id : ids) b.customers.push_back({id, "C" + id, {}, {}, 1});
  b.watermark_ms = 1;
  EXPECT_TRUE(st.store_batch("customers", b));
  store::ModelRecord m;
  m.version = "m1";
  m.algorithm = "gradient_boosting";
  auto id = st.save_model(m);
  EXPECT_TRUE(id && st.activate_model(*id));
  return id ? *id : 0;
}
}  // namespace

TEST(Writeback, DesiredFieldsFollowTheContract) {
  store::Score s{"1", 1795528931123, 3, 0.634, 63, "high", "Contract: Month-to-month; 3 open support tickets"};
  s.sentiment = -41.6;
  s.engagement = 22.4;
  auto f = sync::desired_fields(s, 50, "gbtree-x");
  EXPECT_EQ(f.at("risk_score"), "63");
  EXPECT_EQ(f.at("risk_tier"), "high");
  EXPECT_EQ(f.at("risk_trend"), "13");
  EXPECT_EQ(f.at("sentiment"), "-42");
  EXPECT_EQ(f.at("engagement"), "22");
  EXPECT_EQ(f.at("scored_at"), "2026-11-24T14:02:11.123Z");
  s.sentiment.reset();
  EXPECT_EQ(sync::desired_fields(s, std::nullopt, "m").count("sentiment"), 0u);
  EXPECT_EQ(sync::desired_fields(s, std::nullopt, "m").at("risk_trend"), "0");
}

TEST(Writeback, OnlyMeaningfulChangesCostAnApiCall) {
  std::map<std::string, std::string> last{{"risk_score", "40"}, {"risk_tier", "medium"}, {"risk_reasons", "a; b; c"},
                                          {"scored_at", "t1"}, {"model", "m1"}};
  auto want = last;
  want["scored_at"] = "t2";
  want["model"] = "m2";
  EXPECT_FALSE(sync::worth_writing(want, last, 1)) << "a new timestamp or model alone is not a change";
  want["risk_reasons"] = "c; a; b";
  EXPECT_FALSE(sync::worth_writing(want, last, 1)) << "the same reasons in another order";
  want["risk_reasons"] = "a; b; d";
  EXPECT_TRUE(sync::worth_writing(want, last, 1));
  want = last;
  want["risk_score"] = "42";
  EXPECT_TRUE(sync::worth_writing(want, last, 1));
  EXPECT_FALSE(sync::worth_writing(want, last, 3));
  want = last;
  want["engagement"] = "10";
  EXPECT_TRUE(sync::worth_writing(want, last, 1));
  EXPECT_TRUE(sync::worth_writing(want, {}, 1)) << "never written: always write";
}

// A webhook pass plans writes for the customers it re-scored only; a scheduled pass for all.
TEST(Writeback, AnIncrementalPlanQueuesOnlyTheCustomersGiven) {
  auto opened = store::Store::open(":memory:");
  ASSERT_TRUE(opened);
  auto& st = **opened;
  const auto id = customers_and_model(st, {"1", "2", "3"});
  std::vector<store::Score> scores;
  for (const char* c : {"1", "2", "3"}) scores.push_back({c, 1000, id, 0.7, 70, "critical", "Contract: Month-to-month"});
  ASSERT_TRUE(st.save_scores(scores));
  const config::WritebackConfig cfg;
  const std::set<std::string> only{"2"};
  auto plan = sync::plan_writes(st, cfg, 2000, {}, &only);
  ASSERT_TRUE(plan) << plan.error().what();
  EXPECT_EQ(plan->queued, 1u);
  auto pending = st.pending_writes(5);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].customer_id, "2");
  auto all = sync::plan_writes(st, cfg, 2000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->queued, 3u);
  EXPECT_EQ(st.pending_writes(5).size(), 3u);
}

// A scheduled plan goes a batch of customers at a time: with more than two batches it still
// queues every customer once, with last month's score for the trend, and after they are written,
// nothing.
TEST(Writeback, APlanOverManyBatchesCoversEveryCustomerOnce) {
  auto opened = store::Store::open(":memory:");
  ASSERT_TRUE(opened);
  auto& st = **opened;
  const int n = static_cast<int>(store::kCustomerBatch) * 2 + 123;
  const std::int64_t day = 86'400'000, now = 100 * day;
  std::vector<std::string> ids(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = "c" + std::to_string(i);
  const auto model = customers_and_model(st, ids);
  std::vector<store::Score> before, scores;
  for (const auto& id : ids) {
    before.push_back({id, now - 40 * day, model, 0.4, 40, "medium", "Contract: Month-to-month"});
    scores.push_back({id, now - day, model, 0.7, 70, "critical", "Contract: Month-to-month"});
  }
  ASSERT_TRUE(st.save_scores(before));
  ASSERT_TRUE(st.save_scores(scores));
  const config::WritebackConfig cfg;
  auto plan = sync::plan_writes(st, cfg, now);
  ASSERT_TRUE(plan) << plan.error().what();
  EXPECT_EQ(plan->queued, static_cast<std::size_t>(n));
  const auto pending = st.pending_writes(5);
  ASSERT_EQ(pending.size(), static_cast<std::size_t>(n));
  std::set<std::string> customers;
  std::vector<std::int64_t> entries;
  for (const auto& e : pending) {
    customers.insert(e.customer_id);
    entries.push_back(e.id);
    ASSERT_EQ(e.fields.at("risk_trend"), "30") << e.customer_id;  // 70 now, 40 a month ago
  }
  EXPECT_EQ(customers.size(), static_cast<std::size_t>(n));
  ASSERT_TRUE(st.mark_written(entries, now));
  auto again = sync::plan_writes(st, cfg, now);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->queued, 0u);
  EXPECT_EQ(again->unchanged, static_cast<std::size_t>(n));
}
