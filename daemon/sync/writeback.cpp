#include "connectors/api/fields.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/sync/sync.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

namespace cg::sync {

std::map<std::string, std::string> desired_fields(const store::Score& s, std::optional<int> score_30d_ago,
                                                  const std::string& model) {
  std::map<std::string, std::string> f{
      {"risk_score", std::to_string(s.score)},
      {"risk_tier", s.tier},
      {"risk_reasons", s.reasons},
      {"risk_trend", std::to_string(score_30d_ago ? s.score - *score_30d_ago : 0)},
      {"scored_at", format_iso8601(s.scored_ms)},
      {"model", model.substr(0, 64)},
  };
  if (s.sentiment) f["sentiment"] = std::to_string(static_cast<int>(std::lround(*s.sentiment)));
  if (s.engagement) f["engagement"] = std::to_string(static_cast<int>(std::lround(*s.engagement)));
  return f;
}

bool worth_writing(const std::map<std::string, std::string>& want, const std::map<std::string, std::string>& last,
                   int min_change) {
  if (last.empty()) return true;
  auto get = [](const std::map<std::string, std::string>& m, const char* k) {
    auto it = m.find(k);
    return it == m.end() ? std::string() : it->second;
  };
  auto num = [&](const std::map<std::string, std::string>& m, const char* k) { return std::atoi(get(m, k).c_str()); };
  if (std::abs(num(want, "risk_score") - num(last, "risk_score")) >= min_change) return true;
  // Reasons in another order are the same reasons.
  auto reason_set = [](const std::string& s) {
    std::set<std::string> out;
    for (std::size_t i = 0, j; i <= s.size(); i = j + 2) {
      j = s.find("; ", i);
      if (j == std::string::npos) j = s.size();
      if (j > i) out.insert(s.substr(i, j - i));
    }
    return out;
  };
  if (reason_set(get(want, "risk_reasons")) != reason_set(get(last, "risk_reasons"))) return true;
  for (const char* k : {"risk_tier", "risk_trend", "sentiment", "engagement", "next_action", "offer", "holdout"})
    if (get(want, k) != get(last, k)) return true;
  return false;
}

Result<PlanStats> plan_writes(store::Store& st, const config::WritebackConfig& cfg, std::int64_t now,
                              const FieldsOf& extra, const std::set<std::string>* only) {
  PlanStats stats;
  auto model = st.active_model();
  if (!model) return stats;
  const std::int64_t month_ago = now - 30 * ms_per_day;
  const auto ids = only ? std::vector<std::string>(only->begin(), only->end()) : st.customer_ids();
  auto planned = store::for_each_batch(ids, store::kCustomerBatch, [&](const std::set<std::string>& batch) -> Result<void> {
    const auto history = st.score_history_of(batch, month_ago);
    auto written = st.written_fields_of(batch);
    const auto more = extra ? extra(batch) : std::map<std::string, std::map<std::string, std::string>>{};
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> queue;
    for (const auto& cust : st.customers_of(batch)) {
      auto h = history.find(cust.id);
      const store::Score* score = h == history.end() ? nullptr : store::score_at(h->second, std::numeric_limits<std::int64_t>::max());
      if (!score) continue;
      std::optional<int> old;
      if (const auto* then = store::score_at(h->second, month_ago)) old = then->score;
      auto want = desired_fields(*score, old, model->version);
      if (auto pf = more.find(cust.id); pf != more.end())
        for (const auto& [k, v] : pf->second) want[k] = v;
      const auto& last = written[cust.id];
      if (!worth_writing(want, last, cfg.min_score_change)) {
        ++stats.unchanged;
        continue;
      }
      // A person changed one of our fields in the CRM since we wrote it: leave it unless allowed.
      if (!cfg.overwrite_human_edits && !last.empty()) {
        bool edited = false;
        for (const auto& [k, v] : cust.churnguard)
          if (auto w = last.find(k); w != last.end() && w->second != v && k != "scored_at") edited = true;
        if (edited) {
          ++stats.human_edited;
          continue;
        }
      }
      queue.emplace_back(cust.id, std::move(want));
    }
    if (auto r = st.enqueue(queue, now); !r) return r.error();
    stats.queued += queue.size();
    return {};
  });
  if (!planned) return planned.error();
  return stats;
}

namespace {

// A write the CRM already holds (we crashed after it succeeded, before we recorded it; the pull
// since then shows the values) is marked done without sending it again. Returns the rest.
Result<std::vector<store::OutboxEntry>> drop_already_held(store::Store& st, std::vector<store::OutboxEntry> pending,
                                                          FlushStats& stats, std::int64_t now) {
  std::set<std::string> ids;
  for (const auto& e : pending) ids.insert(e.customer_id);
  std::map<std::string, crm::Properties> in_crm;
  for (auto& c : st.customers_of(ids)) in_crm.emplace(c.id, std::move(c.churnguard));
  std::vector<std::int64_t> already;
  std::vector<store::OutboxEntry> still;
  for (auto& e : pending) {
    auto it = in_crm.find(e.customer_id);
    bool held = it != in_crm.end() && !e.fields.empty();
    for (const auto& [k, v] : e.fields) {
      if (!held) break;
      auto f = it->second.find(k);
      held = f != it->second.end() ? f->second == v : v.empty();
    }
    if (held) already.push_back(e.id);
    else still.push_back(std::move(e));
  }
  if (!already.empty()) {
    if (auto m = st.mark_written(already, now); !m) return m.error();
    stats.already_in_crm += already.size();
    log::info("writeback", std::to_string(already.size()) + " queued writes were already in the CRM; not sent again");
  }
  return still;
}

}  // namespace

boost::asio::awaitable<Result<FlushStats>> flush_outbox(crm::CrmConnector& crm, store::Store& st,
                                                        const config::WritebackConfig& cfg) {
  FlushStats stats;
  SystemClock clock;
  // The outbox is read a page at a time, by id, so a million queued writes never sit in memory
  // at once; an entry that fails and stays pending is not read again in this flush.
  for (std::int64_t after = 0;;) {
    auto page = st.pending_writes(cfg.max_attempts, after, kFlushPage);
    if (page.empty()) break;
    after = page.back().id;
    auto kept = drop_already_held(st, std::move(page), stats, clock.now_ms());
    if (!kept) co_return kept.error();
    const auto& pending = *kept;
    const std::size_t chunk = std::max<std::size_t>(1, crm.write_batch_for(pending.size()));
    for (std::size_t i = 0; i < pending.size(); i += chunk) {
      const auto end = std::min(pending.size(), i + chunk);
      std::vector<crm::FieldUpdate> batch;
      std::map<std::string, std::int64_t> entry_of;
      for (std::size_t j = i; j < end; ++j) {
        batch.push_back({pending[j].customer_id, pending[j].fields});
        entry_of[pending[j].customer_id] = pending[j].id;
      }
      auto r = co_await crm.write_fields(batch);
      ++stats.calls;
      if (!r) co_return r.error();  // whole call failed: entries stay pending for the next run
      std::vector<std::int64_t> done;
      for (const auto& id : r->succeeded) done.push_back(entry_of[id]);
      if (auto m = st.mark_written(done, clock.now_ms()); !m) co_return m.error();
      stats.written += done.size();
      for (const auto& f : r->failed) {
        if (auto m = st.mark_failed(entry_of[f.customer_id], f.message, f.retryable, clock.now_ms()); !m)
          co_return m.error();
        (f.retryable ? stats.retry_later : stats.failed) += 1;
        log::warn("writeback", "customer " + f.customer_id + ": " + f.message);
      }
    }
  }
  co_return stats;
}

}  // namespace cg::sync
