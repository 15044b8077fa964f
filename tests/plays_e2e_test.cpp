// Retention plays end to end on the HubSpot simulator: treated customers get the next action
// and offer fields and a CRM task, holdout customers the holdout flag and nothing else, a
// signed webhook per treated customer, and a second run repeats none of it.
#include "daemon/app/app.hpp"
#include "daemon/app/dashboard.hpp"
#include "daemon/app/play_webhooks.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "tests/support/sim_server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

using namespace cg;

namespace {
struct Receiver {
  std::mutex m;
  std::vector<http::Request> got;
  test::TlsLoopback tls{[this](http::Request r) -> boost::asio::awaitable<http::Response> {
                          {
                            std::lock_guard lock(m);
                            got.push_back(r);
                          }
                          co_return http::make_response(r, 204, "");
                        },
                        {"localhost"}, {"127.0.0.1"}};
};

// The daemon's config against the simulator, with the given plays (and settings) appended.
config::Config with_plays(const test::SimServer& s, const std::filesystem::path& dir, const std::string& plays) {
  ::setenv("CG_PE_TOKEN", test::sim_token, 1);
  std::string yaml = "crm: hubspot\nstate_dir: " + dir.string() + "\nhubspot:\n  base_url: " + s.base_url() +
                     "\n  ca_file: " + s.ca_file() + "\n  token: {env: CG_PE_TOKEN}\n  search_requests_per_second: 80\n"
                     "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
                     "model:\n  label: {property: churned}\n  numeric_properties: [tenure_months, monthly_charges]\n"
                     "  categorical_properties: [contract_type]\n  rounds: 60\n" + plays;
  auto cfg = config::parse_config(yaml, "plays.yaml");
  if (!cfg) throw std::runtime_error(cfg.error().what());
  return *cfg;
}

// A full pass (sync, train, score, plays, write-back), and what it logged.
struct Pass {
  Result<app::PipelineReport> report;
  std::string logs;
};
Pass full_pass(app::App& app, boost::asio::io_context& io) {
  testing::internal::CaptureStderr();
  auto r = app::run_sync(io, app.run_pipeline(true, true));
  return {std::move(r), testing::internal::GetCapturedStderr()};
}
}  // namespace

TEST(PlaysEndToEnd, TreatedGetActionsHoldoutsGetNoneAndNothingRepeats) {
  test::SimServer s;
  const int n = 300;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(n, 2), SystemClock{}.now_ms()));
  Receiver hook;
  auto dir = test::temp_dir("cg-plays-e2e");
  ::setenv("CG_PE_SECRET", "play-webhook-secret-0123456789", 1);
  auto cfg = with_plays(s, dir,
                        "plays:\n  - id: save-offer\n    kind: offer\n    when: {tiers: [medium, high, critical]}\n"
                        "    offer: {text: 15% off renewal, value: 10}\n    holdout: 0.2\n    call_webhook: true\n"
                        "plays_settings:\n  salt: e2e\n  webhook_url: " + hook.tls.base_url() + "/hooks/churnguard\n"
                        "  webhook_secret: {env: CG_PE_SECRET}\n  webhook_ca_file: " + hook.tls.ca_file() + "\n");
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  auto [first, logs] = full_pass(**app, io);
  ASSERT_TRUE(first) << first.error().what() << logs;
  const auto& p = first->plays;
  ASSERT_GT(p.enrolled, 20u);
  ASSERT_GT(p.holdout, 0u);
  EXPECT_EQ(first->tasks_created, p.treatment);
  EXPECT_EQ(first->webhooks_sent, p.treatment);
  EXPECT_EQ(s.sim().count("tasks"), p.treatment);
  std::size_t treated = 0, held = 0;
  for (const auto& a : (*app)->store().assignments()) {
    auto action = s.sim().property("companies", a.customer_id, "churnguard_next_action");
    auto holdout = s.sim().property("companies", a.customer_id, "churnguard_holdout");
    auto offer = s.sim().property("companies", a.customer_id, "churnguard_offer");
    ASSERT_TRUE(action && holdout) << a.customer_id;
    if (a.arm == "treatment") {
      ++treated;
      EXPECT_EQ(*action, "offer");
      EXPECT_EQ(*holdout, "false");
      EXPECT_EQ(offer.value_or(""), "15% off renewal");
    } else {
      ++held;
      EXPECT_EQ(*action, "none");
      EXPECT_EQ(*holdout, "true");
    }
  }
  EXPECT_EQ(treated, p.treatment);
  EXPECT_EQ(held, p.holdout);
  {
    std::lock_guard lock(hook.m);
    ASSERT_EQ(hook.got.size(), p.treatment);
    for (const auto& r : hook.got) {
      const auto ts = std::stoll(std::string(r["X-ChurnGuard-Timestamp"]));
      EXPECT_EQ(std::string(r["X-ChurnGuard-Signature"]),
                "v1=" + app::play_webhook_signature("play-webhook-secret-0123456789", ts, r.body()));
      auto body = boost::json::parse(r.body()).as_object();
      EXPECT_EQ(body.at("play"), "save-offer");
      EXPECT_EQ(std::string(r["X-ChurnGuard-Delivery"]), std::to_string(body.at("assignment_id").as_int64()));
    }
  }
  EXPECT_EQ(logs.find("play-webhook-secret"), std::string::npos) << "the signing secret reached the log";

  auto second = app::run_sync(io, (*app)->run_pipeline(false, false));
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(second->plays.enrolled, 0u);
  EXPECT_EQ(second->tasks_created, 0u);
  EXPECT_EQ(second->webhooks_sent, 0u);
  EXPECT_EQ(second->flushed.written, 0u);
  EXPECT_EQ(s.sim().count("tasks"), p.treatment);
  std::filesystem::remove_all(dir);
}

