#pragma once
// Tiers and reasons. A customer's reasons are the sources (a property or a behaviour feature;
// one-hot columns count as their property) whose summed SHAP contributions push risk up most,
// rendered through the configured phrases with "{value}" replaced by the customer's value.
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
  ReasonWriter(const std::vector<std::string>& column_sources, const std::map<std::string, std::string>& phrases);
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
  void render(std::size_t source, const std::vector<std::string>& display, std::string& out) const;
  std::vector<std::string> sources_, phrases_;
  std::vector<std::size_t> value_at_;  // where "{value}" is in each phrase (npos: nowhere)
  // Consecutive columns of one source (a property's one-hot columns sit together): summed in a
  // register, one store per run, not one dependent read-modify-write of the source's sum per column.
  struct Run {
    std::uint32_t source, begin, end;
  };
  std::vector<Run> runs_;
};

inline std::vector<std::string> top_reasons(const float* contributions, const std::vector<std::string>& sources,
                                            const std::vector<std::string>& display,
                                            const std::map<std::string, std::string>& phrases, std::size_t k = 3) {
  return ReasonWriter(sources, phrases).top(contributions, display, k);
}

}  // namespace cg::scoring
