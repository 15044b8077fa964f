#include "connectors/hubspot/mapping.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <gtest/gtest.h>

using namespace cg;

TEST(HubspotMapping, PartialBatchFailureIsPerRecord) {
  std::vector<crm::FieldUpdate> ups{{"1", {{"risk_score", "10"}}}, {"2", {{"risk_score", "20"}}}, {"3", {{"risk_score", "30"}}}};
  // Results out of order, one id reported missing, one not mentioned at all.
  auto r = hubspot::parse_batch_update(207, R"({"status":"COMPLETE","results":[{"id":"2"}],"numErrors":1,
    "errors":[{"status":"error","category":"OBJECT_NOT_FOUND","message":"gone","context":{"ids":["1"]}}]})", ups);
  ASSERT_EQ(r.succeeded, std::vector<std::string>{"2"});
  ASSERT_EQ(r.failed.size(), 2u);
  EXPECT_EQ(r.failed[0].customer_id, "1");
  EXPECT_FALSE(r.failed[0].retryable);
  EXPECT_NE(r.failed[0].message.find("OBJECT_NOT_FOUND"), std::string::npos);
  EXPECT_EQ(r.failed[1].customer_id, "3");
  EXPECT_TRUE(r.failed[1].retryable);
}

TEST(HubspotMapping, BatchBodyUsesContractPropertyNames) {
  auto b = hubspot::batch_update_body({{"7", {{"risk_tier", "high"}, {"risk_score", "61"}}}});
  EXPECT_EQ(boost::json::serialize(b),
            R"({"inputs":[{"id":"7","properties":{"churnguard_risk_score":"61","churnguard_risk_tier":"high"}}]})");
}

TEST(HubspotMapping, SearchPageAndCursor) {
  auto p = hubspot::parse_search_page(R"({"total":3,"results":[{"id":"5","properties":{"name":"A",
    "hs_lastmodifieddate":"2026-11-20T08:00:00.123Z","churnguard_risk_tier":"low","hubspot_owner_id":"71000002"}}],
    "paging":{"next":{"after":"1"}}})");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->total, 3);
  EXPECT_EQ(p->next_after, "1");
  auto c = hubspot::to_customer(p->results[0], "hs_lastmodifieddate", "name");
  EXPECT_EQ(c.name, "A");
  EXPECT_EQ(c.churnguard.at("risk_tier"), "low");
  EXPECT_EQ(c.properties.count("churnguard_risk_tier"), 0u);
  EXPECT_EQ(c.owner_id, "71000002");  // the record's owner, not a model property
  EXPECT_EQ(c.properties.count("hubspot_owner_id"), 0u);
  EXPECT_GT(c.modified_ms, 0);
}

TEST(HubspotMapping, BrokenResponsesAreNamedErrors) {
  auto a = hubspot::parse_search_page("<html>502 Bad Gateway</html>");
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().kind, ErrorKind::bad_response);
  EXPECT_NE(a.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_FALSE(hubspot::parse_search_page(R"({"results":"nope"})"));
  EXPECT_FALSE(hubspot::parse_search_page(R"({"results":[{"id":5}]})"));
}

// Found by fuzz_mappers: a record without a string id threw out of the mappers.
TEST(HubspotMapping, MappersAreTotalOnRecordsWithoutId) {
  for (const char* text : {R"({})", R"({"id":5,"properties":{"name":"x"}})", R"({"id":null,"properties":7})"}) {
    auto o = boost::json::parse(text).as_object();
    EXPECT_EQ(hubspot::to_customer(o, "hs_lastmodifieddate", "name").id, "") << text;
    EXPECT_EQ(hubspot::to_ticket(o).id, "");
    EXPECT_EQ(hubspot::to_email(o).id, "");
    EXPECT_EQ(hubspot::to_contact(o).id, "");
  }
}

TEST(HubspotMapping, ErrorBodiesAndPolicies) {
  EXPECT_EQ(hubspot::describe_error(400, R"({"status":"error","message":"bad","category":"VALIDATION_ERROR"})"),
            "HTTP 400 VALIDATION_ERROR: bad");
  EXPECT_EQ(hubspot::describe_error(502, "oops"), "HTTP 502 with a non-JSON body");
  EXPECT_EQ(hubspot::rate_limit_policy(R"({"errorType":"RATE_LIMIT","policyName":"DAILY"})"), "DAILY");
  EXPECT_EQ(hubspot::rate_limit_policy("{}"), "");
}

TEST(HubspotMapping, AssociationIdsAsNumbersOrStrings) {
  auto m = hubspot::parse_association_batch(R"({"results":[{"from":{"id":"1"},"to":[{"toObjectId":512}]},
    {"from":{"id":"2"},"to":[{"toObjectId":"513"}]},{"from":{"id":"3"},"to":[]}]})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->at("1"), "512");
  EXPECT_EQ(m->at("2"), "513");
  EXPECT_EQ(m->count("3"), 0u);
}

TEST(HubspotPaths, V3AndDatedFamilies) {
  EXPECT_EQ((hubspot::ApiPaths{"v3"}.objects("companies")), "/crm/v3/objects/companies");
  EXPECT_EQ((hubspot::ApiPaths{"2026-09"}.objects("companies")), "/crm/objects/2026-09/companies");
  EXPECT_EQ((hubspot::ApiPaths{"v3"}.associations_batch_read("tickets", "companies")),
            "/crm/v4/associations/tickets/companies/batch/read");
}
