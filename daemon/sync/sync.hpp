#pragma once
// Moving data between a CRM and the store: incremental pull by watermark, and write-back
// through the outbox (planned from scores, sent in the CRM's largest batches, marked done only
// on the CRM's per-record success). Sees only connectors/api.
#include "config/config.hpp"
#include "connectors/api/crm_connector.hpp"
#include "daemon/store/store.hpp"

#include <set>

namespace cg::sync {

struct PullStats {
  std::size_t customers = 0, activities = 0, contacts = 0, pages = 0;
  std::size_t owners = 0;         // owners listed (0: the last listing was kept)
  std::set<std::string> touched;  // customers whose record or history changed
};

// Pulls customers then tickets modified since each watermark (or everything when `full`). The
// CRM's owners are listed again on a full pull, when a pulled record names an owner the last
// listing lacked, or when the last try is older than kOwnersMaxAge; a failure to list them is
// logged and the sync goes on (names on the dashboard are an aid, not the data), and is not
// retried for unknown owners until kOwnersMaxAge has passed.
inline constexpr std::int64_t kOwnersMaxAge = 24 * 3600'000;
boost::asio::awaitable<Result<PullStats>> pull(crm::CrmConnector& crm, store::Store& st, bool full);

struct PlanStats {
  std::size_t queued = 0, unchanged = 0, human_edited = 0;
};

// Fields other modules set for a batch of customers (retention plays: next action, offer, holdout).
using FieldsOf = std::function<std::map<std::string, std::map<std::string, std::string>>(const std::set<std::string>& ids)>;

// Compares each customer's latest score (and, when given, the fields `extra` sets for it) with
// what we last wrote and queues only changes, a batch of customers at a time. `only` limits it
// to some customers (those an incremental pass re-scored); a scheduled pass plans for everyone.
Result<PlanStats> plan_writes(store::Store& st, const config::WritebackConfig& cfg, std::int64_t now_ms,
                              const FieldsOf& extra = {}, const std::set<std::string>* only = nullptr);

// The values we would write for one customer now; pure, exposed for tests.
std::map<std::string, std::string> desired_fields(const store::Score& score, std::optional<int> score_30d_ago,
                                                  const std::string& model_version);

// True when `desired` differs from `last` in a way worth an API call.
bool worth_writing(const std::map<std::string, std::string>& desired, const std::map<std::string, std::string>& last,
                   int min_score_change);

struct FlushStats {
  std::size_t written = 0, failed = 0, retry_later = 0, calls = 0;
  std::size_t already_in_crm = 0;  // queued, but the CRM already held the values (after a crash)
};

// Sends what the outbox holds, in the CRM's largest batches, reading at most kFlushPage pending
// writes at a time (on Salesforce, a Bulk API job per page when the page is large enough).
inline constexpr std::size_t kFlushPage = 20'000;
boost::asio::awaitable<Result<FlushStats>> flush_outbox(crm::CrmConnector& crm, store::Store& st,
                                                        const config::WritebackConfig& cfg);

}  // namespace cg::sync
