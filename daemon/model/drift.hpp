#pragma once
// Population stability of each feature between the rows a model was trained on and today's
// customers. Numeric features are binned at the training deciles (plus a bin for missing);
// a categorical source (several one-hot columns) is binned by which level is set.
// PSI = sum over bins of (today - train) * ln(today / train); shares are floored at 1e-4.
// Rule of thumb: below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 investigate.
#include "daemon/model/booster.hpp"

#include <string>
#include <utility>
#include <vector>

namespace cg::model {

struct DriftBaseline {
  struct Feature {
    std::string source;
    std::vector<std::size_t> columns;  // one for numeric, the one-hot columns for categorical
    std::vector<double> edges;         // numeric: upper bin edges (a last bin above them)
    std::vector<double> shares;        // training share per bin; bin 0 is missing / no level
  };
  std::vector<Feature> features;

  // `sources[c]` names the source of column c; sources with several columns are categorical.
  static DriftBaseline fit(const Matrix& train, const std::vector<std::string>& sources);
  // PSI per source, highest first.
  [[nodiscard]] std::vector<std::pair<std::string, double>> psi(const Matrix& today) const;
  [[nodiscard]] std::string to_json() const;
  static DriftBaseline from_json(const std::string& text);  // empty when absent or malformed
};

}  // namespace cg::model
