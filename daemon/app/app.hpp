#pragma once
// The composition root: builds every component from the config in dependency order (store,
// connector, sentiment model, HTTP server) and tears them down in reverse. The only place that
// names a concrete connector. Not thread-safe: everything runs on one io_context thread.
#include "config/config.hpp"
#include "connectors/api/crm_connector.hpp"
#include "daemon/plays/measure.hpp"
#include "daemon/plays/plays.hpp"
#include "daemon/scoring/scoring.hpp"
#include "daemon/store/store.hpp"
#include "daemon/sync/sync.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <set>

namespace cg::sentiment { class SentimentModel; }

namespace cg::app {

struct PipelineReport {
  sync::PullStats pulled;
  std::size_t texts_scored = 0;
  std::optional<scoring::TrainOutcome> trained;
  scoring::ScoreOutcome scored;
  plays::RunStats plays;
  std::size_t tasks_created = 0, webhooks_sent = 0, actions_failed = 0;
  sync::PlanStats planned;
  sync::FlushStats flushed;
  crm::ApiUsage usage;
  double seconds = 0;
  std::map<std::string, double> stage_seconds;  // pull, sentiment, train, score, write-back
};

class App {
 public:
  static Result<std::unique_ptr<App>> create(const config::Config& cfg, boost::asio::io_context& io);
  ~App();

  boost::asio::awaitable<Result<std::vector<std::string>>> setup_fields(bool dry_run);
  boost::asio::awaitable<Result<std::vector<std::string>>> setup_workflows(bool dry_run);
  boost::asio::awaitable<Result<sync::PullStats>> pull(bool full);
  Result<std::size_t> score_texts();
  Result<scoring::TrainOutcome> train();
  // Scores every customer, or only `only`.
  Result<scoring::ScoreOutcome> score(const std::set<std::string>* only = nullptr);
  boost::asio::awaitable<Result<sync::FlushStats>> write_back();
  // Retention plays: outcomes and enrolments (store only), then their CRM tasks and webhooks.
  Result<plays::RunStats> run_plays();
  struct ActionStats {
    std::size_t tasks = 0, webhooks = 0, failed = 0;
  };
  boost::asio::awaitable<Result<ActionStats>> play_actions();
  std::vector<plays::PlayReport> play_report() const;
  // The fields retention plays set on a batch of customers (write-back and the dashboard).
  sync::FieldsOf play_fields() const;
  boost::asio::awaitable<Result<std::pair<std::size_t, std::size_t>>> send_play_webhooks(
      const std::vector<std::pair<const store::PlayAssignment*, const config::PlayConfig*>>& hooks);
  // sync -> sentiment -> train -> score -> write-back. Training happens when `train` says so,
  // or (nullopt) when there is no model or the active one is older than retrain_interval_hours.
  boost::asio::awaitable<Result<PipelineReport>> run_pipeline(bool full, std::optional<bool> train);

  // serve: the pipeline every schedule.interval_seconds, and an incremental pass (no training)
  // as soon as a webhook asks for one. Runs until the io_context stops.
  boost::asio::awaitable<void> serve_loop();
  // Wakes serve_loop for an incremental pass; cheap, callable from any handler on the io thread.
  void request_resync(const std::string& why);

  // Product-usage events: stores the good ones (duplicates by id skipped).
  struct IngestReport {
    std::size_t accepted = 0, duplicates = 0;
    std::vector<std::pair<std::size_t, std::string>> rejected;
  };
  Result<IngestReport> ingest_events(const std::string& body);

  const Secret* api_token() const { return api_token_ ? &*api_token_ : nullptr; }
  const Secret* webhook_secret() const { return webhook_secret_ ? &*webhook_secret_ : nullptr; }
  const Secret* salesforce_webhook_token() const { return sf_webhook_token_ ? &*sf_webhook_token_ : nullptr; }

  // What serve_loop has done, for the status page and /metrics.
  struct RunState {
    std::optional<PipelineReport> last;
    std::string last_error;
    std::int64_t last_run_ms = 0;
    std::uint64_t runs = 0, webhook_runs = 0;
    std::map<std::string, int> tiers;  // customers per tier, as the last scheduled pass scored everyone
  };
  const RunState& state() const { return state_; }
  // Passes serve_loop has finished; safe to read from another thread (tests).
  std::uint64_t completed_runs() const { return completed_runs_.load(); }

  store::Store& store() { return *store_; }
  crm::CrmConnector& crm() { return *crm_; }
  const config::Config& config() const { return cfg_; }

 private:
  explicit App(const config::Config& cfg);
  Result<void> load_sentiment();
  boost::asio::awaitable<Result<PipelineReport>> pipeline(bool full, std::optional<bool> train, bool ensure_fields,
                                                          bool only_touched = false);
  // NB: GCC 12 double-destroys brace-initialised temporaries inside co_await expressions;
  // build arguments in named variables first.
  config::Config cfg_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<crm::CrmConnector> crm_;
  std::unique_ptr<sentiment::SentimentModel> sentiment_;
  std::optional<Secret> api_token_, webhook_secret_, sf_webhook_token_, plays_webhook_secret_;
  std::unique_ptr<boost::asio::steady_timer> wake_;
  bool resync_pending_ = false, fields_ready_ = false;
  RunState state_;
  std::atomic<std::uint64_t> completed_runs_{0};
};

std::string format_report(const PipelineReport& r, const std::string& crm_url);

}  // namespace cg::app
