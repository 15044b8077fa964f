// The whole pipeline against the simulator: sync -> sentiment -> train -> score -> write-back.
#include "daemon/app/app.hpp"
#include "daemon/app/dashboard.hpp"
#include "daemon/app/cli.hpp"
#include "daemon/app/routes.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/features/features.hpp"
#include "tests/support/sim_server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

using namespace cg;

namespace {

config::Config make_config(const test::SimServer& s, const std::filesystem::path& dir,
                           const std::string& label = "{property: churned}") {
  ::setenv("CG_E2E_TOKEN", test::sim_token, 1);
  std::string yaml = "crm: hubspot\nstate_dir: " + dir.string() + "\nhubspot:\n  base_url: " + s.base_url() +
                     "\n  ca_file: " + s.ca_file() + "\n  token: {env: CG_E2E_TOKEN}\n  search_requests_per_second: 80\n  max_attempts: 3\n  retry_base_ms: 5\n"
                     "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
                     "model:\n  label: " + label + "\n  numeric_properties: [tenure_months, monthly_charges]\n"
                     "  categorical_properties: [contract_type]\n  rounds: 60\n"
                     "  derived_properties: [{name: charge_per_month, ratio: [monthly_charges, tenure_months]}]\n"
                     "  reason_phrases: {open_tickets: '{value} open support tickets', sentiment_mean_90d: 'Support sentiment {value}'}\n";
  std::ofstream(dir / "e2e.yaml") << yaml;  // for the CLI
  auto c = config::parse_config(yaml, "e2e.yaml");
  EXPECT_TRUE(c) << (c ? "" : c.error().what());
  return *c;
}

}  // namespace

