#include "daemon/store/migrations.hpp"
#include "daemon/store/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include <gtest/gtest.h>

using namespace cg;

namespace {
std::unique_ptr<store::Store> mem() {
  auto s = store::Store::open(":memory:");
  EXPECT_TRUE(s);
  return std::move(*s);
}
crm::PullBatch page(std::int64_t wm) {
  crm::PullBatch b;
  b.customers.push_back({"1", "Acme", {{"plan", "pro"}}, {{"risk_score", "40"}}, wm});
  b.activities.push_back({"t1", "ticket", "1", 1000, std::nullopt, "Help", "It is broken", {}, wm});
  b.watermark_ms = wm;
  return b;
}
}  // namespace

TEST(Store, MigratesToTheCurrentVersion) {
  auto s = mem();
  EXPECT_EQ(s->version(), store::schema_version);
}

TEST(Store, UpsertsPagesAndAdvancesTheWatermarkOnly) {
  auto s = mem();
  ASSERT_TRUE(s->store_batch("hubspot.customers", page(500)));
  ASSERT_TRUE(s->store_batch("hubspot.customers", page(300)));  // an older page never moves it back
  EXPECT_EQ(s->watermark("hubspot.customers"), 500);
  auto cs = s->customers();
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].properties.at("plan"), "pro");
  EXPECT_EQ(cs[0].churnguard.at("risk_score"), "40");
  EXPECT_EQ(s->counts().activities, 1);
  EXPECT_EQ(s->customer_ids(), std::vector<std::string>{"1"});
}

TEST(Store, ASentimentSurvivesResyncButNotAnEditedText) {
  auto s = mem();
  ASSERT_TRUE(s->store_batch("x", page(1)));
  ASSERT_TRUE(s->set_sentiments({{"ticket:t1", -80}}, "m"));
  ASSERT_TRUE(s->store_batch("x", page(2)));
  EXPECT_TRUE(s->unscored_texts(10).empty());
  auto edited = page(3);
  edited.activities[0].body = "Now it works";
  ASSERT_TRUE(s->store_batch("x", edited));
  ASSERT_EQ(s->unscored_texts(10).size(), 1u);
}

TEST(Store, OutboxRecordsWritesUntilTheCrmConfirms) {
  auto s = mem();
  ASSERT_TRUE(s->enqueue({{"1", {{"risk_score", "40"}}}, {"2", {{"risk_score", "70"}}}}, 10));
  ASSERT_TRUE(s->enqueue({{"1", {{"risk_score", "45"}}}}, 11));  // replaces the unsent entry
  auto p = s->pending_writes(5);
  ASSERT_EQ(p.size(), 2u);
  const auto& one = p[0].customer_id == "1" ? p[0] : p[1];
  EXPECT_EQ(one.fields.at("risk_score"), "45");
  ASSERT_TRUE(s->mark_written({one.id}, 12));
  ASSERT_TRUE(s->mark_failed(p[0].customer_id == "1" ? p[1].id : p[0].id, "VALIDATION_ERROR", false, 12));
  EXPECT_TRUE(s->pending_writes(5).empty());
  EXPECT_EQ(s->written_fields().at("1").at("risk_score"), "45");
  EXPECT_EQ(s->written_fields().count("2"), 0u);
  // The per-customer reads an incremental pass uses agree with the full ones.
  EXPECT_EQ(s->written_fields_of({"1", "2", "9"}), s->written_fields());
  auto c = s->counts();
  EXPECT_EQ(c.outbox_done, 1);
  EXPECT_EQ(c.outbox_failed, 1);
}

TEST(Store, RetryableFailuresStayPendingUntilAttemptsRunOut) {
  auto s = mem();
  ASSERT_TRUE(s->enqueue({{"1", {{"risk_score", "40"}}}}, 10));
  auto id = s->pending_writes(2)[0].id;
  ASSERT_TRUE(s->mark_failed(id, "timeout", true, 11));
  EXPECT_EQ(s->pending_writes(2).size(), 1u);
  ASSERT_TRUE(s->mark_failed(id, "timeout", true, 12));
  EXPECT_TRUE(s->pending_writes(2).empty());
}

TEST(Store, OnlyOneModelIsActive) {
  auto s = mem();
  store::ModelRecord m{0, "v1", 1, "gbtree", "{}", "{}", std::string("\0blob", 5)};
  auto a = s->save_model(m);
  m.version = "v2";
  auto b = s->save_model(m);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(s->activate_model(*a));
  ASSERT_TRUE(s->activate_model(*b));
  EXPECT_EQ(s->active_model()->version, "v2");
  EXPECT_EQ(s->active_model()->blob.size(), 5u);
  EXPECT_FALSE(s->activate_model(999));
}

TEST(Store, UpgradesAnOlderStoreWithoutLosingData) {
  auto path = std::filesystem::temp_directory_path() / "cg-store-upgrade.db";
  std::filesystem::remove(path);
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(store::migrations[0]));
    db.exec("PRAGMA user_version=1");
    db.exec("INSERT INTO customers(id, name, properties) VALUES('7', 'Old Co', '{\"plan\":\"pro\"}')");
    db.exec("INSERT INTO activities(id, kind, customer_id, occurred_ms) VALUES('t1', 'ticket', '7', 5)");
  }
  auto s = store::Store::open(path.string());
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ((*s)->version(), store::schema_version);
  auto cs = (*s)->customers();
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].properties.at("plan"), "pro");
  EXPECT_EQ((*s)->activities().size(), 1u);
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::others_all, std::filesystem::perms::none);
  std::filesystem::remove(path);
}

TEST(Store, RefusesAStoreFromANewerVersion) {
  auto path = std::filesystem::temp_directory_path() / "cg-store-newer.db";
  std::filesystem::remove(path);
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version=99");
  }
  auto s = store::Store::open(path.string());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("newer than this churnguard"), std::string::npos);
  std::filesystem::remove(path);
}
