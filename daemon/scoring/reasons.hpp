#pragma once
// Tiers and reasons. A customer's reasons are the sources (a property or a behaviour feature;
// one-hot columns count as their property) whose summed SHAP contributions push risk up most,
// rendered through the configured phrases with "{value}" replaced by the customer's value (a
// phrase's `one` form where that value is 1). A source with no phrase reads "name: {value}".
#include "config/config.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cg::scoring {

std::string tier_for(int score, const config::TierThresholds& t);

class ReasonWriter {
 public:
  // `column_sources[c]` names the source of column c.
  ReasonWriter(const std::vector<std::string>& column_sources, const std::map<std::string, config::ReasonPhrase>& phrases);
  // `contributions` holds one value per column (the bias after them is not read); `display[i]` is
  // the value of the i-th distinct source in column order (features::CustomerFeatures::display).
  [[nodiscard]] std::vector<std::string> top(const float* contributions, const std::vector<std::string>& display,
                                             std::size_t k = 3) const;
  // The same reasons joined by "; " (what churnguard_risk_reasons holds), built in one string.
  [[nodiscard]] std::string sentence(const float* contributions, const std::vector<std::string>& display,
                                     std::size_t k = 3) const;

 private:
  // Sources pushing risk up by more than 0.01 log-odds, the strongest first (ties: column order).
  std::size_t pick(const float* contributions, std::size_t k, std::size_t* out) const;
  struct Phrase {
    std::string text;
    std::size_t value_at = std::string::npos;  // where "{value}" is in it (npos: nowhere)
  };
  // Source s's phrase for the customer whose values are `display`.
  const Phrase& phrase_for(std::size_t s, const std::vector<std::string>& display) const;
  void render(std::size_t source, const std::vector<std::string>& display, std::string& out) const;
  std::vector<std::string> sources_;
  std::vector<Phrase> other_, one_;  // per source; one_[s].text is empty where there is no `one` form
  // Consecutive columns of one source (a property's one-hot columns sit together): summed in a
  // register, one store per run, not one dependent read-modify-write of the source's sum per column.
  struct Run {
    std::uint32_t source, begin, end;
  };
  std::vector<Run> runs_;
};

// Which phrase a rendered reason came from, for counting what drives risk across customers: a
// number in the value's place becomes '#' and a phrase's `one` form counts with its `other`
// ("Customer for only # months"); a category stays ("Contract: Month-to-month"), as does a
// phrase without "{value}". A reason no configured phrase renders (a source without one) has its
// numbers masked.
class ReasonGroups {
 public:
  explicit ReasonGroups(const std::map<std::string, config::ReasonPhrase>& phrases);
  [[nodiscard]] std::string of(const std::string& reason) const;

 private:
  struct Form {
    std::string prefix, suffix;  // around "{value}"
    std::string numeric_group;   // the `other` form with '#' for the value
  };
  std::vector<Form> forms_;  // longest prefix + suffix first
  std::map<std::string, std::string> exact_;  // `one` forms without "{value}" -> their group
};

inline std::vector<std::string> top_reasons(const float* contributions, const std::vector<std::string>& sources,
                                            const std::vector<std::string>& display,
                                            const std::map<std::string, config::ReasonPhrase>& phrases,
                                            std::size_t k = 3) {
  return ReasonWriter(sources, phrases).top(contributions, display, k);
}

}  // namespace cg::scoring
