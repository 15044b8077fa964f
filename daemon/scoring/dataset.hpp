#pragma once
// Training rows from the store, without leakage.
//
// Time-aware (model.label.churn_date_property or renewal_types set): snapshots at t = (today - horizon),
// then every `snapshot_every_days` before it. A customer is a row at t if it existed
// (created_property <= t, when configured) and had not churned (churn date > t or none);
// its label is 1 when the churn date falls in (t, t + horizon], and its features are computed
// as of t, so nothing after t is read. Every snapshot's label window has closed by today. With
// renewal_types the churn date is the close date of the customer's first closed-lost renewal
// (Store::lost_renewals); a customer with no lost renewal has not churned.
//
// Cross-sectional (no churn date): one row per customer whose label property is set, labelled by
// its current value, features as of today. Said so in the model's report.
#include "config/config.hpp"
#include "daemon/features/features.hpp"
#include "daemon/model/select.hpp"

#include <map>

namespace cg::scoring {

struct TrainingRows {
  std::vector<const store::Customer*> customer;  // per row
  std::vector<std::int64_t> as_of;               // per row
  std::vector<float> label;
  bool time_aware = false;
  std::int64_t horizon_ms = 0;
  std::int64_t from_ms = 0, to_ms = 0;  // first and last snapshot (or today)
  std::string note;
};

// `customers` must outlive the result. `lost_renewals` (customer id -> churn date) is read when
// the label is renewal_types.
Result<TrainingRows> training_rows(const std::vector<store::Customer>& customers, const config::LabelConfig& label,
                                   std::int64_t now_ms, const std::map<std::string, std::int64_t>& lost_renewals = {});

// Rows a training matrix is built from at a time: features::build copies its customers and
// keeps per-customer maps, so bounded chunks keep training's peak memory flat in the sample size.
inline constexpr std::size_t kTrainingFeatureChunk = 2000;

// The feature matrix of the rows `which` (in that order) under `spec`, built per snapshot date
// in chunks of kTrainingFeatureChunk rows. Marketing counters (current totals only) are used for
// rows as of today, never for back-dated rows.
model::Matrix training_matrix(const features::FeatureSpec& spec, const TrainingRows& rows,
                              const std::vector<std::size_t>& which, const std::vector<store::Activity>& activities,
                              const std::map<std::string, store::MarketingStats>& marketing, std::int64_t now_ms);

// Parses a CRM date or date-time (YYYY-MM-DD, ISO-8601, epoch ms).
std::optional<std::int64_t> parse_date(const std::string& text);

}  // namespace cg::scoring
