// The Salesforce path: pure mapping, the OAuth JWT, and the whole pipeline against the org
// simulator (same tests as HubSpot's: first run writes all, a re-run writes nothing, the call
// count is the CRM's minimum), plus session expiry mid-sync, per-record and Bulk row failures,
// limit exhaustion waited out, and field provisioning with field-level security.
#include "connectors/api/fields.hpp"
#include "connectors/salesforce/auth.hpp"
#include "connectors/salesforce/mapping.hpp"
#include "daemon/app/app.hpp"
#include "daemon/app/routes.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "tests/support/sim_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <future>
#include <thread>

using namespace cg;
namespace json = boost::json;

TEST(SalesforceAuth, JwtIsRs256WithTheClaimsSalesforceChecks) {
  auto app = sim::make_app_signing_key();
  ASSERT_TRUE(app);
  salesforce::JwtClaims c{"3MVG9key", "user@example.com", "https://login.salesforce.com", 1'900'000'000};
  auto jwt = salesforce::sign_jwt(c, app->key_pem);
  ASSERT_TRUE(jwt) << jwt.error().what();
  EXPECT_EQ(jwt->substr(0, jwt->find('.')), salesforce::base64url(R"({"alg":"RS256"})"));
  auto back = salesforce::verify_jwt(*jwt, app->cert_pem);
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->iss, "3MVG9key");
  EXPECT_EQ(back->sub, "user@example.com");
  EXPECT_EQ(back->aud, "https://login.salesforce.com");
  EXPECT_EQ(back->exp_s, 1'900'000'000);
  auto tampered = *jwt;
  tampered[tampered.find('.') + 3] ^= 1;
  EXPECT_FALSE(salesforce::verify_jwt(tampered, app->cert_pem));
  auto other = sim::make_app_signing_key();
  EXPECT_FALSE(salesforce::verify_jwt(*jwt, other->cert_pem));
  EXPECT_FALSE(salesforce::sign_jwt(c, "not a key"));
  // The OAuth error shape is named, not dumped.
  auto err = salesforce::parse_token_response(400, R"({"error":"invalid_grant","error_description":"audience is invalid"})");
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().kind, ErrorKind::auth);
  EXPECT_NE(err.error().message.find("audience is invalid"), std::string::npos);
  EXPECT_EQ(salesforce::form_encode("a b&c=d"), "a+b%26c%3Dd");
}

TEST(SalesforceMapping, RecordsErrorsAndLimits) {
  EXPECT_EQ(salesforce::property_name("Tenure_Months__c"), "tenure_months");
  EXPECT_EQ(salesforce::property_name("Industry"), "industry");
  EXPECT_EQ(*salesforce::parse_limit_info("api-usage=18/15000; api-bursts=1/750"), (std::pair<std::int64_t, std::int64_t>{18, 15000}));
  EXPECT_FALSE(salesforce::parse_limit_info("garbage"));
  EXPECT_EQ(salesforce::describe_error(400, R"([{"message":"unexpected token: FROM","errorCode":"MALFORMED_QUERY"}])"),
            "HTTP 400 MALFORMED_QUERY: unexpected token: FROM");
  EXPECT_EQ(salesforce::error_code(R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])"),
            "REQUEST_LIMIT_EXCEEDED");
  auto page = salesforce::parse_query_page(
      R"({"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01g-2","records":[{"attributes":{"type":"Account"},"Id":"001A","Name":"Acme","OwnerId":"005A","Tenure_Months__c":12.0,"ChurnGuard_Risk_Score__c":42.0,"ChurnGuard_Holdout__c":false,"ChurnGuard_Scored_At__c":"2026-11-24T14:02:11.000+0000","SystemModstamp":"2026-11-24T14:02:11.000+0000","IsDeleted":false}]})");
  ASSERT_TRUE(page);
  EXPECT_EQ(*page->next_url, "/services/data/v62.0/query/01g-2");
  auto c = salesforce::to_customer(page->records[0].as_object(), "Name");
  EXPECT_EQ(c.id, "001A");
  EXPECT_EQ(c.properties.at("tenure_months"), "12");
  EXPECT_EQ(c.owner_id, "005A");  // the record's owner, not a model property
  EXPECT_EQ(c.properties.count("owner_id"), 0u);
  EXPECT_EQ(c.churnguard.at("risk_score"), "42");
  EXPECT_EQ(c.churnguard.at("holdout"), "false");
  EXPECT_EQ(c.churnguard.at("scored_at"), "2026-11-24T14:02:11.000Z");  // as we write it
  EXPECT_EQ(c.modified_ms, *parse_timestamp("2026-11-24T14:02:11Z"));
  EXPECT_FALSE(salesforce::parse_query_page(R"({"done":false,"records":[]})"));  // not done, nowhere to go
  EXPECT_FALSE(salesforce::parse_query_page("[]"));

  std::vector<crm::FieldUpdate> ups{{"001A", {{"risk_score", "42"}, {"holdout", "true"}, {"risk_reasons", std::string(1200, 'x')}}},
                                    {"001B", {{"risk_tier", "high"}, {"offer", ""}}}};
  auto body = salesforce::collection_update_body("Account", ups);
  ASSERT_TRUE(body);
  const auto& r0 = body->at("records").as_array()[0].as_object();
  EXPECT_EQ(r0.at("attributes").at("type"), "Account");
  EXPECT_TRUE(r0.at("ChurnGuard_Risk_Score__c").is_double());
  EXPECT_EQ(r0.at("ChurnGuard_Holdout__c"), true);
  EXPECT_EQ(r0.at("ChurnGuard_Risk_Reasons__c").as_string().size(), 1000u);  // cut to the field's length
  EXPECT_TRUE(body->at("records").as_array()[1].at("ChurnGuard_Offer__c").is_null());
  EXPECT_FALSE(body->at("allOrNone").as_bool());
  auto res = salesforce::parse_collection_results(
      R"([{"id":"001A","success":true,"errors":[]},{"success":false,"errors":[{"statusCode":"UNABLE_TO_LOCK_ROW","message":"locked","fields":[]}]}])",
      ups);
  ASSERT_EQ(res.succeeded, std::vector<std::string>{"001A"});
  ASSERT_EQ(res.failed.size(), 1u);
  EXPECT_TRUE(res.failed[0].retryable);
  EXPECT_NE(res.failed[0].message.find("UNABLE_TO_LOCK_ROW"), std::string::npos);
  auto csv = salesforce::bulk_update_csv(ups);
  ASSERT_TRUE(csv);
  auto rows = cg::parse_csv(*csv);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0][0], "Id");
  auto offer = std::find(rows[0].begin(), rows[0].end(), "ChurnGuard_Offer__c") - rows[0].begin();
  EXPECT_EQ(rows[2][offer], "#N/A");  // an emptied offer is Bulk's null
  EXPECT_EQ(rows[1][offer], "");      // not in that update: left as it is
}

