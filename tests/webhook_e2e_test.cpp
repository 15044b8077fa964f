// A webhook round trip: a new negative ticket in the CRM reaches the customer's ChurnGuard
// fields within 2 seconds, through HubSpot's signed webhook, an incremental sync and a re-score.
#include "connectors/hubspot/webhook.hpp"
#include "connectors/transport/https_client.hpp"
#include "daemon/app/app.hpp"
#include "daemon/app/dashboard.hpp"
#include "daemon/app/routes.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "tests/support/sim_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace cg;

namespace {
std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}
}  // namespace

TEST(WebhookEndToEnd, NewNegativeTicketChangesFieldsWithinTwoSeconds) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(300, 1), SystemClock{}.now_ms()));
  const auto port = free_port();
  const std::string hook = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hubspot";
  ::setenv("CG_WH_TOKEN", test::sim_token, 1);
  ::setenv("CG_WH_SECRET", "client-secret-for-tests-0123", 1);
  auto dir = test::temp_dir("cg-webhook");
  std::string yaml = "crm: hubspot\nstate_dir: " + dir.string() + "\nhubspot:\n  base_url: " + s.base_url() +
                     "\n  ca_file: " + s.ca_file() + "\n  token: {env: CG_WH_TOKEN}\n  search_requests_per_second: 80\n"
                     "  webhook_url: " + hook + "\n  client_secret: {env: CG_WH_SECRET}\n"
                     "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
                     "model:\n  label: {property: churned}\n  numeric_properties: [tenure_months, monthly_charges]\n"
                     "  rounds: 40\nhttp: {port: " + std::to_string(port) + "}\nschedule: {interval_seconds: 3600}\n";
  auto cfg = config::parse_config(yaml, "webhook.yaml");
  ASSERT_TRUE(cfg) << cfg.error().what();
  s.sim().set_webhook(hook, "client-secret-for-tests-0123");

  boost::asio::io_context io;
  auto app = app::App::create(*cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  ASSERT_TRUE(app::run_sync(io, (*app)->run_pipeline(true, true)));
  http::Server server(io, {"127.0.0.1", port, nullptr, 1u << 20, std::chrono::seconds(10), "churnguard"},
                      app::make_routes(**app));
  ASSERT_TRUE(server.start());
  boost::asio::co_spawn(io, (*app)->serve_loop(), boost::asio::detached);
  std::thread daemon([&] { io.run(); });
  for (int i = 0; i < 200 && (*app)->completed_runs() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE((*app)->completed_runs(), 1u);

  // A happy customer (not a churner in the seed) files an angry ticket.
  const std::string customer = "100001";
  const auto before_score = s.sim().property("companies", customer, "churnguard_risk_score");
  const auto before_sentiment = s.sim().property("companies", customer, "churnguard_sentiment");
  ASSERT_TRUE(before_score && before_sentiment);
  ASSERT_GT(std::stoi(*before_sentiment), 0);

  boost::asio::io_context cio;
  auto client = transport::HttpsClient::create(cio.get_executor(), {s.base_url(), s.ca_file()});
  ASSERT_TRUE(client);
  transport::Request create{boost::beast::http::verb::post, "/crm/v3/objects/tickets",
                            R"({"properties":{"subject":"Outage","content":"Terrible service, it is broken again and I want to cancel.","hs_pipeline_stage":"1"},
                                "associations":[{"to":{"id":")" + customer + R"("},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":339}]}]})"};
  create.headers.emplace_back("Authorization", std::string("Bearer ") + test::sim_token);
  const auto t0 = std::chrono::steady_clock::now();
  auto created = app::run_sync(cio, (*client)->send(std::move(create)));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201u) << created->body;

  std::optional<std::string> after_sentiment;
  double seconds = 0;
  while ((seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) < 5) {
    after_sentiment = s.sim().property("companies", customer, "churnguard_sentiment");
    if (after_sentiment != before_sentiment) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  io.stop();
  daemon.join();
  EXPECT_EQ(s.sim().webhooks_delivered(), 1);
  ASSERT_NE(after_sentiment, before_sentiment) << "fields did not change within 5 s";
  EXPECT_LT(std::stoi(*after_sentiment), std::stoi(*before_sentiment));
  EXPECT_LE(seconds, 2.0) << "webhook to field took " << seconds << " s";
  std::cout << "webhook to field: " << seconds * 1000 << " ms; score " << *before_score << " -> "
            << s.sim().property("companies", customer, "churnguard_risk_score").value_or("?") << "\n";
  std::filesystem::remove_all(dir);
}

TEST(WebhookEndToEnd, ForgedAndStaleWebhooksAreRefused) {
  test::SimServer s;
  ::setenv("CG_WH_TOKEN", test::sim_token, 1);
  ::setenv("CG_WH_SECRET", "client-secret-for-tests-0123", 1);
  ::setenv("CG_API_TOKEN", "api-token-for-tests-456789", 1);
  auto dir = test::temp_dir("cg-webhook");
  std::string yaml = "crm: hubspot\nstate_dir: " + dir.string() + "\nhubspot:\n  base_url: " + s.base_url() +
                     "\n  token: {env: CG_WH_TOKEN}\n  webhook_url: https://cg.example.com/webhooks/hubspot\n"
                     "  client_secret: {env: CG_WH_SECRET}\napi:\n  token: {env: CG_API_TOKEN}\n"
                     "model:\n  label: {property: churned}\n";
  auto cfg = config::parse_config(yaml, "webhook.yaml");
  ASSERT_TRUE(cfg) << cfg.error().what();
  boost::asio::io_context io;
  auto app = app::App::create(*cfg, io);
  ASSERT_TRUE(app);
  auto handler = app::make_routes(**app);
  auto call = [&](http::Request req) {
    auto r = app::run_sync(io, [&]() -> boost::asio::awaitable<Result<http::Response>> { co_return co_await handler(req); }());
    return *r;
  };
  const std::string body = R"([{"eventId":7,"subscriptionType":"ticket.creation","objectId":1}])";
  auto hook = [&](std::int64_t ts, const std::string& secret) {
    http::Request req{boost::beast::http::verb::post, "/webhooks/hubspot", 11};
    req.body() = body;
    req.set("X-HubSpot-Request-Timestamp", std::to_string(ts));
    req.set("X-HubSpot-Signature-v3",
            hubspot::sign_v3(secret, "POST", "https://cg.example.com/webhooks/hubspot", body, std::to_string(ts)));
    return req;
  };
  const auto now = SystemClock{}.now_ms();
  EXPECT_EQ(call(hook(now, "client-secret-for-tests-0123")).result_int(), 200u);
  EXPECT_EQ(call(hook(now, "forged-secret")).result_int(), 401u);
  EXPECT_EQ(call(hook(now - 301'000, "client-secret-for-tests-0123")).result_int(), 401u);

  // The events endpoint: token required, bad lines reported, duplicates skipped.
  auto events = [&](const std::string& token, const std::string& b) {
    http::Request req{boost::beast::http::verb::post, "/api/v1/events", 11};
    req.set(boost::beast::http::field::authorization, "Bearer " + token);
    req.body() = b;
    return call(req);
  };
  const std::string good = R"({"id":"u1","customer_id":"1","event":"login","timestamp":1795528931123})";
  EXPECT_EQ(events("wrong-token-000000000", good).result_int(), 401u);
  auto first = events("api-token-for-tests-456789", good + "\n{broken\n");
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_NE(first.body().find(R"("accepted":1)"), std::string::npos) << first.body();
  EXPECT_NE(first.body().find(R"("line":2)"), std::string::npos) << first.body();
  auto again = events("api-token-for-tests-456789", good);
  EXPECT_NE(again.body().find(R"("duplicates":1)"), std::string::npos) << again.body();
  EXPECT_EQ(events("api-token-for-tests-456789", "{broken").result_int(), 400u);
  EXPECT_EQ((*app)->store().counts().activities, 1);
  std::filesystem::remove_all(dir);
}

// The dashboard document is computed once and served from the cache until a pass completes,
// events arrive (invalidate) or the minute changes; never a stale document after those.
TEST(DashboardCache, RecomputedAfterInvalidateOrANewMinuteOnly) {
  test::SimServer s;
  ASSERT_TRUE(s.sim().load_seed(test::make_seed(60, 3), SystemClock{}.now_ms()));
  ::setenv("CG_DC_TOKEN", test::sim_token, 1);
  auto dir = test::temp_dir("cg-dashcache");
  std::string yaml = "crm: hubspot\nstate_dir: " + dir.string() + "\nhubspot:\n  base_url: " + s.base_url() +
                     "\n  ca_file: " + s.ca_file() + "\n  token: {env: CG_DC_TOKEN}\n"
                     "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
                     "model:\n  label: {property: churned}\n  numeric_properties: [tenure_months, monthly_charges]\n"
                     "  rounds: 20\n";
  auto cfg = config::parse_config(yaml, "dashcache.yaml");
  ASSERT_TRUE(cfg) << cfg.error().what();
  boost::asio::io_context io;
  auto app = app::App::create(*cfg, io);
  ASSERT_TRUE(app) << app.error().what();
  ASSERT_TRUE(app::run_sync(io, (*app)->run_pipeline(true, true)));

  app::DashboardCache cache;
  // The start of this minute, so that t + 1 s is still in it (the cache's other key).
  const std::int64_t t = SystemClock{}.now_ms() / 60'000 * 60'000;
  const std::string first = cache.get(**app, t);
  ASSERT_NE(first.find("\"tiers\""), std::string::npos);
  // The store changes behind the server's back (as a `churnguard run` in another process would).
  auto latest = (*app)->store().latest_scores();
  ASSERT_FALSE(latest.empty());
  std::vector<store::Score> changed;
  for (auto [id, sc] : latest) {
    sc.score = 99, sc.tier = "critical", sc.scored_ms = t;
    changed.push_back(sc);
  }
  ASSERT_TRUE((*app)->store().save_scores(changed));
  ASSERT_NE(app::dashboard_json(**app, t), first) << "the change shows when computed afresh";
  EXPECT_EQ(cache.get(**app, t + 1000), first) << "served from the cache within the minute";
  cache.invalidate();
  const std::string fresh = cache.get(**app, t + 1000);
  EXPECT_NE(fresh, first);
  EXPECT_EQ(fresh, app::dashboard_json(**app, t + 1000));
  app::DashboardCache other;
  (void)other.get(**app, t);
  EXPECT_EQ(other.get(**app, t + 60'000), app::dashboard_json(**app, t + 60'000)) << "a new minute recomputes";
  std::filesystem::remove_all(dir);
}
