#include "daemon/plays/plays.hpp"

#include "daemon/core/clock.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

namespace cg::plays {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<std::int64_t> date_of(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v.size() == 10 && v[4] == '-' && v[7] == '-') return parse_timestamp(v + "T00:00:00Z");
  return parse_timestamp(v);
}

}  // namespace

double arm_draw(const std::string& salt, const std::string& play_id, const std::string& customer_id) {
  const std::string key = salt + ":" + play_id + ":" + customer_id;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), md);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | md[i];
  return static_cast<double>(v >> 11) / 9007199254740992.0;  // 53 bits -> [0, 1)
}

std::string arm_for(const std::string& salt, const config::PlayConfig& play, const std::string& customer_id) {
  return arm_draw(salt, play.id, customer_id) < play.holdout ? "holdout" : "treatment";
}

bool matches(const config::PlayCondition& w, const store::Score& s, const store::Customer& c) {
  if (!w.tiers.empty() && std::find(w.tiers.begin(), w.tiers.end(), s.tier) == w.tiers.end()) return false;
  if (s.score < w.min_score || s.score > w.max_score) return false;
  if (!w.reasons_any.empty()) {
    const auto reasons = lower(s.reasons);
    bool any = false;
    for (const auto& r : w.reasons_any) any = any || reasons.find(lower(r)) != std::string::npos;
    if (!any) return false;
  }
  if (w.sentiment_below && !(s.sentiment && *s.sentiment < *w.sentiment_below)) return false;
  if (w.engagement_below && !(s.engagement && *s.engagement < *w.engagement_below)) return false;
  for (const auto& [k, v] : w.properties) {
    auto it = c.properties.find(k);
    if (it == c.properties.end() || lower(it->second) != lower(v)) return false;
  }
  return true;
}

bool churned_by(const store::Customer& c, const config::LabelConfig& label, std::int64_t until,
                const std::map<std::string, std::int64_t>& lost_renewals) {
  if (!label.renewal_types.empty()) {
    auto it = lost_renewals.find(c.id);
    return it != lost_renewals.end() && it->second <= until;
  }
  if (!label.churn_date_property.empty()) {
    auto it = c.properties.find(label.churn_date_property);
    auto d = it == c.properties.end() ? std::nullopt : date_of(it->second);
    return d && *d <= until;
  }
  auto it = c.properties.find(label.property);
  if (it == c.properties.end()) return false;
  const auto v = lower(it->second);
  return std::find(label.positive_values.begin(), label.positive_values.end(), v) != label.positive_values.end();
}