namespace {

struct Org {
  test::SfSimServer s;
  std::filesystem::path dir = test::temp_dir("cg-sf");
  explicit Org(sim::SalesforceSimOptions o = {}, int customers = 300, bool owners = false, bool renewals = false)
      : s(std::move(o)) {
    auto seed = test::make_seed(customers, 2);
    if (renewals) seed = test::with_renewals(seed);
    auto seeded = s.sim().load_seed(owners ? test::with_owners(seed) : seed, SystemClock{}.now_ms());
    if (!seeded) throw std::runtime_error(seeded.error().what());
  }
  ~Org() { std::filesystem::remove_all(dir); }
  config::Config config(const std::string& extra = "", const std::string& label = "{property: churned}") {
    std::string yaml = "crm: salesforce\nstate_dir: " + dir.string() + "\nsalesforce:\n  login_url: " + s.base_url() +
                       "\n  ca_file: " + s.ca_file() + "\n  client_id: 3MVG9sim.churnguard\n  username: integration@churnguard.example\n"
                       "  private_key: {file: " + s.key_file() + "}\n"
                       "  fields: [Tenure_Months__c, Monthly_Charges__c, Contract_Type__c, Churned__c]\n"
                       "  retry_base_ms: 5\n  limit_pause_ms: 50\n  bulk_poll_ms: 5\n" + extra +
                       "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
                       "model:\n  label: " + label + "\n  numeric_properties: [tenure_months, monthly_charges]\n"
                       "  categorical_properties: [contract_type]\n  rounds: 60\n";
    auto c = config::parse_config(yaml, "sf.yaml");
    if (!c) throw std::runtime_error(c.error().what());
    return *c;
  }
};

// A daemon against the org: its io_context and app, and a pipeline pass that keeps what it logged.
struct Daemon {
  boost::asio::io_context io;
  std::unique_ptr<app::App> app;
  std::string logs;
  explicit Daemon(const config::Config& cfg) {
    auto a = app::App::create(cfg, io);
    if (!a) throw std::runtime_error(a.error().what());
    app = std::move(*a);
  }
  Result<app::PipelineReport> pass(bool full = true, std::optional<bool> train = true) {
    testing::internal::CaptureStderr();
    auto r = app::run_sync(io, app->run_pipeline(full, train));
    logs = testing::internal::GetCapturedStderr();
    return r;
  }
};

}  // namespace

