// The HubSpot connector against the simulator over loopback TLS: paging, the search cap,
// rate limits, auth and broken responses, and the simulator refusing what HubSpot refuses.
#include "connectors/hubspot/hubspot_connector.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/store/store.hpp"
#include "daemon/sync/sync.hpp"
#include "simulator/cli.hpp"
#include "tests/support/sim_server.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "connectors/transport/https_client.hpp"

using namespace cg;
using app::run_sync;

namespace {

struct Client {
  boost::asio::io_context io;
  std::unique_ptr<crm::CrmConnector> crm;
  Client(const test::SimServer& s, std::string ca, std::string token = test::sim_token, std::string version = "v3",
         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000), std::vector<std::string> renewal_types = {}) {
    hubspot::HubspotOptions o;
    o.base_url = s.base_url();
    o.ca_file = std::move(ca);
    o.token = Secret(std::move(token));
    o.api_version = std::move(version);
    o.properties = {"tenure_months", "churned"};
    o.search_requests_per_second = 80;
    o.max_attempts = 3;
    o.timeout = timeout;
    o.renewal_types = std::move(renewal_types);
    Result<void> err;
    crm = hubspot::make_hubspot_connector(io.get_executor(), std::move(o), &err);
  }
  Result<sync::PullStats> pull(store::Store& st) { return run_sync(io, sync::pull(*crm, st, false)); }
};

std::unique_ptr<store::Store> mem() { return std::move(*store::Store::open(":memory:")); }

}  // namespace

TEST(HubspotSim, PullsEveryCompanyAndTicketWithAssociations) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(450, 1), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->customers, 450u);
  EXPECT_EQ(r->activities, 450u);
  EXPECT_EQ(st->counts().customers, 450);
  for (const auto& a : st->activities()) ASSERT_FALSE(a.customer_id.empty()) << a.id;
  EXPECT_EQ(s.sim().calls().at("POST /crm/v3/objects/companies/search"), 3);  // 200 per page
  // Incremental: nothing changed, only the last stamp's ties come back.
  auto again = c.pull(*st);
  ASSERT_TRUE(again);
  EXPECT_LT(again->customers, 20u);
}

// Renewals (model.label.renewal_types): every deal is read, those of a renewal type are kept with
// their company, and the store dates each customer's first lost renewal.
TEST(HubspotSim, RenewalDealsArePulledWithTheirCompanyAndDateTheLoss) {
  test::SimServer s;
  auto seed = boost::json::parse(test::make_seed(4, 0)).as_object();
  auto deal = [](const char* id, const char* company, const char* type, const char* stage, double closed_days_ago) {
    return boost::json::object{{"id", id}, {"company", company}, {"created_days_ago", 200.0}, {"closed_days_ago", closed_days_ago},
                               {"properties", boost::json::object{{"dealname", std::string("Renewal ") + id},
                                                                  {"dealtype", type}, {"dealstage", stage}, {"amount", "1200"}}}};
  };
  seed["deals"] = boost::json::array{
      deal("900001", "100000", "existingbusiness", "closedlost", 30),  // lost: churned 30 days ago
      deal("900002", "100000", "existingbusiness", "closedlost", 10),  // a later loss: the first counts
      deal("900003", "100001", "existingbusiness", "closedwon", 20),   // renewed
      deal("900004", "100002", "newbusiness", "closedlost", 15),       // not a renewal
      deal("900005", "100003", "existingbusiness", "contractsent", 0)};  // open
  const auto now = SystemClock{}.now_ms();
  ASSERT_TRUE(s.sim().load_seed(boost::json::serialize(seed), now));
  Client c(s, s.ca_file(), test::sim_token, "v3", std::chrono::milliseconds(5000), {"ExistingBusiness"});
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(s.sim().calls().at("POST /crm/v3/objects/deals/search"), 1);
  std::map<std::string, store::Activity> renewals;
  for (const auto& a : st->activities())
    if (a.kind == "renewal") renewals[a.id] = a;
  ASSERT_EQ(renewals.size(), 4u);
  EXPECT_FALSE(renewals.count("deal:900004"));
  EXPECT_EQ(renewals["deal:900001"].customer_id, "100000");
  EXPECT_EQ(renewals["deal:900001"].value, 0.0);
  EXPECT_EQ(renewals["deal:900003"].value, 1.0);
  EXPECT_FALSE(renewals["deal:900005"].value);  // open: neither won nor lost
  EXPECT_FALSE(renewals["deal:900005"].closed_ms);
  const auto lost = st->lost_renewals();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NEAR(static_cast<double>(lost.at("100000")), static_cast<double>(now - 30 * ms_per_day), 1000.0);
  EXPECT_EQ(st->lost_renewals_of({"100000", "100001"}), lost);
  // Without renewal types, no deal is read.
  Client plain(s, s.ca_file());
  auto st2 = mem();
  ASSERT_TRUE(plain.pull(*st2));
  EXPECT_EQ(s.sim().calls().at("POST /crm/v3/objects/deals/search"), 1);
}

