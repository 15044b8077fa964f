#include "daemon/scoring/dataset.hpp"

#include "daemon/core/clock.hpp"

#include <algorithm>
#include <map>

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
                                   std::int64_t now) {
  TrainingRows rows;
  if (label.churn_date_property.empty()) {
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
  std::size_t bad_dates = 0, with_date = 0;
  for (const auto& c : customers) {
    auto raw = c.properties.find(label.churn_date_property);
    auto churned = date_property(c, label.churn_date_property);
    if (raw != c.properties.end() && !raw->second.empty() && !churned) ++bad_dates;
    with_date += churned.has_value();
  }
  if (bad_dates > 0 && with_date == 0)
    return make_error(ErrorKind::model, "model.label.churn_date_property '" + label.churn_date_property + "': " +
                                            std::to_string(bad_dates) +
                                            " customers have a value that is not a date (YYYY-MM-DD, ISO-8601 or epoch ms)");
  for (int k = label.snapshots - 1; k >= 0; --k) {
    const std::int64_t t = latest - std::int64_t{k} * label.snapshot_every_days * ms_per_day;
    for (const auto& c : customers) {
      auto created = date_property(c, label.created_property);
      if (created && *created > t) continue;  // not a customer yet
      auto churned = date_property(c, label.churn_date_property);
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
  rows.note = "time-aware: " + std::to_string(label.snapshots) + " snapshots every " +
              std::to_string(label.snapshot_every_days) + " days; label = churn date ('" + label.churn_date_property +
              "') within " + std::to_string(label.horizon_days) +
              " days after the snapshot; activity features as of each snapshot, CRM properties at their current value";
  if (bad_dates > 0) rows.note += "; " + std::to_string(bad_dates) + " unparseable churn dates ignored";
  return rows;
}

features::CustomerFeatures features_of(const features::FeatureSpec& spec, const TrainingRows& rows,
                                       const std::vector<std::size_t>& which,
                                       const std::vector<store::Activity>& activities,
                                       const std::map<std::string, store::MarketingStats>& marketing, std::int64_t now) {
  // Group the requested rows by date, build each group, then put rows back in the asked order.
  std::map<std::int64_t, std::vector<std::size_t>> by_date;
  for (std::size_t i = 0; i < which.size(); ++i) by_date[rows.as_of[which[i]]].push_back(i);
  features::CustomerFeatures out;
  out.matrix.cols = spec.column_names().size();
  out.matrix.rows = which.size();
  out.matrix.x.assign(out.matrix.rows * out.matrix.cols, 0);
  out.customer_ids.resize(which.size());
  out.display.resize(which.size());
  out.sentiment.resize(which.size());
  out.engagement.resize(which.size());
  static const std::map<std::string, store::MarketingStats> none;
  for (const auto& [t, positions] : by_date) {
    std::vector<store::Customer> group;
    group.reserve(positions.size());
    for (auto p : positions) group.push_back(*rows.customer[which[p]]);
    auto f = features::build(spec, group, activities, t, t >= now ? marketing : none);
    for (std::size_t g = 0; g < positions.size(); ++g) {
      auto p = positions[g];
      std::copy_n(f.matrix.x.begin() + g * f.matrix.cols, f.matrix.cols, out.matrix.x.begin() + p * out.matrix.cols);
      out.customer_ids[p] = std::move(f.customer_ids[g]);
      out.display[p] = std::move(f.display[g]);
      out.sentiment[p] = f.sentiment[g];
      out.engagement[p] = f.engagement[g];
    }
  }
  return out;
}

}  // namespace cg::scoring