TEST(SalesforceEndToEnd, FirstRunWritesEveryAccountInCollectionsSecondRunWritesNothing) {
  Org org({}, 450);
  auto cfg = org.config();
  Daemon d(cfg);
  auto first = d.pass();
  const auto& logs = d.logs;
  ASSERT_TRUE(first) << first.error().what() << logs;
  EXPECT_EQ(first->pulled.customers, 450u);
  EXPECT_EQ(first->pulled.activities, 900u);
  EXPECT_EQ(first->flushed.written, 450u);
  const auto calls = org.s.sim().calls();
  EXPECT_EQ(calls.at("PATCH composite/sobjects"), 3);  // ceil(450 / 200)
  EXPECT_EQ(calls.count("POST jobs/ingest"), 0u);
  // Setup made the fields and granted field-level security to the integration user.
  EXPECT_EQ(calls.at("POST tooling/sobjects/CustomField"), static_cast<std::int64_t>(crm::field_contract.size()));
  EXPECT_NE(logs.find("create permission set ChurnGuard_Integration"), std::string::npos);
  auto id = org.s.sim().nth_id("Account", 0);  // churned in the seed (every third, from the first)
  auto score = org.s.sim().field("Account", id, "ChurnGuard_Risk_Score__c");
  ASSERT_TRUE(score);
  EXPECT_EQ(*org.s.sim().field("Account", id, "ChurnGuard_Risk_Tier__c"),
            d.app->store().latest_scores().at(id).tier);
  EXPECT_TRUE(org.s.sim().field("Account", id, "ChurnGuard_Scored_At__c")->ends_with("+0000"));

  auto second = app::run_sync(d.io, d.app->run_pipeline(false, std::nullopt));
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(second->flushed.written, 0u);
  EXPECT_EQ(second->flushed.calls, 0u);
  EXPECT_EQ(second->planned.unchanged, 450u);
  EXPECT_EQ(org.s.sim().records_updated(), 450);
  EXPECT_EQ(org.s.sim().calls().at("PATCH composite/sobjects"), 3);
  // The remaining daily budget is known from Sforce-Limit-Info.
  ASSERT_TRUE(d.app->crm().usage().daily_remaining);
  EXPECT_GT(*d.app->crm().usage().daily_remaining, 0);
}

// model.label.renewal_types: the churn date is the first lost renewal opportunity's CloseDate, so
// training is time-aware without a churn-date field; a lost New Customer deal is not a churn.
TEST(SalesforceEndToEnd, LostRenewalOpportunitiesAreTheTimeAwareLabel) {
  Org org({}, 300, false, true);
  auto cfg = org.config("", "{renewal_types: [renewal]}");
  Daemon d(cfg);
  auto first = d.pass();
  ASSERT_TRUE(first) << first.error().what() << d.logs;
  ASSERT_TRUE(first->trained);
  EXPECT_TRUE(first->trained->time_aware);
  EXPECT_NE(first->trained->note.find("first renewal (renewal) that closed lost"), std::string::npos) << first->trained->note;
  const auto lost = d.app->store().lost_renewals();
  EXPECT_EQ(lost.size(), 100u);  // every third of 300; the lost New Customer deals are not renewals
  for (const auto& [account, when] : lost) EXPECT_LT(when, SystemClock{}.now_ms() - 99 * ms_per_day) << account;
  // A churned account is a positive row in each snapshot whose 90-day horizon its loss falls in:
  // three of the twelve, 30 days apart (fewer for losses near the oldest snapshot), and no row
  // after the loss.
  EXPECT_GT(first->trained->positives, 250u);
  EXPECT_LE(first->trained->positives, 300u);
  EXPECT_EQ(first->scored.scored, 300u);
  EXPECT_EQ(first->flushed.written, 300u);
}

TEST(SalesforceEndToEnd, LargeWriteBacksGoAsOneBulkJobAndAFailedRowIsReported) {
  Org org({}, 600);
  auto rejected = org.s.sim().nth_id("Account", 5);
  org.s.sim().reject_record(rejected);
  auto cfg = org.config("  bulk_threshold: 500\n");
  Daemon d(cfg);
  auto r = d.pass();
  const auto& logs = d.logs;
  ASSERT_TRUE(r) << r.error().what() << logs;
  EXPECT_EQ(org.s.sim().bulk_jobs(), 1);
  EXPECT_EQ(org.s.sim().calls().count("PATCH composite/sobjects"), 0u);
  EXPECT_EQ(r->flushed.calls, 1u);
  EXPECT_EQ(r->flushed.written, 599u);
  EXPECT_EQ(r->flushed.failed, 1u);
  EXPECT_NE(logs.find("FIELD_CUSTOM_VALIDATION_EXCEPTION"), std::string::npos);
  EXPECT_FALSE(org.s.sim().field("Account", rejected, "ChurnGuard_Risk_Score__c"));
  EXPECT_TRUE(org.s.sim().field("Account", org.s.sim().nth_id("Account", 6), "ChurnGuard_Risk_Score__c"));
}