TEST(HubspotSim, DatedApiVersionPathsWork) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(10, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file(), test::sim_token, "2026-09");
  auto st = mem();
  ASSERT_TRUE(c.pull(*st));
  EXPECT_EQ(s.sim().calls().count("POST /crm/objects/2026-09/companies/search"), 1u);
  EXPECT_EQ(st->counts().customers, 10);
}

TEST(HubspotSim, SyncBeyondTheTenThousandSearchCapLosesNothing) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(10'450, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(st->counts().customers, 10'450);
}

TEST(HubspotSim, MoreThanTenThousandWithOneStampArePagedById) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(10'450, 0, true), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(st->counts().customers, 10'450);
}

TEST(HubspotSim, CertificateForAnotherHostIsRefused) {
  test::SimServer s(test::SimServer::fast_options(), {"wrong.example"}, {});
  Client c(s, s.ca_file());
  auto r = run_sync(c.io, c.crm->check_connection());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::tls);
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().message;
  EXPECT_EQ(s.sim().total_calls(), 0);
}

TEST(HubspotSim, UntrustedIssuerIsRefused) {
  test::SimServer s;
  Client c(s, "");  // system CAs only: the test CA is unknown
  auto r = run_sync(c.io, c.crm->check_connection());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::tls);
}

TEST(HubspotSim, TenSecondlyLimitIsWaitedOutNotFailed) {
  auto opts = test::SimServer::fast_options();
  opts.burst_limit = 3;
  opts.burst_window_ms = 300;
  test::SimServer s(opts);
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(5, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  for (int i = 0; i < 8; ++i) {
    auto r = run_sync(c.io, c.crm->check_connection());
    ASSERT_TRUE(r) << r.error().what();
  }
  s.sim().add_fault({"/crm/v3/objects/companies", 429, "TEN_SECONDLY_ROLLING", 2});
  ASSERT_TRUE(run_sync(c.io, c.crm->check_connection()));
  EXPECT_GE(c.crm->usage().rate_limited, 2u);
}

TEST(HubspotSim, SearchSecondlyLimitIsWaitedOut) {
  auto opts = test::SimServer::fast_options();
  test::SimServer s(opts);
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(30, 0), SystemClock{}.now_ms()));
  s.sim().add_fault({"/search", 429, "SECONDLY", 1});
  Client c(s, s.ca_file());
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(st->counts().customers, 30);
}

TEST(HubspotSim, DailyLimitStopsWithAClearErrorAndKeepsTheStore) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(300, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  ASSERT_TRUE(c.pull(*st));
  s.sim().add_fault({"/search", 429, "DAILY", 5});
  auto r = run_sync(c.io, sync::pull(*c.crm, *st, true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::rate_limited);
  EXPECT_NE(r.error().message.find("daily"), std::string::npos);
  EXPECT_EQ(st->counts().customers, 300);
}

TEST(HubspotSim, WrongTokenIsAnAuthErrorWithoutTheToken) {
  test::SimServer s;
  Client c(s, s.ca_file(), "pat-na1-wrong-token-987654321");
  auto st = mem();
  auto r = c.pull(*st);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::auth);
  EXPECT_NE(r.error().message.find("INVALID_AUTHENTICATION"), std::string::npos);
  EXPECT_EQ(r.error().message.find("pat-na1-wrong"), std::string::npos);
  EXPECT_EQ(st->counts().customers, 0);
}

