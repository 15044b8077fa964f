#include "daemon/scoring/reasons.hpp"

#include <algorithm>

namespace cg::scoring {

std::string tier_for(int score, const config::TierThresholds& t) {
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}

ReasonWriter::ReasonWriter(const std::vector<std::string>& column_sources,
                           const std::map<std::string, std::string>& phrases) {
  std::map<std::string, std::size_t> index;
  for (const auto& s : column_sources) {
    auto [it, fresh] = index.emplace(s, sources_.size());
    if (fresh) {
      sources_.push_back(s);
      auto p = phrases.find(s);
      phrases_.push_back(p == phrases.end() ? s + ": {value}" : p->second);
    }
    source_of_column_.push_back(it->second);
  }
}

std::vector<std::string> ReasonWriter::top(const float* contrib, const std::map<std::string, std::string>& display,
                                           std::size_t k) const {
  std::vector<double> sum(sources_.size(), 0);
  for (std::size_t c = 0; c < source_of_column_.size(); ++c) sum[source_of_column_[c]] += contrib[c];
  std::vector<std::size_t> up;  // only what pushes risk up, and clearly
  for (std::size_t s = 0; s < sum.size(); ++s)
    if (sum[s] > 0.01) up.push_back(s);
  auto by_push = [&](std::size_t a, std::size_t b) { return sum[a] != sum[b] ? sum[a] > sum[b] : a < b; };
  const auto n = std::min(k, up.size());
  std::partial_sort(up.begin(), up.begin() + static_cast<std::ptrdiff_t>(n), up.end(), by_push);
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string phrase = phrases_[up[i]];
    if (auto p = phrase.find("{value}"); p != std::string::npos) {
      auto d = display.find(sources_[up[i]]);
      phrase.replace(p, 7, d == display.end() ? std::string("?") : d->second);
    }
    out.push_back(std::move(phrase));
  }
  return out;
}

}  // namespace cg::scoring
