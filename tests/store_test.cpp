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

TEST(Store, KeepsEachCustomersOwnerAsTheCrmLastSaidIt) {
  auto s = mem();
  auto b = page(500);
  b.customers[0].owner_id = "71000001";
  b.customers.push_back({"2", "Beta", {}, {}, 500});  // no owner
  ASSERT_TRUE(s->store_batch("hubspot.customers", b));
  auto owners = s->owners_of({"1", "2", "3"});
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(owners.at("1"), "71000001");
  b.customers[0].owner_id = "71000002";  // reassigned in the CRM
  b.customers[1].owner_id = "71000001";
  ASSERT_TRUE(s->store_batch("hubspot.customers", b));
  owners = s->owners_of({"1", "2"});
  EXPECT_EQ(owners.at("1"), "71000002");
  EXPECT_EQ(owners.at("2"), "71000001");
  b.customers[0].owner_id.clear();  // and unassigned
  ASSERT_TRUE(s->store_batch("hubspot.customers", b));
  EXPECT_FALSE(s->owners_of({"1"}).count("1"));
}

// The owners table is the CRM's last listing, whole: someone no longer listed is unknown again.
TEST(Store, OwnersAreTheLastListingReplacedWhole) {
  auto s = mem();
  EXPECT_FALSE(s->owners_refreshed_ms());
  ASSERT_TRUE(s->replace_owners({{"1", "Ana Silva", true}, {"2", "Ben Okafor", false}}, 1000));
  EXPECT_EQ(s->owners_refreshed_ms(), 1000);
  auto d = s->owner_details({"1", "2", "3"});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.at("1").name, "Ana Silva");
  EXPECT_TRUE(d.at("1").active);
  EXPECT_FALSE(d.at("2").active);
  EXPECT_EQ(s->unknown_owners({"1", "3"}), std::set<std::string>{"3"});
  ASSERT_TRUE(s->replace_owners({{"3", "Chloe Martin", true}}, 2000));
  EXPECT_EQ(s->owners_refreshed_ms(), 2000);
  EXPECT_EQ(s->unknown_owners({"1", "2", "3"}), (std::set<std::string>{"1", "2"}));
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

// A value the CRM did not give is stored as NULL and read back as absent, never as 0; one it
// gave, 0 included, comes back as it was.
TEST(Store, AnAbsentValueStaysAbsentAndZeroStaysZero) {
  auto s = mem();
  auto b = page(1);
  b.activities[0].closed_ms = 5000;
  b.activities[0].value = 0.0;
  b.activities.push_back({"t2", "ticket", "1", 2000, std::nullopt, "Open", "Still open", {}, 1});
  ASSERT_TRUE(s->store_batch("x", b));
  auto acts = s->activities();
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[0].closed_ms, std::optional<std::int64_t>(5000));
  EXPECT_EQ(acts[0].value, std::optional<double>(0.0));
  EXPECT_FALSE(acts[1].closed_ms);
  EXPECT_FALSE(acts[1].value);
  EXPECT_FALSE(acts[1].sentiment);
  auto model = s->save_model({0, "v1", 1, "gbtree", "{}", "{}", "blob"});
  ASSERT_TRUE(model);
  store::Score with{"1", 10, *model, 0.4, 40, "medium", "", -20.0, 0.0}, without{"2", 10, *model, 0.1, 10, "low", ""};
  ASSERT_TRUE(s->save_scores({with, without}));
  auto latest = s->latest_scores();
  EXPECT_EQ(latest.at("1").sentiment, std::optional<double>(-20.0));
  EXPECT_EQ(latest.at("1").engagement, std::optional<double>(0.0));
  EXPECT_FALSE(latest.at("2").sentiment);
  EXPECT_FALSE(latest.at("2").engagement);
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
  EXPECT_TRUE((*s)->owners_of({"7"}).empty());  // no owner known until the next sync
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