TEST(HubspotSim, TransientServerErrorsAreRetried) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(20, 0), SystemClock{}.now_ms()));
  s.sim().add_fault({"/search", 503, "", 2});
  Client c(s, s.ca_file());
  auto st = mem();
  ASSERT_TRUE(c.pull(*st));
  EXPECT_EQ(c.crm->usage().retries, 2u);
  EXPECT_EQ(st->counts().customers, 20);
}

// Transport faults: a slow answer is waited for; one slower than the client's timeout, and one
// whose connection is cut partway through the body, are retried like any transient failure.
TEST(HubspotSim, SlowTimedOutAndCutResponsesAreRetried) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(300, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file(), test::sim_token, "v3", std::chrono::milliseconds(800));
  sim::Fault slow{"/search", 200, "", 1};
  slow.delay_ms = 300;
  sim::Fault late{"/search", 200, "", 1};
  late.delay_ms = 2000;
  sim::Fault cut{"/search", 200, "", 1};
  cut.cut = true;
  for (auto f : {slow, late, cut}) s.sim().add_fault(f);
  auto st = mem();
  const auto before = s.sim().calls().count("POST /crm/v3/objects/companies/search");
  auto r = c.pull(*st);
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(before, 0u);
  EXPECT_EQ(st->counts().customers, 300);
  EXPECT_EQ(c.crm->usage().retries, 2u) << "the timed-out and the cut call, not the slow one";
  // Retried calls reach the simulator again: 2 pages of companies plus the two failed tries.
  EXPECT_EQ(s.sim().calls().at("POST /crm/v3/objects/companies/search"), 4);
}

TEST(HubspotSim, MalformedJsonIsNamedAndStoredDataSurvives) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(250, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  ASSERT_TRUE(c.pull(*st));
  auto before = st->watermark("hubspot.customers");
  s.sim().add_fault({"/search", 200, "", 1, R"({"total":1,"results":[{"id":"1","prop)"});
  auto r = run_sync(c.io, sync::pull(*c.crm, *st, true));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::bad_response);
  EXPECT_NE(r.error().message.find("not valid JSON"), std::string::npos) << r.error().message;
  EXPECT_EQ(st->counts().customers, 250);
  EXPECT_EQ(st->watermark("hubspot.customers"), before);
}

TEST(HubspotSim, SetupCreatesFieldsOnceThenNothing) {
  test::SimServer s;
  Client c(s, s.ca_file());
  auto dry = run_sync(c.io, c.crm->ensure_fields(true));
  ASSERT_TRUE(dry) << dry.error().what();
  EXPECT_EQ(dry->size(), 12u);  // the group and 11 properties
  auto first = run_sync(c.io, c.crm->ensure_fields(false));
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ(first->size(), 12u);
  auto second = run_sync(c.io, c.crm->ensure_fields(false));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->empty());
}

TEST(HubspotSim, BatchWritePartialFailureIsPerRecord) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(3, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  ASSERT_TRUE(run_sync(c.io, c.crm->ensure_fields(false)));
  std::vector<crm::FieldUpdate> ups{{"100000", {{"risk_score", "42"}, {"risk_tier", "medium"}}},
                                    {"999999", {{"risk_score", "10"}}}};
  auto r = run_sync(c.io, c.crm->write_fields(ups));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r->succeeded, std::vector<std::string>{"100000"});
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].customer_id, "999999");
  EXPECT_EQ(s.sim().property("companies", "100000", "churnguard_risk_tier"), "medium");
}

TEST(HubspotSim, InvalidValueFailsTheWholeBatchAsHubSpotDoes) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(2, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  ASSERT_TRUE(run_sync(c.io, c.crm->ensure_fields(false)));
  auto r = run_sync(c.io, c.crm->write_fields({{"100000", {{"risk_tier", "apocalyptic"}}}, {"100001", {{"risk_score", "5"}}}}));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->succeeded.empty());
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_NE(r->failed[0].message.find("INVALID_OPTION"), std::string::npos) << r->failed[0].message;
  EXPECT_FALSE(s.sim().property("companies", "100001", "churnguard_risk_score"));
}