TEST(SalesforceEndToEnd, SessionExpiryMidSyncReauthenticatesAndReplays) {
  sim::SalesforceSimOptions o;
  o.session_calls = 4;  // every session dies after four data calls
  o.page_size = 200;    // several pages per query, so the expiry lands between pages
  Org org(o, 500);
  auto cfg = org.config();
  Daemon d(cfg);
  auto r = d.pass();
  const auto& logs = d.logs;
  ASSERT_TRUE(r) << r.error().what() << logs;
  EXPECT_EQ(r->pulled.customers, 500u);
  EXPECT_EQ(r->flushed.written, 500u);
  EXPECT_GT(org.s.sim().tokens_issued(), 3);
  EXPECT_NE(logs.find("session expired"), std::string::npos);
  EXPECT_EQ(logs.find("!AQ8AQsim"), std::string::npos) << "an access token reached the log";
}

// A transport fault: slow query pages (two, 400 ms each) are waited for, not failed.
TEST(SalesforceEndToEnd, SlowResponsesAreWaitedFor) {
  Org org({}, 300);
  sim::SfFault slow{"/query", 200, "", 2};
  slow.delay_ms = 400;
  org.s.sim().add_fault(slow);
  auto cfg = org.config();
  Daemon d(cfg);
  auto r = d.pass();
  const auto& logs = d.logs;
  ASSERT_TRUE(r) << r.error().what() << logs;
  EXPECT_EQ(r->pulled.customers, 300u);
  EXPECT_EQ(r->flushed.written, 300u);
  EXPECT_EQ(logs.find("retrying"), std::string::npos) << "a slow answer is not a failure";
}

// Transport faults that fail a call: a query page cut off mid-body, and answers slower than the
// configured timeout. Both are retried, and the sync completes with nothing lost.
TEST(SalesforceEndToEnd, CutConnectionsAndTimeoutsAreRetried) {
  Org org({}, 300);
  sim::SfFault cut{"/query", 200, "", 2};
  cut.cut = true;
  org.s.sim().add_fault(cut);
  sim::SfFault late{"/composite/sobjects", 200, "", 1};
  late.delay_ms = 1500;
  org.s.sim().add_fault(late);
  auto cfg = org.config("  timeout_ms: 400\n");
  EXPECT_EQ(cfg.salesforce.timeout_ms, 400);
  Daemon d(cfg);
  auto r = d.pass();
  const auto& logs = d.logs;
  ASSERT_TRUE(r) << r.error().what() << logs;
  EXPECT_EQ(r->pulled.customers, 300u);
  EXPECT_EQ(r->flushed.written, 300u);
  EXPECT_EQ(r->flushed.failed, 0u);
  EXPECT_NE(logs.find("partial message; retrying"), std::string::npos) << logs;
  EXPECT_NE(logs.find("timed out after 400 ms; retrying"), std::string::npos) << logs;
  EXPECT_EQ(org.s.sim().faults_left(), 0u) << "every scripted fault was met";
}

TEST(SalesforceEndToEnd, PerRecordFailuresAreRetriedOrReported) {
  Org org({}, 300);
  Daemon d(org.config());
  org.s.sim().lock_next_rows(3);
  auto first = d.pass();
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ(first->flushed.written, 297u);
  EXPECT_EQ(first->flushed.retry_later, 3u);
  auto second = d.pass(false, false);
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_EQ(second->flushed.written, 3u);  // the locked rows, and nothing else
  EXPECT_EQ(org.s.sim().records_updated(), 300);
}

TEST(SalesforceEndToEnd, LimitExhaustionPausesAndResumesInsteadOfFailing) {
  sim::SalesforceSimOptions o;
  o.daily_limit = 6;           // a tiny allocation ...
  o.limit_window_ms = 250;     // ... over a short rolling window
  Org org(o, 250);
  Daemon d(org.config());
  auto r = d.pass();
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->flushed.written, 250u);
  EXPECT_GT(r->usage.rate_limited, 0u);
  EXPECT_NE(d.logs.find("REQUEST_LIMIT_EXCEEDED"), std::string::npos);
}

TEST(SalesforceSetup, CreatesFieldsAndSecurityOnceThenNothing) {
  Org org({}, 20);
  auto cfg = org.config();
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app);
  testing::internal::CaptureStderr();
  // Before setup, asking for a ChurnGuard field is an INVALID_FIELD error that names it.
  auto before = app::run_sync(io, (*app)->pull(true));
  ASSERT_FALSE(before);
  EXPECT_NE(before.error().message.find("INVALID_FIELD"), std::string::npos);
  auto dry = app::run_sync(io, (*app)->setup_fields(true));
  ASSERT_TRUE(dry) << dry.error().what();
  EXPECT_EQ(org.s.sim().calls().count("POST tooling/sobjects/CustomField"), 0u);
  auto first = app::run_sync(io, (*app)->setup_fields(false));
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ(first->size(), dry->size());
  EXPECT_EQ(first->size(), 2 * crm::field_contract.size() + 2);  // fields, grants, set, assignment
  EXPECT_TRUE(org.s.sim().field_exists("Account", "ChurnGuard_Next_Action__c"));
  auto second = app::run_sync(io, (*app)->setup_fields(false));
  ASSERT_TRUE(second) << second.error().what();
  EXPECT_TRUE(second->empty());
  auto after = app::run_sync(io, (*app)->pull(true));
  testing::internal::GetCapturedStderr();
  EXPECT_TRUE(after) << after.error().what();
}