TEST(EndToEnd, FirstRunWritesEveryCustomerSecondRunWritesNothing) {
  test::SimServer s;
  const int n = 600;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(n, 2), SystemClock{}.now_ms()));
  auto dir = test::temp_dir("cg-e2e");
  auto cfg = make_config(s, dir);
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app) << app.error().what();

  testing::internal::CaptureStderr();
  auto first = app::run_sync(io, (*app)->run_pipeline(true, true));
  auto logs = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ(first->pulled.customers, static_cast<std::size_t>(n));
  EXPECT_EQ(first->texts_scored, static_cast<std::size_t>(2 * n));
  ASSERT_TRUE(first->trained);
  EXPECT_GT(first->trained->roc_auc, 0.9);  // the seed's churners have negative, open tickets
  EXPECT_EQ(first->scored.scored, static_cast<std::size_t>(n));
  // The derived property is a column of the stored model, so scoring computes it as training did.
  auto active = (*app)->store().active_model();
  ASSERT_TRUE(active);
  auto spec = features::FeatureSpec::from_json(active->features_json);
  ASSERT_TRUE(spec) << spec.error().what();
  ASSERT_EQ(spec->derived.size(), 1u);
  EXPECT_EQ(spec->derived[0].name, "charge_per_month");
  EXPECT_EQ(first->trained->features, spec->column_names().size());
  EXPECT_EQ(first->flushed.written, static_cast<std::size_t>(n));
  EXPECT_LE(first->flushed.calls, static_cast<std::size_t>(std::ceil(n / 100.0)));
  EXPECT_EQ(s.sim().calls().at("POST /crm/v3/objects/companies/batch/update"), std::ceil(n / 100.0));
  EXPECT_EQ(s.sim().records_updated(), n);
  EXPECT_EQ(logs.find(test::sim_token), std::string::npos) << "the token reached the logs";

  // What the CRM holds is what we scored.
  auto scores = (*app)->store().latest_scores();
  const auto& one = scores.at("100000");  // a churner
  EXPECT_EQ(s.sim().property("companies", "100000", "churnguard_risk_score"), std::to_string(one.score));
  EXPECT_EQ(s.sim().property("companies", "100000", "churnguard_risk_tier"), one.tier);
  EXPECT_GE(one.score, 50);
  // Churners in the seed have open, negative tickets: behaviour must be among the reasons.
  EXPECT_TRUE(one.reasons.find("ticket") != std::string::npos || one.reasons.find("entiment") != std::string::npos)
      << one.reasons;
  auto sentiment = s.sim().property("companies", "100000", "churnguard_sentiment");
  ASSERT_TRUE(sentiment);
  EXPECT_LT(std::stoi(*sentiment), 0);

  auto second = app::run_sync(io, (*app)->run_pipeline(false, std::nullopt));
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_FALSE(second->trained) << "a fresh model is not retrained without cause";
  EXPECT_EQ(second->flushed.written, 0u);
  EXPECT_EQ(second->flushed.calls, 0u);
  EXPECT_EQ(second->planned.unchanged, static_cast<std::size_t>(n));
  EXPECT_EQ(s.sim().records_updated(), n);

  // The daemon's health endpoint answers from the same app.
  auto handler = app::make_routes(**app);
  http::Request req{boost::beast::http::verb::get, "/healthz", 11};
  auto res = app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> { co_return co_await handler(req); }());
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_NE(res->body().find("\"ok\""), std::string::npos);

  // The model report and the drift gauges are served too.
  auto get = [&](const char* target) {
    http::Request r{boost::beast::http::verb::get, target, 11};
    return *app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> { co_return co_await handler(r); }());
  };
  auto report = get("/models/active/report");
  EXPECT_EQ(report.result_int(), 200u);
  EXPECT_NE(report.body().find("Calibration (test)"), std::string::npos);
  EXPECT_NE(get("/metrics").body().find("churnguard_feature_psi{feature=\"open_tickets\"}"), std::string::npos);

  // The status page needs no token, so it names no customer; the dashboard's one pass over the
  // book (behind the token) finds the riskiest and counts every tier.
  auto status = get("/status");
  EXPECT_EQ(status.result_int(), 200u);
  EXPECT_NE(status.body().find("Risk tiers"), std::string::npos);
  EXPECT_EQ(status.body().find(one.reasons), std::string::npos);
  EXPECT_EQ(status.body().find("100000"), std::string::npos);
  const auto book = app::summarise_book(**app, SystemClock{}.now_ms(), 3);
  ASSERT_EQ(book.top.size(), 3u);
  double riskiest = 0;
  for (const auto& [id, sc] : scores) riskiest = std::max(riskiest, sc.probability);
  EXPECT_EQ(book.top.front().score.probability, riskiest);
  EXPECT_GE(book.top.front().score.probability, book.top.back().score.probability);
  std::size_t tiered = 0;
  for (const auto& [tier, k] : book.tiers) tiered += k;
  EXPECT_EQ(tiered, static_cast<std::size_t>(n));
  EXPECT_EQ(book.customers, static_cast<std::size_t>(n));

  // The registry from the command line.
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"churnguard", "-c", (dir / "e2e.yaml").string()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int rc = app::run_cli(static_cast<int>(argv.size()), argv.data());
    auto out = testing::internal::GetCapturedStdout() + testing::internal::GetCapturedStderr();
    return std::pair{rc, out};
  };
  auto [rc_list, listed] = cli({"models", "list"});
  EXPECT_EQ(rc_list, 0);
  EXPECT_NE(listed.find(first->trained->version), std::string::npos);
  EXPECT_NE(listed.find("*active"), std::string::npos);
  auto [rc_show, shown] = cli({"models", "show"});
  EXPECT_EQ(rc_show, 0);
  EXPECT_NE(shown.find("cross_sectional"), std::string::npos);
  auto [rc_rep, rep] = cli({"models", "report", "--out", (dir / "report.html").string()});
  EXPECT_EQ(rc_rep, 0) << rep;
  EXPECT_GT(std::filesystem::file_size(dir / "report.html"), 5000u);
  auto [rc_bad, bad] = cli({"models", "activate", "no-such-model"});
  EXPECT_NE(rc_bad, 0);
  EXPECT_NE(bad.find("no-such-model"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(EndToEnd, AFailedWriteStaysQueuedAndIsSentNextRun) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(150, 1), SystemClock{}.now_ms()));
  auto dir = test::temp_dir("cg-e2e");
  auto cfg = make_config(s, dir);
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app);
  // The first batch update fails on every retry (max_attempts is 3).
  s.sim().add_fault({"/batch/update", 503, "", 3});
  auto first = app::run_sync(io, (*app)->run_pipeline(true, true));
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().kind, ErrorKind::unavailable);
  EXPECT_EQ((*app)->store().counts().outbox_pending, 150);
  EXPECT_EQ(s.sim().records_updated(), 0);
  auto retry = app::run_sync(io, (*app)->write_back());
  ASSERT_TRUE(retry) << retry.error().what();
  EXPECT_EQ(retry->written, 150u);
  EXPECT_EQ((*app)->store().counts().outbox_pending, 0);
  EXPECT_EQ(s.sim().records_updated(), 150);
  std::filesystem::remove_all(dir);
}

