#pragma once
// The one interface the daemon sees of a CRM. Implementations: HubSpot (connectors/hubspot),
// Salesforce (connectors/salesforce). Not thread-safe: one connector is used from one strand.
#include "connectors/api/types.hpp"
#include "daemon/core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace cg::crm {

template <class T>
using Task = boost::asio::awaitable<Result<T>>;

// Receives each pulled page; the connector goes on only if it returns success, so a page is
// stored before the next is fetched and the watermark never runs ahead of the data.
using BatchSink = std::function<Result<void>(PullBatch&&)>;

class CrmConnector {
 public:
  virtual ~CrmConnector() = default;

  // One cheap authenticated call, to check the credentials and reachability.
  virtual Task<void> check_connection() = 0;
  // Creates the ChurnGuard property group and fields if missing; idempotent. Returns what it created.
  virtual Task<std::vector<std::string>> ensure_fields(bool dry_run) = 0;
  // Creates the shipped workflow templates if missing (disabled, for an admin to review and turn
  // on); idempotent by name. Returns what it created or would create.
  virtual Task<std::vector<std::string>> ensure_workflows(bool dry_run) = 0;
  // Pulls every record of `kind` modified at or after `since_ms`, oldest first, page by page.
  virtual Task<void> pull(ObjectKind kind, std::int64_t since_ms, BatchSink sink) = 0;
  // Writes one batch of at most max_write_batch() updates; per-record outcomes in the result.
  virtual Task<WriteResult> write_fields(const std::vector<FieldUpdate>& updates) = 0;
  // Creates tasks on customers' records in as few calls as the CRM allows; per-task results.
  virtual Task<std::vector<TaskResult>> create_tasks(const std::vector<TaskRequest>& tasks) = 0;
  // The users who can own records, active and deactivated, in as few calls as the CRM pages them.
  // An auth error when the app may not read them (HubSpot: crm.objects.owners.read).
  virtual Task<std::vector<Owner>> list_owners() = 0;
  [[nodiscard]] virtual std::size_t max_write_batch() const = 0;
  // How many of `pending` writes to hand to one write_fields call. Salesforce takes them all at
  // once above its Bulk API threshold (one job instead of many 200-record calls).
  [[nodiscard]] virtual std::size_t write_batch_for(std::size_t /*pending*/) const { return max_write_batch(); }
  [[nodiscard]] virtual ApiUsage usage() const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

}  // namespace cg::crm