TEST(SalesforceAuth, AWrongUserIsRefusedWithSalesforcesReason) {
  Org org({}, 5);
  auto cfg = org.config();
  cfg.salesforce.username = "someone.else@example.com";
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app);
  auto r = app::run_sync(io, (*app)->crm().check_connection());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::auth);
  EXPECT_NE(r.error().message.find("user hasn't approved this consumer"), std::string::npos);
}

TEST(SalesforceEndToEnd, RelayedChangeReachesTheAccountFieldsWithinTwoSeconds) {
  Org org({}, 200);
  ::setenv("CG_SF_RELAY", "relay-token-for-tests-0123456789", 1);
  auto cfg = org.config("  webhook_token: {env: CG_SF_RELAY}\n");
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  testing::internal::CaptureStderr();
  ASSERT_TRUE(app::run_sync(io, (*app)->run_pipeline(true, true)));
  auto handler = app::make_routes(**app);
  auto post = [&](std::string auth, std::string body) {
    http::Request req{boost::beast::http::verb::post, "/webhooks/salesforce", 11};
    if (!auth.empty()) req.set(boost::beast::http::field::authorization, auth);
    req.body() = std::move(body);
    req.prepare_payload();
    return *app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> { co_return co_await handler(req); }());
  };
  EXPECT_EQ(post("", R"({"recordIds":["001000000000001AAA"]})").result_int(), 401u);
  EXPECT_EQ(post("Bearer wrong", R"({"recordIds":["001000000000001AAA"]})").result_int(), 401u);
  const std::string bearer = "Bearer relay-token-for-tests-0123456789";
  EXPECT_EQ(post(bearer, R"({"recordIds":["'; DROP"]})").result_int(), 400u);
  EXPECT_EQ(post(bearer, "not json").result_int(), 400u);

  boost::asio::co_spawn(io, (*app)->serve_loop(), boost::asio::detached);
  std::thread daemon([&] { io.run(); });
  for (int i = 0; i < 200 && (*app)->completed_runs() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // A happy account (not a churner in the seed) gets an angry case.
  const std::string account = org.s.sim().nth_id("Account", 1);
  const auto before = org.s.sim().field("Account", account, "ChurnGuard_Sentiment__c");
  ASSERT_TRUE(before);
  const auto t0 = std::chrono::steady_clock::now();
  org.s.sim().create("Case", {{"AccountId", json::value(account)}, {"Subject", json::value("Outage")},
                              {"Description", json::value("Terrible service, it is broken again and I want to cancel.")},
                              {"IsClosed", json::value(false)}, {"Status", json::value("New")}});
  std::promise<unsigned> status;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    http::Request req{boost::beast::http::verb::post, "/webhooks/salesforce", 11};
    req.set(boost::beast::http::field::authorization, bearer);
    req.body() = R"({"recordIds":[")" + account + R"("]})";
    req.prepare_payload();
    auto res = co_await handler(req);
    status.set_value(res.result_int());
  }, boost::asio::detached);
  EXPECT_EQ(status.get_future().get(), 200u);
  std::optional<std::string> after;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    after = org.s.sim().field("Account", account, "ChurnGuard_Sentiment__c");
    if (after != before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  io.stop();
  daemon.join();
  auto logs = testing::internal::GetCapturedStderr();
  ASSERT_NE(after, before) << logs.substr(logs.size() > 3000 ? logs.size() - 3000 : 0);
  EXPECT_LT(std::stoi(*after), std::stoi(*before));
  EXPECT_LT(took, std::chrono::seconds(2));
}

TEST(SalesforceEndToEnd, CaseCommentsLoggedEmailsAndDeletionsAreSynced) {
  Org org({}, 60);
  auto cfg = org.config();
  boost::asio::io_context io;
  auto app = app::App::create(cfg, io);
  ASSERT_TRUE(app);
  testing::internal::CaptureStderr();
  ASSERT_TRUE(app::run_sync(io, (*app)->run_pipeline(true, true)));
  const auto case_id = org.s.sim().nth_id("Case", 3);
  const auto account = *org.s.sim().field("Case", case_id, "AccountId");
  auto comment = org.s.sim().create("CaseComment", {{"ParentId", json::value(case_id)}, {"IsPublished", json::value(true)},
                                                    {"CommentBody", json::value("Still broken. This is unacceptable, I am cancelling.")}});
  auto task = org.s.sim().create("Task", {{"AccountId", json::value(account)}, {"TaskSubtype", json::value("Email")},
                                          {"Subject", json::value("Renewal reminder")}, {"Status", json::value("Completed")}});
  const auto gone = org.s.sim().nth_id("Account", 7);
  org.s.sim().remove("Account", gone);
  auto r = app::run_sync(io, (*app)->run_pipeline(false, false));
  testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r) << r.error().what();
  // A deleted account arrives through queryAll and is no longer scored.
  EXPECT_EQ((*app)->store().counts().customers, 59);
  EXPECT_TRUE((*app)->store().customers_of({gone}).empty());
  std::map<std::string, store::Activity> by_id;
  for (auto& a : (*app)->store().activities_of({account})) by_id[a.id] = a;
  ASSERT_TRUE(by_id.count(comment));
  EXPECT_EQ(by_id[comment].kind, "comment");
  ASSERT_TRUE(by_id[comment].sentiment);
  EXPECT_LT(*by_id[comment].sentiment, 0);  // the comment's words are scored
  ASSERT_TRUE(by_id.count(task));
  EXPECT_EQ(by_id[task].kind, "email_out");  // a logged e-mail counts as one we sent
}

