// The fault suite figure: with 10% of API calls failing at random (5xx), a full sync with
// write-back completes, every customer's fields match a fault-free run's, and the API calls stay
// within 1.2x of the fault-free run's. Once for each CRM; the figures are printed.
#include "daemon/app/app.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "tests/support/sim_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

using namespace cg;

namespace {

struct Outcome {
  std::size_t written = 0, failed = 0;
  std::uint64_t calls = 0, retries = 0;
};

Result<Outcome> run_once(const std::string& yaml, const std::filesystem::path& dir) {
  auto cfg = config::parse_config(yaml + "state_dir: " + dir.string() + "\n", "fault.yaml");
  if (!cfg) return cfg.error();
  boost::asio::io_context io;
  auto app = app::App::create(*cfg, io);
  if (!app) return app.error();
  auto r = app::run_sync(io, (*app)->run_pipeline(true, true));
  if (!r) return r.error();
  return Outcome{r->flushed.written, r->flushed.failed + r->flushed.retry_later, r->usage.calls, r->usage.retries};
}

const char* kModel =
    "sentiment:\n  model_path: " CG_SENTIMENT_MODEL "\n"
    "model:\n  label: {property: churned}\n  numeric_properties: [tenure_months, monthly_charges]\n"
    "  categorical_properties: [contract_type]\n  rounds: 40\n";

}  // namespace

TEST(FaultSuite, HubSpotWithTenPercentFailuresCompletesWithin1_2xCalls) {
  ::setenv("CG_FS_TOKEN", test::sim_token, 1);
  Outcome clean, faulty;
  std::map<std::string, std::string> clean_scores;
  for (double rate : {0.0, 0.1}) {
    auto opts = test::SimServer::fast_options();
    opts.fault_rate = rate;
    opts.fault_seed = 7;
    test::SimServer s(opts);
    ASSERT_TRUE(s.sim().load_seed(test::make_seed(800, 2), SystemClock{}.now_ms()));
    auto dir = test::temp_dir("cg-fault");
    std::string yaml = "crm: hubspot\nhubspot:\n  base_url: " + s.base_url() + "\n  ca_file: " + s.ca_file() +
                       "\n  token: {env: CG_FS_TOKEN}\n  search_requests_per_second: 80\n  max_attempts: 8\n  retry_base_ms: 2\n" + kModel;
    testing::internal::CaptureStderr();
    auto r = run_once(yaml, dir);
    testing::internal::GetCapturedStderr();
    ASSERT_TRUE(r) << "fault rate " << rate << ": " << r.error().what();
    (rate == 0 ? clean : faulty) = *r;
    std::map<std::string, std::string> scores;
    for (int i = 0; i < 800; ++i) {
      auto id = std::to_string(100000 + i);
      scores[id] = s.sim().property("companies", id, "churnguard_risk_tier").value_or("missing");
    }
    if (rate == 0) clean_scores = scores;
    else {
      EXPECT_GT(s.sim().random_faults(), 0);
      EXPECT_EQ(scores, clean_scores) << "a faulty run must end with the same fields";
    }
    std::filesystem::remove_all(dir);
  }
  std::printf("HubSpot, 800 companies: fault-free %llu calls; 10%% failing %llu calls (%.2fx), %llu retried, %zu written, %zu failed\n",
              (unsigned long long)clean.calls, (unsigned long long)faulty.calls, double(faulty.calls) / double(clean.calls),
              (unsigned long long)faulty.retries, faulty.written, faulty.failed);
  EXPECT_EQ(faulty.written, 800u);
  EXPECT_EQ(faulty.failed, 0u);
  EXPECT_GT(faulty.retries, 0u);
  EXPECT_LE(double(faulty.calls), 1.2 * double(clean.calls));
}

TEST(FaultSuite, SalesforceWithTenPercentFailuresCompletesWithin1_2xCalls) {
  Outcome clean, faulty;
  for (double rate : {0.0, 0.1}) {
    sim::SalesforceSimOptions o;
    o.fault_rate = rate;
    o.fault_seed = 11;
    test::SfSimServer s(o);
    ASSERT_TRUE(s.sim().load_seed(test::make_seed(800, 2), SystemClock{}.now_ms()));
    auto dir = test::temp_dir("cg-fault-sf");
    std::string yaml = "crm: salesforce\nsalesforce:\n  login_url: " + s.base_url() + "\n  ca_file: " + s.ca_file() +
                       "\n  client_id: 3MVG9sim.churnguard\n  username: integration@churnguard.example\n"
                       "  private_key: {file: " + s.key_file() + "}\n"
                       "  fields: [Tenure_Months__c, Monthly_Charges__c, Contract_Type__c, Churned__c]\n"
                       "  max_attempts: 8\n  retry_base_ms: 2\n" + kModel;
    testing::internal::CaptureStderr();
    auto r = run_once(yaml, dir);
    testing::internal::GetCapturedStderr();
    ASSERT_TRUE(r) << "fault rate " << rate << ": " << r.error().what();
    (rate == 0 ? clean : faulty) = *r;
    std::filesystem::remove_all(dir);
  }
  std::printf("Salesforce, 800 accounts: fault-free %llu calls; 10%% failing %llu calls (%.2fx), %llu retried, %zu written\n",
              (unsigned long long)clean.calls, (unsigned long long)faulty.calls, double(faulty.calls) / double(clean.calls),
              (unsigned long long)faulty.retries, faulty.written);
  EXPECT_EQ(faulty.written, 800u);
  EXPECT_GT(faulty.retries, 0u);
  EXPECT_LE(double(faulty.calls), 1.2 * double(clean.calls));
}
