#pragma once
// The daemon's state in one SQLite file (WAL): customers, activities, texts with sentiment,
// sync watermarks, models, score history and the outbox of CRM writes. Every pulled page and
// every outbox transition is one transaction, so a crash loses at most the page in flight.
// Not thread-safe: one Store per thread (SQLite connections are not shared).
#include "connectors/api/types.hpp"
#include "daemon/core/error.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace SQLite { class Database; }

namespace cg::store {

inline constexpr int schema_version = 8;

struct Customer {
  std::string id;
  std::string name;
  crm::Properties properties;
  crm::Properties churnguard;  // our fields as last seen in the CRM
  std::int64_t modified_ms = 0;
};

// kind: ticket | email_out | email_in | usage
struct Activity {
  std::string id, kind, customer_id;
  std::int64_t occurred_ms = 0;
  std::optional<std::int64_t> closed_ms;
  std::optional<double> sentiment;  // of its text, -100..100, once scored
  std::optional<double> value;      // usage: seconds; email_out: 1 if opened, 0 if not
};

// Marketing e-mail counters summed over a customer's contacts.
struct MarketingStats {
  double delivered = 0, opened = 0;
};

struct Text {
  std::string id, customer_id, body;
};

struct ModelRecord {
  std::int64_t id = 0;
  std::string version;
  std::int64_t created_ms = 0;
  std::string algorithm;
  std::string features_json;  // feature spec
  std::string metrics_json;
  std::string blob;           // the booster, XGBoost UBJSON
  std::string transform_json = "{}";  // standardisation and calibration (model::Model)
  std::string details_json = "{}";    // training window, candidates, metrics, curves, drift baseline
  bool active = false;
};

struct PlayAssignment {
  std::int64_t id = 0;
  std::string play_id, customer_id, arm;  // arm: treatment | holdout
  std::int64_t assigned_ms = 0, ends_ms = 0;
  int score = 0;
  double offer_value = 0;
  std::optional<std::string> outcome;     // churned | retained, once the window ended
  std::optional<std::int64_t> outcome_ms;
};

struct FeatureDrift {
  std::string source;
  double psi = 0;
  std::int64_t computed_ms = 0;
};

struct Score {
  std::string customer_id;
  std::int64_t scored_ms = 0;
  std::int64_t model_id = 0;
  double probability = 0;
  int score = 0;
  std::string tier;
  std::string reasons;
  std::optional<double> sentiment;   // support sentiment, -100..100
  std::optional<double> engagement;  // engagement index, 0..100
};

struct PlayTally {
  std::string play_id, arm;
  std::optional<std::string> outcome;
  std::size_t n = 0, since = 0;  // since: enrolled after the `since_ms` asked for
  double offer_value = 0;
};

// The score in force at `ms` in a history from Store::score_history_of, or null.
const Score* score_at(const std::vector<Score>& history, std::int64_t ms);

struct OutboxEntry {
  std::int64_t id = 0;
  std::string customer_id;
  std::map<std::string, std::string> fields;
  int attempts = 0;
};

struct Counts {
  std::int64_t customers = 0, activities = 0, texts = 0, texts_scored = 0, models = 0, scores = 0,
               outbox_pending = 0, outbox_done = 0, outbox_failed = 0;
};

// A pass over the whole book (scoring, write-back planning, plays, the dashboard) reads its
// customers this many at a time, so that memory holds one batch, not every customer.
inline constexpr std::size_t kCustomerBatch = 5'000;

// Calls fn(batch) with successive sets of at most `size` of `ids`, in order; stops at the first
// error fn returns.
template <class Fn>
Result<void> for_each_batch(const std::vector<std::string>& ids, std::size_t size, Fn&& fn) {
  for (std::size_t from = 0; from < ids.size(); from += size) {
    const std::set<std::string> batch(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                      ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), from + size)));
    if (Result<void> r = fn(batch); !r) return r.error();
  }
  return {};
}

class Store {
 public:
  // Opens (creating with mode 0600) and migrates the database. ":memory:" for tests.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();

  [[nodiscard]] int version() const;

  // Upserts a pulled page and advances the watermark of `object` in one transaction.
  Result<void> store_batch(const std::string& object, const crm::PullBatch& batch);
  [[nodiscard]] std::int64_t watermark(const std::string& object) const;
  // Moves the watermark of `object` to `ms` (never back), for what is synced without pages.
  Result<void> advance_watermark(const std::string& object, std::int64_t ms);