TEST(SalesforceAuth, ClientCredentialsOnTheMyDomainHost) {
  sim::SalesforceSimOptions o;
  o.client_secret = "sim-client-secret-0123456789";
  Org org(o, 5);
  ::setenv("CG_SF_SECRET", "sim-client-secret-0123456789", 1);
  auto yaml_cfg = org.config();
  yaml_cfg.salesforce.auth = "client_credentials";
  yaml_cfg.salesforce.client_secret = config::SecretSource{"CG_SF_SECRET", ""};
  boost::asio::io_context io;
  auto app = app::App::create(yaml_cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  auto ok = app::run_sync(io, (*app)->crm().check_connection());
  EXPECT_TRUE(ok) << ok.error().what();
  ::setenv("CG_SF_SECRET", "wrong", 1);
  boost::asio::io_context io2;
  auto bad_app = app::App::create(yaml_cfg, io2);
  ASSERT_TRUE(bad_app);
  auto bad = app::run_sync(io2, (*bad_app)->crm().check_connection());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("invalid client credentials"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("wrong"), std::string::npos) << "the secret reached an error message";
  // The config refuses client credentials against the shared login host.
  auto refused = config::parse_config("crm: salesforce\nsalesforce:\n  auth: client_credentials\n  client_id: x\n"
                                      "  client_secret: {env: CG_SF_SECRET}\nmodel:\n  label: {property: churned}\n",
                                      "cc.yaml");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("My Domain"), std::string::npos);
}

TEST(SalesforceEndToEnd, PlayTasksAreCreatedOnTheAccountsInCollections) {
  Org org({}, 250);
  auto cfg = org.config("plays:\n  - id: check-in\n    kind: proactive_support\n    when: {min_score: 0}\n    holdout: 0.1\n");
  Daemon d(cfg);
  auto r = d.pass();
  auto again = d.pass(false, false);
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_TRUE(again) << again.error().what();
  EXPECT_EQ(r->plays.enrolled, 250u);
  EXPECT_EQ(r->tasks_created, r->plays.treatment);
  EXPECT_EQ(org.s.sim().count("Task"), r->plays.treatment);  // and none again on the second run
  EXPECT_EQ(again->tasks_created, 0u);
  EXPECT_EQ(org.s.sim().calls().at("POST composite/sobjects") - 1, 2);  // ceil(treated / 200) task calls (+1 for FLS)
  for (const auto& a : d.app->store().assignments())
    EXPECT_EQ(*org.s.sim().field("Account", a.customer_id, "ChurnGuard_Holdout__c"), a.arm == "holdout" ? "true" : "false");
}

