#pragma once
// Tiers and reasons. A customer's reasons are the sources (a property or a behaviour feature;
// one-hot columns count as their property) whose summed SHAP contributions push risk up most,
// rendered through the configured phrases with "{value}" replaced by the customer's value.
#include "config/config.hpp"

#include <map>
#include <string>
#include <vector>

namespace cg::scoring {

std::string tier_for(int score, const config::TierThresholds& t);

class ReasonWriter {
 public:
  // `column_sources[c]` names the source of column c.
  ReasonWriter(const std::vector<std::string>& column_sources, const std::map<std::string, std::string>& phrases);
  // `contributions` holds one value per column (the bias after them is not read).
  [[nodiscard]] std::vector<std::string> top(const float* contributions, const std::map<std::string, std::string>& display,
                                             std::size_t k = 3) const;

 private:
  std::vector<std::string> sources_, phrases_;
  std::vector<std::size_t> source_of_column_;
};

inline std::vector<std::string> top_reasons(const float* contributions, const std::vector<std::string>& sources,
                                            const std::map<std::string, std::string>& display,
                                            const std::map<std::string, std::string>& phrases, std::size_t k = 3) {
  return ReasonWriter(sources, phrases).top(contributions, display, k);
}

}  // namespace cg::scoring