// Raw requests the real API rejects must be rejected by the simulator too.
TEST(HubspotSim, RejectsWhatHubSpotRejects) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(5, 0), SystemClock{}.now_ms()));
  boost::asio::io_context io;
  auto client = transport::HttpsClient::create(io.get_executor(), {s.base_url(), s.ca_file()});
  ASSERT_TRUE(client);
  auto post = [&](const std::string& path, const std::string& body) {
    transport::Request req{boost::beast::http::verb::post, path, body};
    req.headers.emplace_back("Authorization", std::string("Bearer ") + test::sim_token);
    auto r = run_sync(io, (*client)->send(std::move(req)));
    return r ? r->status : 0u;
  };
  EXPECT_EQ(post("/crm/v3/objects/companies/search", R"({"limit":201})"), 400u);
  EXPECT_EQ(post("/crm/v3/objects/companies/search", R"({"limit":200,"after":"9900"})"), 400u);
  EXPECT_EQ(post("/crm/v3/objects/companies/search", R"({"limit":10,"after":"not-a-cursor"})"), 400u);
  std::string many = R"({"inputs":[)";
  for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + R"({"id":")" + std::to_string(100000 + i) + R"(","properties":{"name":"x"}})";
  EXPECT_EQ(post("/crm/v3/objects/companies/batch/update", many + "]}"), 400u);
  EXPECT_EQ(post("/crm/v3/objects/companies/batch/update",
                 R"({"inputs":[{"id":"100000","properties":{"no_such_property":"1"}}]})"), 400u);
  EXPECT_EQ(post("/crm/v3/objects/companies/batch/update",
                 R"({"inputs":[{"id":"100000","properties":{"name":"a"}},{"id":"100000","properties":{"name":"b"}}]})"), 400u);
  EXPECT_EQ(post("/crm/v3/objects/companies/batch/update",
                 R"({"inputs":[{"id":"100000","properties":{"hs_lastmodifieddate":"1"}}]})"), 400u);
  EXPECT_EQ(post("/crm/v3/properties/companies",
                 R"({"name":"x","label":"x","type":"enumeration","fieldType":"select","groupName":"customerprofile"})"), 400u);
  EXPECT_EQ(post("/crm/v3/properties/companies",
                 R"({"name":"y","label":"y","type":"number","fieldType":"select","groupName":"customerprofile"})"), 400u);
  // A query string with a broken percent-escape is refused, not read as something else.
  auto get = [&](const std::string& target) {
    transport::Request req{boost::beast::http::verb::get, target};
    req.headers.emplace_back("Authorization", std::string("Bearer ") + test::sim_token);
    auto r = run_sync(io, (*client)->send(std::move(req)));
    return r ? r->status : 0u;
  };
  EXPECT_EQ(get("/crm/v3/objects/companies?limit=5&properties=na%6De"), 200u);
  EXPECT_EQ(get("/crm/v3/objects/companies?limit=5&properties=na%zze"), 400u);
  EXPECT_EQ(get("/crm/v3/objects/companies?limit=5&properties=name%"), 400u);
  // Paging parameters are whole numbers in range: "5x" or "1.5" is not read as 5 or 1.
  EXPECT_EQ(get("/crm/v3/objects/companies?limit=100"), 200u);
  for (const char* bad : {"limit=5x", "limit=1.5", "limit=", "limit=0", "limit=101", "after=12ab", "after=-1", "after=1e3"})
    EXPECT_EQ(get(std::string("/crm/v3/objects/companies?") + bad), bad == std::string("limit=") ? 200u : 400u) << bad;
  EXPECT_EQ(get("/crm/v3/owners?limit=500"), 200u);
  for (const char* bad : {"limit=501", "limit=ten", "after=x"})
    EXPECT_EQ(get(std::string("/crm/v3/owners?") + bad), 400u) << bad;
}