// A play's task is assigned to the Account's owner (OwnerId), not left with the integration
// user; an owner Salesforce refuses (deactivated) does not cost the customer its task.
TEST(SalesforceEndToEnd, PlayTasksAreAssignedToTheAccountOwner) {
  Org org({}, 120, true);
  auto cfg = org.config("plays:\n  - id: check-in\n    kind: proactive_support\n    when: {min_score: 0}\n    holdout: 0.1\n");
  Daemon d(cfg);
  auto r = d.pass();
  ASSERT_TRUE(r) << r.error().what() << d.logs;
  EXPECT_EQ(r->tasks_created, r->plays.treatment);
  const auto tasks = org.s.sim().ids("Task");
  ASSERT_EQ(tasks.size(), r->plays.treatment);
  const std::string integration = "005000000000001AAA";
  std::map<std::string, int> per_owner;  // seed owner -> tasks
  for (const auto& t : tasks) {
    const auto account = org.s.sim().field("Task", t, "WhatId");
    ASSERT_TRUE(account) << t;
    const auto owner = *org.s.sim().field("Account", *account, "OwnerId");
    const auto seed_owner = test::seed_owner(std::stoi(org.s.sim().field("Account", *account, "Name")->substr(8)) - 100000);
    ++per_owner[seed_owner];
    if (seed_owner.empty()) {
      EXPECT_EQ(owner, integration);  // an unowned seed account belongs to the integration user
    } else {
      EXPECT_NE(owner, integration);
      EXPECT_EQ(d.app->store().owners_of({*account}).at(*account), owner);
    }
    const bool active = org.s.sim().field("User", owner, "IsActive") == "true";
    EXPECT_EQ(*org.s.sim().field("Task", t, "OwnerId"), active ? owner : integration) << "task " << t;
  }
  EXPECT_EQ(per_owner.size(), 4u);  // two active owners, the deactivated one, none
  // The sync listed the org's users, so the deactivated owner's tasks went unassigned at once
  // instead of being refused first.
  EXPECT_NE(d.logs.find("their record's owner is deactivated"), std::string::npos) << d.logs;
  EXPECT_EQ(d.logs.find("INACTIVE_OWNER_OR_USER"), std::string::npos) << d.logs;
}

// The org's users as owners: one query on User, the deactivated ones marked.
TEST(SalesforceEndToEnd, OwnersAreTheOrgsUsersWithTheDeactivatedMarked) {
  Org org({}, 4, true);
  Daemon d(org.config());
  auto owners = app::run_sync(d.io, d.app->crm().list_owners());
  ASSERT_TRUE(owners) << owners.error().what();
  std::map<std::string, crm::Owner> by_id;
  for (const auto& o : *owners) by_id[o.id] = o;
  ASSERT_EQ(by_id.size(), 4u);  // the integration user and the seed's three
  for (const auto& id : org.s.sim().ids("User")) {
    ASSERT_TRUE(by_id.count(id)) << id;
    EXPECT_EQ(by_id[id].name, org.s.sim().field("User", id, "Name"));
    EXPECT_EQ(by_id[id].active, org.s.sim().field("User", id, "IsActive") == "true") << id;
  }
  const auto cy = std::find_if(owners->begin(), owners->end(), [](const auto& o) { return o.name == "Cy Owner"; });
  ASSERT_NE(cy, owners->end());
  EXPECT_FALSE(cy->active);
}

// Each Task of a Collections call reports for itself, and a refused owner (deactivated, or not a
// user: Salesforce names the OwnerId field) is told apart from another failure.
TEST(SalesforceEndToEnd, TasksSayWhetherTheirOwnerWasRefused) {
  Org org({}, 4, true);
  Daemon d(org.config());
  std::map<int, std::string> account;  // seed index -> Account Id
  for (const auto& id : org.s.sim().ids("Account"))
    account[std::stoi(org.s.sim().field("Account", id, "Name")->substr(8)) - 100000] = id;
  const auto owner = [&](int i) { return *org.s.sim().field("Account", account.at(i), "OwnerId"); };
  std::vector<crm::TaskRequest> tasks{{"1", account.at(0), "Call", "b", owner(0)},            // active
                                      {"2", account.at(2), "Call", "b", owner(2)},            // deactivated
                                      {"3", account.at(1), "Call", "b", "005999999999999AAA"},  // not a user
                                      {"4", "001999999999999AAA", "Call", "b", owner(0)}};    // no such account
  auto r = app::run_sync(d.io, d.app->crm().create_tasks(tasks));
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok);
  EXPECT_TRUE(!(*r)[1].ok && (*r)[1].owner_refused) << (*r)[1].error;
  EXPECT_NE((*r)[1].error.find("INACTIVE_OWNER_OR_USER"), std::string::npos);
  EXPECT_TRUE(!(*r)[2].ok && (*r)[2].owner_refused) << (*r)[2].error;
  EXPECT_TRUE(!(*r)[3].ok && !(*r)[3].owner_refused) << (*r)[3].error;
  ASSERT_EQ(org.s.sim().count("Task"), 1u);
  EXPECT_EQ(org.s.sim().field("Task", org.s.sim().ids("Task")[0], "OwnerId"), owner(0));
}

