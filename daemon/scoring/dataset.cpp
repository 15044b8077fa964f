#include "daemon/scoring/dataset.hpp"

#include "daemon/core/clock.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

namespace cg::scoring {
namespace {

bool is_positive(const std::string& v, const std::vector<std::string>& positives) {
  std::string low = v;
  std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(positives.begin(), positives.end(), low) != positives.end();
}

std::optional<std::int64_t> date_property(const store::Customer& c, const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto it = c.properties.find(name);
  if (it == c.properties.end() || it->second.empty()) return std::nullopt;
  return parse_date(it->second);
}

}  // namespace

std::optional<std::int64_t> parse_date(const std::string& text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') return parse_timestamp(text + "T00:00:00Z");
  return parse_timestamp(text);
}

Result<TrainingRows> training_rows(const std::vector<store::Customer>& customers, const config::LabelConfig& label,
                                   std::int64_t now, const std::map<std::string, std::int64_t>& lost_renewals) {
  TrainingRows rows;
  const bool by_renewal = !label.renewal_types.empty();
  if (label.churn_date_property.empty() && !by_renewal) {
    for (const auto& c : customers) {
      auto it = c.properties.find(label.property);
      if (it == c.properties.end() || it->second.empty()) continue;  // outcome unknown: not a training row
      rows.customer.push_back(&c);
      rows.as_of.push_back(now);
      rows.label.push_back(is_positive(it->second, label.positive_values) ? 1.f : 0.f);
    }
    if (rows.customer.empty())
      return make_error(ErrorKind::model, "no customer has the label property '" + label.property +
                                              "'; set model.label.property to the property that records churn");
    rows.from_ms = rows.to_ms = now;
    rows.note = "cross-sectional: labels are the current value of '" + label.property +
                "' and features are as of training time, so the model learns who has churned, not who will; "
                "set model.label.churn_date_property for time-aware training";
    return rows;
  }
  rows.time_aware = true;
  rows.horizon_ms = std::int64_t{label.horizon_days} * ms_per_day;
  const std::int64_t latest = (now / ms_per_day) * ms_per_day - rows.horizon_ms;
  auto churn_date = [&](const store::Customer& c) -> std::optional<std::int64_t> {
    if (!by_renewal) return date_property(c, label.churn_date_property);
    auto it = lost_renewals.find(c.id);
    return it == lost_renewals.end() ? std::nullopt : std::optional(it->second);
  };
  std::size_t bad_dates = 0, with_date = 0;
  for (const auto& c : customers) {
    auto churned = churn_date(c);
    if (!by_renewal)
      if (auto raw = c.properties.find(label.churn_date_property);
          raw != c.properties.end() && !raw->second.empty() && !churned)
        ++bad_dates;
    with_date += churned.has_value();
  }
  if (by_renewal && with_date == 0)
    return make_error(ErrorKind::model, "model.label.renewal_types: no synced deal or opportunity of these types has closed "
                                        "lost, so no customer has churned; check the types against the CRM's values "
                                        "(HubSpot dealtype, Salesforce Opportunity Type)");
  if (bad_dates > 0 && with_date == 0)
    return make_error(ErrorKind::model, "model.label.churn_date_property '" + label.churn_date_property + "': " +
                                            std::to_string(bad_dates) +
                                            " customers have a value that is not a date (YYYY-MM-DD, ISO-8601 or epoch ms)");
  for (int k = label.snapshots - 1; k >= 0; --k) {
    const std::int64_t t = latest - std::int64_t{k} * label.snapshot_every_days * ms_per_day;
    for (const auto& c : customers) {
      auto created = date_property(c, label.created_property);
      if (created && *created > t) continue;  // not a customer yet
      auto churned = churn_date(c);
      if (churned && *churned <= t) continue;  // already gone
      rows.customer.push_back(&c);
      rows.as_of.push_back(t);
      rows.label.push_back(churned && *churned <= t + rows.horizon_ms ? 1.f : 0.f);
    }
  }
  if (rows.customer.empty())
    return make_error(ErrorKind::model, "no customer was active at any of the " + std::to_string(label.snapshots) +
                                            " snapshot dates; check model.label.created_property");
  rows.from_ms = latest - std::int64_t{label.snapshots - 1} * label.snapshot_every_days * ms_per_day;
  rows.to_ms = latest;
  std::string types;
  for (const auto& t : label.renewal_types) types += (types.empty() ? "" : ", ") + t;
  const std::string signal = by_renewal ? "the close date of the first renewal (" + types + ") that closed lost"
                                        : "churn date ('" + label.churn_date_property + "')";
  rows.note = "time-aware: " + std::to_string(label.snapshots) + " snapshots every " +
              std::to_string(label.snapshot_every_days) + " days; label = " + signal + " within " +
              std::to_string(label.horizon_days) +
              " days after the snapshot; activity features as of each snapshot, CRM properties at their current value";
  if (bad_dates > 0) rows.note += "; " + std::to_string(bad_dates) + " unparseable churn dates ignored";
  return rows;
}

model::Matrix training_matrix(const features::FeatureSpec& spec, const TrainingRows& rows,
                              const std::vector<std::size_t>& which, const std::vector<store::Activity>& activities,
                              const std::map<std::string, store::MarketingStats>& marketing, std::int64_t now) {
  // Group the requested rows by date, build each group a chunk at a time (with only the chunk's
  // activities), then put rows back in the asked order. The training matrix has no
  // population-relative column (the usage percentile only feeds the engagement index), so a
  // chunk's features are those of the whole group.
  std::map<std::int64_t, std::vector<std::size_t>> by_date;
  for (std::size_t i = 0; i < which.size(); ++i) by_date[rows.as_of[which[i]]].push_back(i);
  std::unordered_map<std::string_view, std::vector<const store::Activity*>> by_customer;
  for (const auto& a : activities)
    if (!a.customer_id.empty()) by_customer[a.customer_id].push_back(&a);
  model::Matrix out;
  out.cols = spec.column_names().size();
  out.rows = which.size();
  out.x.assign(out.rows * out.cols, 0);
  static const std::map<std::string, store::MarketingStats> none;
  for (const auto& [t, positions] : by_date) {
    for (std::size_t from = 0; from < positions.size(); from += kTrainingFeatureChunk) {
      const std::size_t to = std::min(positions.size(), from + kTrainingFeatureChunk);
      std::vector<store::Customer> group;
      std::vector<store::Activity> acts;
      group.reserve(to - from);
      for (std::size_t g = from; g < to; ++g) {
        const auto& c = *rows.customer[which[positions[g]]];
        group.push_back(c);
        if (auto it = by_customer.find(c.id); it != by_customer.end())
          for (const auto* a : it->second) acts.push_back(*a);
      }
      const auto f = features::build(spec, group, acts, t, t >= now ? marketing : none);
      for (std::size_t g = from; g < to; ++g)
        std::copy_n(f.matrix.x.begin() + (g - from) * f.matrix.cols, f.matrix.cols,
                    out.x.begin() + positions[g] * out.cols);
    }
  }
  return out;
}

}  // namespace cg::scoring
