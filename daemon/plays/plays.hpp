#pragma once
// Retention plays: which customers a play targets, which arm each falls in (a salted hash of
// play and customer, decided once and stored), the cooldown, weekly cap and budget, and the
// outcome of each enrolment at the end of its window. Pure logic over the store; the actions
// that need the CRM or the network (tasks, webhooks) run in the app layer from what is stored.
#include "config/config.hpp"
#include "daemon/store/store.hpp"

#include <map>
#include <string>
#include <vector>

namespace cg::plays {

// A uniform number in [0, 1) from SHA-256(salt ":" play ":" customer): stable across runs,
// restarts and machines, independent between plays.
double arm_draw(const std::string& salt, const std::string& play_id, const std::string& customer_id);
std::string arm_for(const std::string& salt, const config::PlayConfig& play, const std::string& customer_id);

bool matches(const config::PlayCondition& when, const store::Score& score, const store::Customer& customer);

struct RunStats {
  std::size_t enrolled = 0, treatment = 0, holdout = 0;
  std::size_t in_cooldown = 0, over_cap = 0, over_budget = 0, already_in_play = 0;
  std::size_t outcomes = 0;
};

// Records the outcomes of enrolments whose window has ended, then enrols every scored customer
// in the highest-priority play it matches (none while it is in another play's window).
Result<RunStats> run(store::Store& st, const std::vector<config::PlayConfig>& plays, const config::PlaysSettings& settings,
                     const config::LabelConfig& label, std::int64_t now_ms);

// Whether a customer churned by `until_ms`, from CRM data: a renewal lost by then (from
// `lost_renewals`, Store::lost_renewals_of) or the churn date property when configured, else the
// current value of the churn property; an archived customer is not judged.
bool churned_by(const store::Customer& c, const config::LabelConfig& label, std::int64_t until_ms,
                const std::map<std::string, std::int64_t>& lost_renewals = {});

// The CRM fields each enrolled customer should carry: next action and offer for the treatment
// arm, holdout = true (and no action) for the control arm, cleared once the window has ended.
std::map<std::string, std::map<std::string, std::string>> play_fields(const std::vector<store::PlayAssignment>& all,
                                                                      const std::vector<config::PlayConfig>& plays);

}  // namespace cg::plays
