#pragma once
// Customer features as of a date, from the store's types only (no I/O). A FeatureSpec fixes the
// columns (and categorical levels) when a model is trained, and is stored with the model so that
// scoring encodes customers exactly as training did.
#include "daemon/store/store.hpp"
#include "daemon/model/booster.hpp"

#include <string>
#include <vector>

namespace cg::features {

// Behaviour features computed from activities; names are stable (phrases in config refer to them).
inline constexpr const char* behaviour_features[] = {
    "tickets_30d", "tickets_90d", "open_tickets", "sentiment_mean_90d", "negative_tickets_90d",
};

struct FeatureSpec {
  std::vector<std::string> numeric_properties;
  std::vector<std::pair<std::string, std::vector<std::string>>> categorical;  // property -> levels
  bool behaviour = true;

  [[nodiscard]] std::vector<std::string> column_names() const;
  // Per column, the property or behaviour feature it came from (one-hot columns share theirs).
  [[nodiscard]] std::vector<std::string> column_sources() const;
  [[nodiscard]] std::string to_json() const;
  static Result<FeatureSpec> from_json(const std::string& text);
};

// Learns categorical levels (sorted, capped at 30 per property) from the customers.
FeatureSpec fit_spec(const std::vector<store::Customer>& customers, const std::vector<std::string>& numeric,
                     const std::vector<std::string>& categorical);

struct CustomerFeatures {
  model::Matrix matrix;
  std::vector<std::string> customer_ids;
  // display[row][source] = value as a person would read it, for reasons
  std::vector<std::map<std::string, std::string>> display;
  // per row: mean sentiment of the last 90 days' texts, if any
  std::vector<std::optional<double>> sentiment;
};

// Builds features as of `as_of_ms`: no activity after that instant is read.
CustomerFeatures build(const FeatureSpec& spec, const std::vector<store::Customer>& customers,
                       const std::vector<store::Activity>& activities, std::int64_t as_of_ms);

}  // namespace cg::features

namespace cg::features {
// Mean sentiment of each customer's texts in the 90 days up to `as_of_ms`.
std::map<std::string, double> sentiment_by_customer(const std::vector<store::Activity>& activities,
                                                    std::int64_t as_of_ms);
}  // namespace cg::features
