#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/sync/sync.hpp"

namespace cg::sync {

boost::asio::awaitable<Result<PullStats>> pull(crm::CrmConnector& crm, store::Store& st, bool full) {
  PullStats stats;
  std::set<std::string> owner_ids;
  for (auto kind : {crm::ObjectKind::customers, crm::ObjectKind::tickets, crm::ObjectKind::emails,
                    crm::ObjectKind::contacts, crm::ObjectKind::comments, crm::ObjectKind::tasks, crm::ObjectKind::renewals}) {
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
  // The owners' watermark is the last listing tried; a failed one (tried after the last that
  // succeeded) is not tried again for an unknown owner, only after kOwnersMaxAge or on a full
  // pull, so an app without the owners scope costs one refused call a day, not one a pass.
  const auto now = SystemClock{}.now_ms();
  const std::string key = crm.name() + ".owners";
  const auto tried = st.watermark(key);
  const bool failed_last = tried > st.owners_refreshed_ms().value_or(0);
  if (full || now - tried > kOwnersMaxAge || (!failed_last && !st.unknown_owners(owner_ids).empty())) {
    if (auto marked = st.advance_watermark(key, now); !marked) co_return marked.error();
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
