#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/sync/sync.hpp"

namespace cg::sync {

boost::asio::awaitable<Result<PullStats>> pull(crm::CrmConnector& crm, store::Store& st, bool full) {
  PullStats stats;
  std::set<std::string> owner_ids;
  for (auto kind : {crm::ObjectKind::customers, crm::ObjectKind::tickets, crm::ObjectKind::emails,
                    crm::ObjectKind::contacts, crm::ObjectKind::comments, crm::ObjectKind::tasks}) {
    const std::string object = crm.name() + "." + crm::to_string(kind);
    const std::int64_t since = full ? 0 : st.watermark(object);
    crm::BatchSink sink = [&](crm::PullBatch&& b) -> Result<void> {
      stats.customers += b.customers.size();
      stats.activities += b.activities.size();
      stats.contacts += b.contacts.size();
      for (const auto& c : b.customers) {
        stats.touched.insert(c.id);
        if (!c.owner_id.empty()) owner_ids.insert(c.owner_id);
      }
      for (const auto& a : b.activities)
        if (!a.customer_id.empty()) stats.touched.insert(a.customer_id);
      for (const auto& c : b.contacts)
        if (!c.customer_id.empty()) stats.touched.insert(c.customer_id);
      ++stats.pages;
      return st.store_batch(object, b);
    };
    auto r = co_await crm.pull(kind, since, std::move(sink));
    if (!r) co_return make_error(r.error().kind, "pulling " + object + ": " + r.error().message);
    log::info("sync", "pulled " + object + " since " + std::to_string(since));
  }
  const auto now = SystemClock{}.now_ms();
  const auto listed = st.owners_refreshed_ms();
  if (full || !listed || now - *listed > kOwnersMaxAge || !st.unknown_owners(owner_ids).empty()) {
    auto owners = co_await crm.list_owners();
    if (!owners) {
      log::warn("sync", "listing " + crm.name() + " owners: " + owners.error().what() + "; keeping the last list");
    } else if (auto saved = st.replace_owners(*owners, now); !saved) {
      co_return saved.error();
    } else {
      stats.owners = owners->size();
    }
  }
  co_return stats;
}

}  // namespace cg::sync