// A Task created alone (POST /sobjects/Task) is held to what a Collections create is: the same
// references, Subject and owner checks, and the caller owns a task created without an owner.
// Percent-encoding is decoded as Salesforce does ('+' a space); a broken escape is refused.
TEST(SalesforceSim, AMalformedQueryOrFormIsRefused) {
  sim::SalesforceSimOptions o;
  o.client_secret = "sim-secret-for-tests";
  Org org(o, 3, true);
  boost::asio::io_context io;
  auto call = [&](const std::string& target, const std::string& body, const std::string& token) {
    http::Request req{body.empty() ? boost::beast::http::verb::get : boost::beast::http::verb::post, target, 11};
    req.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
    if (!token.empty()) req.set(boost::beast::http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    return *app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> {
      co_return co_await org.s.sim().handle(req);
    }());
  };
  EXPECT_EQ(call("/services/oauth2/token", "grant_type=client_credentials&client_id=%zz", "").result_int(), 400u);
  auto granted = call("/services/oauth2/token",
                      "grant_type=client_credentials&client_id=3MVG9sim.churnguard&client_secret=sim-secret-for-tests", "");
  ASSERT_EQ(granted.result_int(), 200u) << granted.body();
  const std::string token(json::parse(granted.body()).at("access_token").as_string());
  auto ok = call("/services/data/v62.0/query?q=SELECT+Id+FROM+Account", "", token);
  EXPECT_EQ(ok.result_int(), 200u) << ok.body();
  EXPECT_EQ(json::parse(ok.body()).at("totalSize").as_int64(), 3);
  auto bad = call("/services/data/v62.0/query?q=SELECT%zzId+FROM+Account", "", token);
  EXPECT_EQ(bad.result_int(), 400u) << bad.body();
  EXPECT_NE(bad.body().find("MALFORMED_QUERY"), std::string::npos) << bad.body();
}

TEST(SalesforceSim, ATaskCreatedAloneIsCheckedAsInACollection) {
  sim::SalesforceSimOptions o;
  o.client_secret = "sim-secret-for-tests";
  Org org(o, 4, true);
  boost::asio::io_context io;
  auto call = [&](boost::beast::http::verb verb, const std::string& target, const std::string& body,
                  const std::string& token) {
    http::Request req{verb, target, 11};
    req.set(boost::beast::http::field::host, "churnguard-sim.my.salesforce.com");
    req.set(boost::beast::http::field::content_type,
            token.empty() ? "application/x-www-form-urlencoded" : "application/json");
    if (!token.empty()) req.set(boost::beast::http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    return *app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> {
      co_return co_await org.s.sim().handle(req);
    }());
  };
  auto granted = call(boost::beast::http::verb::post, "/services/oauth2/token",
                      "grant_type=client_credentials&client_id=3MVG9sim.churnguard&client_secret=sim-secret-for-tests", "");
  ASSERT_EQ(granted.result_int(), 200u) << granted.body();
  const std::string token(json::parse(granted.body()).at("access_token").as_string());
  std::map<int, std::string> account;  // seed index -> Account Id
  for (const auto& id : org.s.sim().ids("Account"))
    account[std::stoi(org.s.sim().field("Account", id, "Name")->substr(8)) - 100000] = id;
  const auto owner = [&](int i) { return *org.s.sim().field("Account", account.at(i), "OwnerId"); };
  auto create = [&](json::object task) {
    return call(boost::beast::http::verb::post, "/services/data/v62.0/sobjects/Task", json::serialize(task), token);
  };
  auto refused = [](const http::Response& r) {
    auto e = json::parse(r.body()).as_array().at(0).as_object();
    return std::string(e.at("errorCode").as_string()) + " " + json::serialize(e.at("fields"));
  };
  auto deactivated = create({{"WhatId", account.at(2)}, {"Subject", "Call"}, {"OwnerId", owner(2)}});
  EXPECT_EQ(deactivated.result_int(), 400u);
  EXPECT_EQ(refused(deactivated), R"(INACTIVE_OWNER_OR_USER ["OwnerId"])");
  auto stranger = create({{"WhatId", account.at(0)}, {"Subject", "Call"}, {"OwnerId", "005999999999999AAA"}});
  EXPECT_EQ(refused(stranger), R"(INVALID_CROSS_REFERENCE_KEY ["OwnerId"])");
  auto nowhere = create({{"WhatId", "001999999999999AAA"}, {"Subject", "Call"}});
  EXPECT_EQ(refused(nowhere), R"(INVALID_CROSS_REFERENCE_KEY ["WhatId"])");
  auto untitled = create({{"WhatId", account.at(0)}});
  EXPECT_EQ(refused(untitled), R"(REQUIRED_FIELD_MISSING ["Subject"])");
  EXPECT_EQ(org.s.sim().count("Task"), 0u);

  auto assigned = create({{"WhatId", account.at(0)}, {"Subject", "Call"}, {"OwnerId", owner(0)}});
  auto unassigned = create({{"WhatId", account.at(0)}, {"Subject", "Call"}});
  ASSERT_EQ(assigned.result_int(), 201u) << assigned.body();
  ASSERT_EQ(unassigned.result_int(), 201u) << unassigned.body();
  const std::string a(json::parse(assigned.body()).at("id").as_string());
  const std::string u(json::parse(unassigned.body()).at("id").as_string());
  EXPECT_EQ(org.s.sim().field("Task", a, "OwnerId"), owner(0));
  EXPECT_EQ(org.s.sim().field("Task", u, "OwnerId"), "005000000000001AAA");  // the integration user
}