// A play's task lands in the queue of whoever owns the company in HubSpot; an owner HubSpot no
// longer accepts (deactivated) does not cost the customer its task: it is created unassigned.
// A pass of the check-in play on a portal whose records have owners (test::with_owners: two
// active, one deactivated, some records without), and what it did.
struct OwnedPortal {
  test::SimServer s;
  std::filesystem::path dir = test::temp_dir("cg-plays-owner");
  boost::asio::io_context io;
  std::unique_ptr<app::App> app;
  Pass pass;
  explicit OwnedPortal(int n, const std::optional<sim::Fault>& fault = std::nullopt) {
    if (!s.sim().load_seed(test::with_owners(test::make_seed(n, 1)), SystemClock{}.now_ms())) throw std::runtime_error("seed");
    if (fault) s.sim().add_fault(*fault);
    auto cfg = with_plays(s, dir,
                          "plays:\n  - id: check-in\n    kind: proactive_support\n    when: {min_score: 0}\n    holdout: 0.1\n"
                          "plays_settings:\n  salt: owners\n");
    auto a = app::App::create(cfg, io);
    if (!a) throw std::runtime_error(a.error().what());
    app = std::move(*a);
    pass = full_pass(*app, io);
  }
  ~OwnedPortal() { std::filesystem::remove_all(dir); }
  // Each task went to its company's owner, or unassigned where that owner is deactivated.
  std::size_t check_tasks() {
    const auto tasks = s.sim().by_company("tasks", "hubspot_owner_id");
    EXPECT_EQ(s.sim().count("tasks"), pass.report->plays.treatment);
    std::map<std::string, int> per_owner;
    for (const auto& [company, owner] : tasks) {
      const auto expected = test::seed_owner(std::stoi(company) - 100000);
      EXPECT_EQ(owner, expected == "71000003" ? "" : expected) << "task for company " << company;
      ++per_owner[expected];
    }
    EXPECT_EQ(per_owner.size(), 4u);  // two active owners, the deactivated one, and no owner at all
    return tasks.size();
  }
};

TEST(PlaysEndToEnd, TasksGoToTheRecordOwnerAndADeactivatedOwnersAreCreatedUnassigned) {
  OwnedPortal p(120);
  const auto& [r, logs] = p.pass;
  ASSERT_TRUE(r) << r.error().what() << logs;
  ASSERT_GT(r->plays.treatment, 40u);
  EXPECT_EQ(r->tasks_created, r->plays.treatment);
  EXPECT_EQ(p.check_tasks(), r->plays.treatment);
  // The sync listed the owners, so a deactivated owner's tasks were created unassigned at once:
  // none was refused first.
  EXPECT_NE(logs.find("their record's owner is deactivated"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("refused with its record's owner"), std::string::npos) << logs;
  // The store keeps the owner the CRM holds, deactivated or not.
  EXPECT_EQ(p.app->store().owners_of({"100002"}).at("100002"), "71000003");
  EXPECT_TRUE(p.app->store().owners_of({"100003"}).empty());
  // The dashboard names each risky customer's owner, and marks the deactivated one.
  const auto dash = boost::json::parse(app::dashboard_json(*p.app, SystemClock{}.now_ms()));
  const auto& top = dash.at("top").as_array();
  ASSERT_GE(top.size(), 10u);
  std::set<std::string> seen;
  for (const auto& c : top) {
    const auto i = std::stoi(std::string(c.at("id").as_string())) - 100000;
    const auto& owner = c.at("owner");
    if (test::seed_owner(i).empty()) {
      EXPECT_TRUE(owner.is_null()) << c;
      continue;
    }
    const char* names[] = {"Ana Owner", "Ben Owner", "Cy Owner"};
    EXPECT_EQ(owner.at("id").as_string(), test::seed_owner(i)) << c;
    EXPECT_EQ(owner.at("name").as_string(), names[i % 4]) << c;
    EXPECT_EQ(owner.at("active").as_bool(), i % 4 != 2) << c;
    seen.insert(test::seed_owner(i));
  }
  EXPECT_GE(seen.size(), 2u);
}

// Where the owners cannot be listed (the app lacks the owners scope), a deactivated owner is
// only found out by the CRM's refusal: that task is created again, unassigned.
TEST(PlaysEndToEnd, WithoutTheOwnerListARefusedOwnersTaskIsCreatedAgainUnassigned) {
  OwnedPortal p(120, sim::Fault{"/owners", 403, "", 1,
                                R"({"status":"error","message":"This app hasn't been granted all required scopes to make this call.",)"
                                R"("correlationId":"9a1e","category":"MISSING_SCOPES"})"});
  const auto& [r, logs] = p.pass;
  ASSERT_TRUE(r) << r.error().what() << logs;
  EXPECT_NE(logs.find("listing hubspot owners"), std::string::npos) << logs;
  EXPECT_EQ(r->tasks_created, r->plays.treatment);
  EXPECT_EQ(p.check_tasks(), r->plays.treatment);
  EXPECT_NE(logs.find("refused with its record's owner"), std::string::npos) << logs;
  // Names the CRM did not give are not made up: the dashboard shows the owner's id alone.
  const auto dash = boost::json::parse(app::dashboard_json(*p.app, SystemClock{}.now_ms()));
  for (const auto& c : dash.at("top").as_array())
    if (!c.at("owner").is_null()) EXPECT_TRUE(c.at("owner").at("name").is_null()) << c;
}
