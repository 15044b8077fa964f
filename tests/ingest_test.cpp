#include "connectors/hubspot/webhook.hpp"
#include "daemon/ingest/events.hpp"

#include <gtest/gtest.h>

using namespace cg;

TEST(Events, JsonLinesKeepGoodLinesAndNameBadOnes) {
  auto r = ingest::parse_events(
      R"({"id":"e1","customer_id":"512","event":"login","timestamp":"2026-11-20T08:00:00Z","duration_s":30}
{"id":"e2","customer_id":"512","event":"export","timestamp":1795528931123,"properties":{"rows":10,"fmt":"csv"}}
{"id":"e3","customer_id":"512","event":"login"}
not json at all

{"id":"","customer_id":"1","event":"x","timestamp":1}
{"id":"e6","customer_id":"1","event":"x","timestamp":1,"duration_s":-4}
)");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].id, "e1");
  EXPECT_EQ(*r.events[0].value, 30);
  EXPECT_EQ(r.events[0].properties.at("event"), "login");
  EXPECT_EQ(r.events[1].properties.at("rows"), "10");
  ASSERT_EQ(r.rejected.size(), 4u);
  EXPECT_EQ(r.rejected[0], (std::pair<std::size_t, std::string>{3, "missing 'timestamp'"}));
  EXPECT_EQ(r.rejected[1].first, 4u);
  EXPECT_NE(r.rejected[1].second.find("not valid JSON"), std::string::npos);
  EXPECT_EQ(r.rejected[2].first, 6u);  // the blank line 5 is skipped, not counted as an error
  EXPECT_EQ(r.rejected[3].first, 7u);
}

TEST(Events, ArrayFormAndHostileInput) {
  auto r = ingest::parse_events(R"([{"id":"a","customer_id":"1","event":"x","timestamp":5},{"id":"b"},[1,2]])");
  EXPECT_EQ(r.events.size(), 1u);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[1].second, "an event must be a JSON object");
  EXPECT_EQ(ingest::parse_events("").rejected.size(), 1u);
  EXPECT_EQ(ingest::parse_events("[{").rejected.size(), 1u);
  std::string long_id(500, 'x');
  auto l = ingest::parse_events(R"({"id":")" + long_id + R"(","customer_id":"1","event":"x","timestamp":5})");
  ASSERT_EQ(l.rejected.size(), 1u);
  EXPECT_NE(l.rejected[0].second.find("longer than"), std::string::npos);
}

// HubSpot's documented examples for the v1 and v2 signatures (request-validation docs).
TEST(Webhook, DocumentedV1AndV2Examples) {
  const std::string secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
  const std::string body =
      R"([{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}])";
  EXPECT_EQ(hubspot::sign_v1(secret, body), "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de");
  EXPECT_EQ(hubspot::sign_v2(secret, "GET", "https://www.example.com/webhook_uri", ""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e");
}

TEST(Webhook, V3SignatureWithUriEscapesAndReplayWindow) {
  const std::string secret = "my-client-secret", body = R"([{"eventId":1}])", ts = "1732406400000";
  // %28 %29 are among the 12 escapes HubSpot decodes before signing; %20 is not.
  const std::string uri = "https://cg.example.com/webhooks/hubspot?a=%28b%29&c=%20d";
  EXPECT_EQ(hubspot::decode_signed_uri(uri), "https://cg.example.com/webhooks/hubspot?a=(b)&c=%20d");
  EXPECT_EQ(hubspot::decode_signed_uri("%3a%2F%3F%40%21%24%27%2A%2C%3B%25"), ":/?@!$'*,;%25");
  // Expected value computed independently: printf '%s' 'POST<decoded uri><body><ts>' | openssl dgst -sha256 -hmac … | base64
  const std::string sig = "c3EqdSAtDy9TK7vJfcyqVYTZnMJ+cq4Tas+lHBO9vC0=";
  EXPECT_EQ(hubspot::sign_v3(secret, "POST", uri, body, ts), sig);
  const std::int64_t t = 1732406400000;
  EXPECT_TRUE(hubspot::verify_v3(secret, "POST", uri, body, ts, sig, t + 1000));
  EXPECT_TRUE(hubspot::verify_v3(secret, "POST", uri, body, ts, sig, t + 299'000));
  auto stale = hubspot::verify_v3(secret, "POST", uri, body, ts, sig, t + 300'001);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("older than 5 minutes"), std::string::npos);
  EXPECT_FALSE(hubspot::verify_v3(secret, "POST", uri, body + " ", ts, sig, t));        // body changed
  EXPECT_FALSE(hubspot::verify_v3("other-secret", "POST", uri, body, ts, sig, t));      // wrong secret
  EXPECT_FALSE(hubspot::verify_v3(secret, "POST", uri + "&x=1", body, ts, sig, t));     // URL changed
  EXPECT_FALSE(hubspot::verify_v3(secret, "POST", uri, body, "17324064000001", sig, t)); // timestamp changed
  EXPECT_FALSE(hubspot::verify_v3(secret, "POST", uri, body, "", sig, t));
  auto bad = hubspot::verify_v3(secret, "POST", uri, body, ts, "AAAA", t);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find(secret), std::string::npos);
}

TEST(Webhook, EventBatches) {
  auto e = hubspot::parse_webhook_events(
      R"([{"eventId":100,"subscriptionType":"ticket.creation","objectId":9001,"occurredAt":1732406400000},
          {"eventId":"101","subscriptionType":"company.propertyChange","objectId":"512"}])");
  ASSERT_TRUE(e);
  ASSERT_EQ(e->size(), 2u);
  EXPECT_EQ((*e)[0].event_id, "100");
  EXPECT_EQ((*e)[0].object_id, "9001");
  EXPECT_EQ((*e)[1].subscription_type, "company.propertyChange");
  EXPECT_FALSE(hubspot::parse_webhook_events(R"({"eventId":1})"));
  EXPECT_FALSE(hubspot::parse_webhook_events(R"([{"subscriptionType":"x"}])"));
  std::string many = "[";
  for (int i = 0; i < 101; ++i) many += std::string(i ? "," : "") + R"({"eventId":1,"subscriptionType":"x"})";
  EXPECT_FALSE(hubspot::parse_webhook_events(many + "]"));
}

// Found by fuzz_webhook: a fractional or huge occurredAt threw out of the parser.
TEST(Webhook, NonIntegerTimeIsANamedErrorNotAnException) {
  for (const char* t : {"1.5", "1e30", "-1e300"}) {
    auto e = hubspot::parse_webhook_events(std::string(R"([{"eventId":1,"subscriptionType":"x","occurredAt":)") + t + "}]");
    ASSERT_FALSE(e) << t;
    EXPECT_NE(e.error().message.find("occurredAt"), std::string::npos) << e.error().message;
  }
}