namespace {

// A first full pass with training against the simulator under `label`, checked by `check` while
// the app is up; the pass must train a time-aware model and score every one of `customers`.
void time_aware_pass(const test::SimServer& s, const std::string& label, std::size_t customers,
                     const std::function<void(const app::PipelineReport&, app::App&)>& check) {
  auto dir = test::temp_dir("cg-e2e");
  auto cfg = make_config(s, dir, label);
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  auto r = app::run_sync(io, (*app)->run_pipeline(true, true));
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_TRUE(r->trained);
  EXPECT_TRUE(r->trained->time_aware) << r->trained->note;
  EXPECT_EQ(r->scored.scored, customers);
  check(*r, **app);
  std::filesystem::remove_all(dir);
}

}  // namespace

// A time-aware label on HubSpot: the churn date property is pulled because the label names it
// (it used to be pulled only when also listed in hubspot.properties, so no customer had churned).
TEST(EndToEnd, AChurnDatePropertyIsPulledAndMakesTrainingTimeAware) {
  test::SimServer s;
  const auto now = SystemClock{}.now_ms();
  auto seed = boost::json::parse(test::make_seed(300, 1)).as_object();
  seed["properties"].as_object()["companies"].as_array().push_back(boost::json::object{
      {"name", "churned_on"}, {"label", "Churned on"}, {"type", "datetime"}, {"fieldType", "date"}, {"groupName", "customerprofile"}});
  int i = 0;
  for (auto& c : seed["companies"].as_array()) {
    auto& props = c.as_object()["properties"].as_object();
    if (props["churned"] == "true") props["churned_on"] = format_iso8601(now - (100 + (i * 37) % 300) * ms_per_day);
    ++i;
  }
  ASSERT_TRUE(s.sim().load_seed(boost::json::serialize(seed), now));
  time_aware_pass(s, "{property: churned, churn_date_property: churned_on}", 300, [](const auto& r, app::App&) {
    EXPECT_GT(r.trained->positives, 250u);  // 100 churners, each in up to three snapshots' horizons
  });
}

// The same with renewal deals as the signal: deals are searched, associated to their companies,
// and the first lost renewal dates each churn.
TEST(EndToEnd, LostRenewalDealsAreTheTimeAwareLabel) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::with_renewals(test::make_seed(300, 1)), SystemClock{}.now_ms()));
  time_aware_pass(s, "{renewal_types: [existingbusiness]}", 300, [&](const auto& r, app::App& app) {
    EXPECT_NE(r.trained->note.find("first renewal (existingbusiness) that closed lost"), std::string::npos);
    EXPECT_EQ(app.store().lost_renewals().size(), 100u);
    EXPECT_EQ(r.pulled.activities, 300u + 300u);  // a ticket and a renewal each; newbusiness deals are left out
    // Two search pages of 200 deals; each page's renewals (167 and 133 of them) read in calls of 100.
    EXPECT_EQ(s.sim().calls().at("POST /crm/v4/associations/deals/companies/batch/read"), 4);
  });
}