TEST(HubspotSim, OfferWorkflowTemplateIsCreatedOnceWithTheHoldoutExclusion) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(5, 0), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  // The template filters on churnguard_* properties: before setup they do not exist, and
  // HubSpot (the simulator) refuses a workflow that names a missing property.
  auto early = run_sync(c.io, c.crm->ensure_workflows(false));
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("churnguard_next_action"), std::string::npos);
  ASSERT_TRUE(run_sync(c.io, c.crm->ensure_fields(false)));
  auto dry = run_sync(c.io, c.crm->ensure_workflows(true));
  ASSERT_TRUE(dry) << dry.error().what();
  ASSERT_EQ(dry->size(), 1u);
  EXPECT_TRUE(s.sim().workflows().empty());
  auto first = run_sync(c.io, c.crm->ensure_workflows(false));
  ASSERT_TRUE(first) << first.error().what();
  ASSERT_EQ(s.sim().workflows().size(), 1u);
  auto second = run_sync(c.io, c.crm->ensure_workflows(false));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->empty());
  EXPECT_EQ(s.sim().workflows().size(), 1u);
  // The request shape: a disabled company workflow enrolling next_action = offer, holdout not true.
  const auto flows = s.sim().workflows();
  const auto& flow = flows[0];
  EXPECT_EQ(flow.at("objectTypeId"), "0-2");
  EXPECT_EQ(flow.at("isEnabled"), false);
  const auto body = boost::json::serialize(flow.at("enrollmentCriteria"));
  EXPECT_NE(body.find(R"("property":"churnguard_next_action")"), std::string::npos);
  EXPECT_NE(body.find(R"("values":["offer"])"), std::string::npos);
  EXPECT_NE(body.find(R"("property":"churnguard_holdout")"), std::string::npos);
  EXPECT_NE(body.find(R"("value":false)"), std::string::npos);
  // Its task goes on the company (task-to-company) and to the company's owner.
  const auto task = boost::json::serialize(flow.at("actions").as_array().at(0).at("fields"));
  EXPECT_NE(task.find(R"("associationTypeId":192)"), std::string::npos) << task;
  EXPECT_NE(task.find(R"("owner_assignment":{"type":"CUSTOM","value":{"type":"OBJECT_PROPERTY","propertyName":"hubspot_owner_id"}})"),
            std::string::npos) << task;
}

// Where customers are contacts, the workflow enrols contacts and links its task to the contact:
// HubSpot refuses a task-to-company association on a contact's task.
TEST(HubspotSim, OfferWorkflowOnContactsLinksItsTaskToTheContact) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(5, 0), SystemClock{}.now_ms()));
  boost::asio::io_context io;
  hubspot::HubspotOptions o;
  o.base_url = s.base_url();
  o.ca_file = s.ca_file();
  o.token = Secret(test::sim_token);
  o.object = "contacts";
  o.properties = {"churned"};
  Result<void> err;
  auto crm = hubspot::make_hubspot_connector(io.get_executor(), std::move(o), &err);
  ASSERT_TRUE(crm) << err.error().what();
  ASSERT_TRUE(run_sync(io, crm->ensure_fields(false)));
  auto made = run_sync(io, crm->ensure_workflows(false));
  ASSERT_TRUE(made) << made.error().what();
  ASSERT_EQ(s.sim().workflows().size(), 1u);
  const auto flow = s.sim().workflows()[0];
  EXPECT_EQ(flow.at("objectTypeId"), "0-1");
  EXPECT_EQ(flow.at("type"), "CONTACT_FLOW");
  const auto task = boost::json::serialize(flow.at("actions").as_array().at(0).at("fields"));
  EXPECT_NE(task.find(R"("associationTypeId":204)"), std::string::npos) << task;

  // The simulator holds HubSpot's line: the company template unchanged on contacts is refused.
  boost::json::object wrong = flow;
  wrong["actions"].as_array().at(0).as_object()["fields"].as_object()["associations"] = boost::json::parse(
      R"([{"target":{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":192},"value":{"type":"ENROLLED_OBJECT"}}])");
  http::Request req{boost::beast::http::verb::post, "/automation/v4/flows", 11};
  req.set(boost::beast::http::field::authorization, "Bearer " + std::string(test::sim_token));
  req.set(boost::beast::http::field::content_type, "application/json");
  req.body() = boost::json::serialize(wrong);
  req.prepare_payload();
  auto res = *run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> { co_return co_await s.sim().handle(req); }());
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("does not link a task to contacts"), std::string::npos) << res.body();
}