  [[nodiscard]] std::vector<Customer> customers() const;
  [[nodiscard]] std::vector<Activity> activities() const;
  // Ids of every customer not archived, ordered (no properties parsed).
  [[nodiscard]] std::vector<std::string> customer_ids() const;
  // The same for a few customers (an incremental re-score).
  [[nodiscard]] std::vector<Customer> customers_of(const std::set<std::string>& ids) const;
  [[nodiscard]] std::vector<Activity> activities_of(const std::set<std::string>& ids) const;
  // The CRM user who owns each of these customers' records (customers without one are left out).
  [[nodiscard]] std::map<std::string, std::string> owners_of(const std::set<std::string>& ids) const;
  // The CRM's users who own records, as last listed: replaced whole in one transaction.
  Result<void> replace_owners(const std::vector<crm::Owner>& owners, std::int64_t now_ms);
  [[nodiscard]] std::map<std::string, crm::Owner> owner_details(const std::set<std::string>& owner_ids) const;
  // Of these owner ids, those the last listing did not hold.
  [[nodiscard]] std::set<std::string> unknown_owners(const std::set<std::string>& owner_ids) const;
  [[nodiscard]] std::optional<std::int64_t> owners_refreshed_ms() const;
  // Usage events per customer since `since_ms`, for population-relative measures.
  [[nodiscard]] std::map<std::string, double> usage_counts_since(std::int64_t since_ms) const;
  [[nodiscard]] std::map<std::string, MarketingStats> marketing_stats() const;
  [[nodiscard]] std::map<std::string, MarketingStats> marketing_stats_of(const std::set<std::string>& ids) const;
  // When each customer lost a renewal: the close date of its first renewal (activity kind
  // "renewal") that closed lost (value 0), by customer id. The churn date of
  // model.label.renewal_types.
  [[nodiscard]] std::map<std::string, std::int64_t> lost_renewals() const;
  [[nodiscard]] std::map<std::string, std::int64_t> lost_renewals_of(const std::set<std::string>& ids) const;
  // Stores product-usage events; an id already stored is skipped. Returns how many were new.
  Result<std::size_t> add_usage_events(const std::vector<crm::ActivityRecord>& events);
  [[nodiscard]] std::vector<Text> unscored_texts(std::size_t limit) const;
  Result<void> set_sentiments(const std::vector<std::pair<std::string, double>>& scores, const std::string& model);

  Result<std::int64_t> save_model(const ModelRecord& m);
  Result<void> activate_model(std::int64_t id);
  [[nodiscard]] std::optional<ModelRecord> active_model() const;
  // Every model, newest first, without blobs.
  [[nodiscard]] std::vector<ModelRecord> models() const;
  // One model by id or version.
  [[nodiscard]] std::optional<ModelRecord> model(const std::string& id_or_version) const;
  // Replaces the stored drift of a model.
  Result<void> save_drift(std::int64_t model_id, const std::vector<FeatureDrift>& drift);
  [[nodiscard]] std::vector<FeatureDrift> drift(std::int64_t model_id) const;

  // Retention plays.
  Result<std::int64_t> add_assignment(const PlayAssignment& a);
  [[nodiscard]] std::vector<PlayAssignment> assignments() const;  // oldest first
  [[nodiscard]] std::vector<PlayAssignment> assignments_of(const std::set<std::string>& customer_ids) const;  // oldest first
  // Treatment-arm enrolments whose window is still open at `now_ms`, oldest first.
  [[nodiscard]] std::vector<PlayAssignment> open_treatments(std::int64_t now_ms) const;
  // Counts and offer value per (play, arm, outcome), and how many were enrolled after `since_ms`.
  [[nodiscard]] std::vector<PlayTally> play_tallies(std::int64_t since_ms) const;
  Result<void> set_outcome(std::int64_t id, const std::string& outcome, std::int64_t ms);
  Result<void> record_action(std::int64_t assignment_id, const std::string& action, bool ok, const std::string& detail,
                             std::int64_t ms);
  // (assignment id, action) pairs already done, for enrolments still open at `now_ms`.
  [[nodiscard]] std::set<std::pair<std::int64_t, std::string>> done_actions(std::int64_t now_ms) const;

  Result<void> save_scores(const std::vector<Score>& scores);
  [[nodiscard]] std::map<std::string, Score> latest_scores() const;
  // Each customer's score from the latest scoring at or before `ms`.
  [[nodiscard]] std::map<std::string, int> scores_as_of(std::int64_t ms) const;
  // Each customer's whole latest score at or before `ms`.
  [[nodiscard]] std::map<std::string, Score> score_snapshot(std::int64_t ms) const;
  // For each of `ids` that has scores: its score in force at `from_ms` (if any) and every later
  // one, oldest first; score_at() then gives its score at any time from `from_ms` on. A pass over
  // the whole book reads this per batch of customers.
  [[nodiscard]] std::map<std::string, std::vector<Score>> score_history_of(const std::set<std::string>& ids,
                                                                           std::int64_t from_ms) const;

  // What we last wrote successfully to each customer's CRM record.
  [[nodiscard]] std::map<std::string, std::map<std::string, std::string>> written_fields() const;
  [[nodiscard]] std::map<std::string, std::map<std::string, std::string>> written_fields_of(const std::set<std::string>& ids) const;
  // Queues fields for a customer, replacing any not-yet-sent entry for the same customer.
  Result<void> enqueue(const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& writes,
                       std::int64_t now_ms);
  // Pending entries with fewer than `max_attempts` attempts, by id: the first `limit` after `after_id`.
  [[nodiscard]] std::vector<OutboxEntry> pending_writes(int max_attempts, std::int64_t after_id = 0,
                                                        std::size_t limit = SIZE_MAX) const;
  Result<void> mark_written(const std::vector<std::int64_t>& ids, std::int64_t now_ms);
  Result<void> mark_failed(std::int64_t id, const std::string& error, bool retryable, std::int64_t now_ms);

  [[nodiscard]] Counts counts() const;

 private:
  explicit Store(std::unique_ptr<SQLite::Database> db);
  Result<void> migrate();
  void advance(const std::string& object, std::int64_t ms);  // throws; inside the caller's transaction, if any
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace cg::store