// The per-batch reads a pass over the whole book uses agree with the whole-table ones.
TEST(Store, ScoreHistoryGivesEachCustomersScoreAtAnyTimeFromItsStart) {
  auto s = mem();
  auto model = s->save_model({0, "v1", 1, "gbtree", "{}", "{}", "blob"});
  ASSERT_TRUE(model);
  auto score = [&](const char* id, std::int64_t ms, int v) { return store::Score{id, ms, *model, v / 100.0, v, "low", "r"}; };
  ASSERT_TRUE(s->save_scores({score("a", 100, 10), score("b", 250, 50)}));
  ASSERT_TRUE(s->save_scores({score("a", 200, 20)}));
  ASSERT_TRUE(s->save_scores({score("a", 300, 30)}));
  const auto h = s->score_history_of({"a", "b", "c"}, 150);
  ASSERT_EQ(h.size(), 2u);  // c has no scores
  ASSERT_EQ(h.at("a").size(), 3u);  // the one in force at 150, and both later ones
  EXPECT_EQ(h.at("a").front().scored_ms, 100);
  EXPECT_EQ(s->score_history_of({"a"}, 200).at("a").size(), 2u);
  EXPECT_EQ(s->score_history_of({"a"}, 1000).at("a").size(), 1u);
  for (std::int64_t at : {150, 200, 249, 250, 299, 300, 5000}) {
    const auto snap = s->score_snapshot(at);
    for (const char* id : {"a", "b"}) {
      const auto* got = store::score_at(h.at(id), at);
      ASSERT_EQ(got != nullptr, snap.count(id) == 1) << id << " at " << at;
      if (got) EXPECT_EQ(got->score, snap.at(id).score) << id << " at " << at;
    }
  }
  EXPECT_EQ(store::score_at(h.at("b"), 200), nullptr);  // not yet scored
}

TEST(Store, PendingWritesComeInPagesByIdAndAFailedOneIsNotReadTwice) {
  auto s = mem();
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> w;
  for (int i = 0; i < 5; ++i) w.push_back({"c" + std::to_string(i), {{"risk_score", std::to_string(i)}}});
  ASSERT_TRUE(s->enqueue(w, 10));
  std::vector<std::string> seen;
  for (std::int64_t after = 0;;) {
    auto page = s->pending_writes(5, after, 2);
    if (page.empty()) break;
    EXPECT_LE(page.size(), 2u);
    after = page.back().id;
    // A retryable failure leaves the entry pending, behind the cursor.
    ASSERT_TRUE(s->mark_failed(page.front().id, "timeout", true, 11));
    for (const auto& e : page) seen.push_back(e.customer_id);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
  EXPECT_EQ(s->pending_writes(5).size(), 5u);  // all still pending for the next flush
}

TEST(Store, PlayTalliesAndOpenEnrolments) {
  auto s = mem();
  auto add = [&](const char* play, const char* customer, const char* arm, std::int64_t at, std::int64_t ends, double value) {
    store::PlayAssignment a;
    a.play_id = play, a.customer_id = customer, a.arm = arm, a.assigned_ms = at, a.ends_ms = ends, a.offer_value = value;
    auto id = s->add_assignment(a);
    EXPECT_TRUE(id);
    return *id;
  };
  const auto open = add("offer", "c1", "treatment", 100, 1000, 10);
  const auto ended = add("offer", "c2", "treatment", 50, 90, 10);
  add("offer", "c3", "holdout", 100, 1000, 0);
  add("survey", "c4", "treatment", 10, 1000, 0);
  ASSERT_TRUE(s->set_outcome(ended, "churned", 95));
  ASSERT_TRUE(s->record_action(open, "task", true, "T1", 101));
  ASSERT_TRUE(s->record_action(ended, "task", true, "T2", 51));
  std::size_t n = 0, since = 0, churned = 0;
  double value = 0;
  for (const auto& t : s->play_tallies(60)) {
    if (t.play_id != "offer") continue;
    n += t.n, since += t.since, value += t.offer_value;
    if (t.outcome == "churned") churned += t.n;
  }
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(since, 2u);  // enrolled after 60
  EXPECT_EQ(churned, 1u);
  EXPECT_DOUBLE_EQ(value, 20);
  const auto treatments = s->open_treatments(200);
  ASSERT_EQ(treatments.size(), 2u);  // c1 and c4: c2's window ended, c3 is held out
  EXPECT_EQ(treatments[0].customer_id, "c1");
  EXPECT_EQ(s->done_actions(200), (std::set<std::pair<std::int64_t, std::string>>{{open, "task"}}));
  EXPECT_EQ(s->assignments_of({"c2", "c3"}).size(), 2u);
}