// A batch of tasks: each reports for itself (207), and a refused owner is told apart from
// another failure, since only the first is worth creating again without an owner.
TEST(HubspotSim, TasksSayWhetherTheirOwnerWasRefused) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::with_owners(test::make_seed(4, 0)), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  std::vector<crm::TaskRequest> tasks{{"1", "100000", "Call", "body", "71000001"},   // active owner
                                      {"2", "100001", "Call", "body", "71000003"},   // deactivated
                                      {"3", "999999", "Call", "body", "71000001"},   // no such company
                                      {"4", "100003", "Call", "body", ""}};          // unassigned
  auto r = run_sync(c.io, c.crm->create_tasks(tasks));
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE((*r)[0].ok);
  EXPECT_FALSE((*r)[1].ok);
  EXPECT_TRUE((*r)[1].owner_refused) << (*r)[1].error;
  EXPECT_FALSE((*r)[2].ok);
  EXPECT_FALSE((*r)[2].owner_refused) << (*r)[2].error;
  EXPECT_TRUE((*r)[3].ok);
  EXPECT_EQ(s.sim().count("tasks"), 2u);
  const auto made = s.sim().by_company("tasks", "hubspot_owner_id");
  const std::map<std::string, std::string> owner_of(made.begin(), made.end());
  EXPECT_EQ(owner_of.at("100000"), "71000001");
  EXPECT_EQ(owner_of.at("100003"), "");
}