Result<RunStats> run(store::Store& st, const std::vector<config::PlayConfig>& plays, const config::PlaysSettings& settings,
                     const config::LabelConfig& label, std::int64_t now) {
  RunStats stats;
  if (plays.empty()) return stats;
  // Caps and budgets are per play, over everyone: counted once, in SQL.
  std::map<std::string, std::size_t> this_week;
  std::map<std::string, double> spent;
  for (const auto& t : st.play_tallies(now - 7 * ms_per_day)) {
    this_week[t.play_id] += t.since;
    if (t.arm == "treatment") spent[t.play_id] += t.offer_value;
  }
  std::vector<const config::PlayConfig*> ordered;
  for (const auto& p : plays) ordered.push_back(&p);
  std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->priority > b->priority; });

  // Everything else is per customer, so customers go in batches, in id order. Within a batch the
  // highest-priority play goes first; since a play's caps only count its own enrolments, in id
  // order, this enrols exactly whom one pass of each play over everyone would.
  auto done = store::for_each_batch(st.customer_ids(), store::kCustomerBatch, [&](const std::set<std::string>& batch) -> Result<void> {
    std::map<std::string, store::Customer> customers;
    for (auto& c : st.customers_of(batch)) customers.emplace(c.id, std::move(c));
    auto all = st.assignments_of(batch);
    const auto lost_renewals = label.renewal_types.empty() ? std::map<std::string, std::int64_t>{} : st.lost_renewals_of(batch);

    // 1. Outcomes of windows that have ended.
    for (auto& a : all) {
      if (a.outcome || a.ends_ms > now) continue;
      auto c = customers.find(a.customer_id);
      if (c == customers.end()) continue;  // deleted from the CRM: not judged
      const std::string outcome = churned_by(c->second, label, a.ends_ms, lost_renewals) ? "churned" : "retained";
      if (auto r = st.set_outcome(a.id, outcome, now); !r) return r.error();
      a.outcome = outcome;
      ++stats.outcomes;
    }

    // 2. Enrolment, highest priority first; one open window per customer across plays.
    std::set<std::string> busy;
    std::map<std::pair<std::string, std::string>, std::int64_t> last_enrolled;  // (play, customer) -> ms
    for (const auto& a : all) {
      if (!a.outcome && a.ends_ms > now) busy.insert(a.customer_id);
      auto& l = last_enrolled[{a.play_id, a.customer_id}];
      l = std::max(l, a.assigned_ms);
    }
    const auto scores = st.score_history_of(batch, std::numeric_limits<std::int64_t>::max());
    for (const auto* p : ordered) {
      for (const auto& [id, history] : scores) {
        const auto& score = history.back();
        auto c = customers.find(id);
        if (c == customers.end() || !matches(p->when, score, c->second)) continue;
        if (busy.count(id)) {
          ++stats.already_in_play;
          continue;
        }
        if (auto l = last_enrolled.find({p->id, id}); l != last_enrolled.end() &&
                                                     l->second > now - std::int64_t{p->cooldown_days} * ms_per_day) {
          ++stats.in_cooldown;
          continue;
        }
        if (p->weekly_cap > 0 && this_week[p->id] >= static_cast<std::size_t>(p->weekly_cap)) {
          ++stats.over_cap;
          continue;
        }
        // Whatever the arm, enrol only if the play could afford to treat this customer, so the
        // budget never skews who ends up in the holdout.
        if (p->budget > 0 && spent[p->id] + p->offer_value > p->budget) {
          ++stats.over_budget;
          continue;
        }
        store::PlayAssignment a;
        a.play_id = p->id;
        a.customer_id = id;
        a.arm = arm_for(settings.salt, *p, id);
        a.assigned_ms = now;
        a.ends_ms = now + std::int64_t{p->outcome_window_days} * ms_per_day;
        a.score = score.score;
        a.offer_value = a.arm == "treatment" ? p->offer_value : 0;
        auto saved = st.add_assignment(a);
        if (!saved) return saved.error();
        busy.insert(id);
        ++this_week[p->id];
        spent[p->id] += a.offer_value;
        ++stats.enrolled;
        (a.arm == "treatment" ? stats.treatment : stats.holdout) += 1;
      }
    }
    return {};
  });
  if (!done) return done.error();
  return stats;
}

std::map<std::string, std::map<std::string, std::string>> play_fields(const std::vector<store::PlayAssignment>& all,
                                                                      const std::vector<config::PlayConfig>& plays) {
  std::map<std::string, const store::PlayAssignment*> latest;
  for (const auto& a : all) {
    auto& l = latest[a.customer_id];
    if (!l || a.assigned_ms >= l->assigned_ms) l = &a;
  }
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [id, a] : latest) {
    std::map<std::string, std::string> f{{"next_action", "none"}, {"offer", ""}, {"holdout", "false"}};
    if (!a->outcome) {
      const auto& play_id = a->play_id;  // a structured binding: not capturable before clang 16
      const auto p = std::find_if(plays.begin(), plays.end(), [&](const auto& x) { return x.id == play_id; });
      if (a->arm == "holdout") {
        f["holdout"] = "true";
      } else if (p != plays.end()) {
        f["next_action"] = p->kind;
        f["offer"] = p->offer_text;
      }
    }
    out[id] = std::move(f);
  }
  return out;
}

}  // namespace cg::plays
