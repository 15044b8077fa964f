#pragma once
// Customer features as of a date, from the store's types only (no I/O). A FeatureSpec fixes the
// columns (and categorical levels) when a model is trained, and is stored with the model so that
// scoring encodes customers exactly as training did.
//
// The leakage rule: nothing that happened after `as_of` is read. Activities are filtered by
// their own dates (a ticket closed after as_of is still open as of then). The one exception is
// the contacts' marketing counters, which the CRM keeps only as current totals: they are a
// snapshot, fine for scoring now and for cross-sectional training, never for back-dated rows.
#include "config/config.hpp"
#include "daemon/model/booster.hpp"
#include "daemon/store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cg::features {

// Names of the behaviour features, in column order: per window (7, 30, 90 days)
// tickets_opened, tickets_resolved, emails_sent, email_open_rate, email_reply_rate, usage_events,
// usage_minutes; then median_resolution_hours_90d, open_tickets, days_since_last_activity,
// tickets_trend, usage_trend, email_reply_trend, sentiment_mean_90d, sentiment_min_90d,
// sentiment_trend, negative_texts_90d, marketing_open_rate. Trends compare the last 30 days with
// the 60 before, per 30 days. A window of N days is the as-of UTC day and the N-1 before it.
const std::vector<std::string>& behaviour_features();

// A numeric feature computed from numeric properties: model.derived_properties, as configured
// ("sum" of two or more, "ratio" of two, or "log" (log(1 + x)) of one) and as the spec stores it.
using Derived = config::DerivedProperty;
// Its value for a customer; NaN, that is missing, when an input is missing or not a number, a
// ratio's denominator is 0, or log's input is -1 or less. Reasons show a sum or ratio as computed
// and a log as the value it was taken of.
double derived_value(const Derived& d, const store::Customer& c);

// Columns in this order: numeric properties, derived, categorical one-hots, behaviour.
struct FeatureSpec {
  std::vector<std::string> numeric_properties;
  std::vector<Derived> derived;
  std::vector<std::pair<std::string, std::vector<std::string>>> categorical;  // property -> levels
  bool behaviour = true;

  [[nodiscard]] std::vector<std::string> column_names() const;
  // Per column, the property or behaviour feature it came from (one-hot columns share theirs).
  [[nodiscard]] std::vector<std::string> column_sources() const;
  [[nodiscard]] std::string to_json() const;
  static Result<FeatureSpec> from_json(const std::string& text);
};

// Learns categorical levels (most frequent 30, sorted) from the customers.
FeatureSpec fit_spec(const std::vector<store::Customer>& customers, const std::vector<std::string>& numeric,
                     const std::vector<std::string>& categorical, const std::vector<Derived>& derived = {});

struct CustomerFeatures {
  model::Matrix matrix;
  std::vector<std::string> customer_ids;
  // display[row][i] = source i's value as a person would read it, for reasons; sources in
  // column_sources() order, each once (numeric properties, categorical properties, behaviour)
  std::vector<std::vector<std::string>> display;
  std::vector<std::optional<double>> sentiment;   // mean of the last 90 days' texts, -100..100
  std::vector<std::optional<double>> engagement;  // engagement index, 0..100
};

// Builds features as of `as_of_ms`.
// `usage_population`, when given, is every customer's usage_events_30d (for the usage percentile
// when only some customers are built); otherwise the customers built are the population.
CustomerFeatures build(const FeatureSpec& spec, const std::vector<store::Customer>& customers,
                       const std::vector<store::Activity>& activities, std::int64_t as_of_ms,
                       const std::map<std::string, store::MarketingStats>& marketing = {},
                       const std::vector<double>* usage_population = nullptr);

// The first instant of the N-day window that ends with the as-of day.
std::int64_t window_start_ms(std::int64_t as_of_ms, int days);

// Behaviour features of one customer as of a date, by name (NaN where undefined).
std::map<std::string, double> behaviour_of(const std::vector<const store::Activity*>& activities,
                                           std::int64_t as_of_ms, const store::MarketingStats* marketing);

// Engagement index from behaviour, given each customer's usage_events_30d percentile (0..1)
// or nullopt when no customer sends usage: 40% usage, 20% e-mail opens, 20% replies, 20% recency,
// re-weighted over the parts that are known. nullopt when none is.
std::optional<double> engagement_index(const std::map<std::string, double>& behaviour,
                                       std::optional<double> usage_percentile);

}  // namespace cg::features