// GET /crm/v3/owners lists active owners, or with archived=true the archived ones, 500 a page:
// the connector reads both and pages each by its cursor.
TEST(HubspotSim, OwnersAreListedActiveThenArchivedPageByPage) {
  test::SimServer s;
  auto seed = boost::json::parse(test::make_seed(3, 0)).as_object();
  boost::json::array owners;
  for (int i = 0; i < 1203; ++i)
    owners.push_back(boost::json::object{{"id", std::to_string(71000001 + i)}, {"firstName", "User"},
                                         {"lastName", std::to_string(i)}, {"email", "u" + std::to_string(i) + "@x.example"},
                                         {"active", i % 7 != 0}});
  seed["owners"] = std::move(owners);
  ASSERT_TRUE(s.sim().load_seed(boost::json::serialize(seed), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto listed = run_sync(c.io, c.crm->list_owners());
  ASSERT_TRUE(listed) << listed.error().what();
  ASSERT_EQ(listed->size(), 1203u);
  std::set<std::string> ids;
  std::size_t inactive = 0;
  for (const auto& o : *listed) {
    ids.insert(o.id);
    const int i = std::stoi(o.id) - 71000001;
    EXPECT_EQ(o.name, "User " + std::to_string(i));
    EXPECT_EQ(o.active, i % 7 != 0) << o.id;
    inactive += !o.active;
  }
  EXPECT_EQ(ids.size(), 1203u);  // none twice across pages
  EXPECT_EQ(inactive, 172u);
  // 1,031 active owners in three pages, 172 archived in one.
  EXPECT_EQ(s.sim().calls().at("GET /crm/v3/owners"), 4);
}

// The sync lists owners when it has none or a pulled record names one it does not know, not on
// every pass; a listing the app may not make (no owners scope) is logged, the sync goes on, and
// that refusal is not asked for again on every pass.
TEST(HubspotSim, SyncListsOwnersOnlyWhenItMeetsOneItDoesNotKnow) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::with_owners(test::make_seed(8, 0)), SystemClock{}.now_ms()));
  Client c(s, s.ca_file());
  auto st = mem();
  auto listings = [&] { auto k = s.sim().calls(); return k.count("GET /crm/v3/owners") ? k.at("GET /crm/v3/owners") : 0; };
  auto first = c.pull(*st);
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ(first->owners, 3u);
  EXPECT_EQ(listings(), 2);  // active, archived
  const auto known = st->owner_details({"71000001", "71000002", "71000003"});
  ASSERT_EQ(known.size(), 3u);
  EXPECT_EQ(known.at("71000001").name, "Ana Owner");
  EXPECT_TRUE(known.at("71000001").active);
  EXPECT_FALSE(known.at("71000003").active);

  s.sim().create("companies", {{"name", "New Co"}, {"hubspot_owner_id", "71000001"}});
  auto second = c.pull(*st);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->owners, 0u);
  EXPECT_EQ(listings(), 2);  // a known owner: no listing

  // An owner the last listing lacked (as if they joined since) brings a new listing.
  ASSERT_TRUE(st->replace_owners({{"71000001", "Ana Owner", true}}, SystemClock{}.now_ms()));
  s.sim().create("companies", {{"name", "Newer Co"}, {"hubspot_owner_id", "71000002"}});
  auto third = c.pull(*st);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->owners, 3u);
  EXPECT_EQ(listings(), 4);

  // Without the owners scope HubSpot answers 403 MISSING_SCOPES: the pull still succeeds and
  // keeps the last listing.
  ASSERT_TRUE(st->replace_owners({{"71000001", "Ana Owner", true}}, SystemClock{}.now_ms()));
  s.sim().add_fault({"/owners", 403, "", 1,
                     R"({"status":"error","message":"This app hasn't been granted all required scopes to make this call.",)"
                     R"("correlationId":"3f7c","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following )"
                     R"(scopes are required.","context":{"requiredGranularScopes":["crm.objects.owners.read"]}}]})"});
  s.sim().create("companies", {{"name", "Newest Co"}, {"hubspot_owner_id", "71000002"}});
  testing::internal::CaptureStderr();
  auto fourth = c.pull(*st);
  const auto logs = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(fourth) << fourth.error().what();
  EXPECT_EQ(fourth->owners, 0u);
  EXPECT_NE(logs.find("listing hubspot owners"), std::string::npos) << logs;
  EXPECT_NE(logs.find("MISSING_SCOPES"), std::string::npos) << logs;
  EXPECT_EQ(st->owner_details({"71000001", "71000002"}).size(), 1u);  // the last listing kept
  // A refused listing is not tried again for the next unknown owner (only after a day or on a
  // full pull): no refused call per pass.
  const auto before = listings();
  s.sim().create("companies", {{"name", "Later Co"}, {"hubspot_owner_id", "71000002"}});
  auto fifth = c.pull(*st);
  ASSERT_TRUE(fifth);
  EXPECT_EQ(listings(), before);
  auto full = run_sync(c.io, sync::pull(*c.crm, *st, true));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->owners, 3u);
}

// The simulators' command lines: a value that is not a number is an error naming the flag, not
// a silent 0 (which, for --port, would have picked a random port).
TEST(SimulatorCli, FlagsTakeCheckedValues) {
  const char* argv[] = {"sim", "--port", "8443", "--fault-rate", "0.25", "--port", "84a3", "--burst", "0",
                        "--fault-rate", "1.5", "--seed"};
  sim::Args args(12, const_cast<char**>(argv));
  std::string flag;
  ASSERT_TRUE(args.next(flag));
  EXPECT_EQ(flag, "--port");
  EXPECT_EQ(*args.integer(0, 65535), 8443);
  ASSERT_TRUE(args.next(flag));
  EXPECT_DOUBLE_EQ(*args.decimal(0, 1), 0.25);
  ASSERT_TRUE(args.next(flag));
  auto bad = args.integer(0, 65535);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--port: '84a3' is not a whole number");
  ASSERT_TRUE(args.next(flag));
  auto low = args.integer(1, 100);
  ASSERT_FALSE(low);
  EXPECT_NE(low.error().message.find("--burst: 0 is out of range [1, 100]"), std::string::npos) << low.error().message;
  ASSERT_TRUE(args.next(flag));
  EXPECT_FALSE(args.decimal(0, 1));
  ASSERT_TRUE(args.next(flag));
  auto none = args.text();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message, "--seed needs a value");
  EXPECT_FALSE(args.next(flag));
  auto missing = sim::read_file("/nonexistent/seed.json", "seed");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "cannot open seed /nonexistent/seed.json");
}
