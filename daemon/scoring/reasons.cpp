#include "daemon/scoring/reasons.hpp"

#include "daemon/core/scratch.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace cg::scoring {
namespace {

constexpr std::string_view kValue = "{value}";

// What "{value}" becomes for source `s`: the customer's value ("?" when there is none).
std::string_view value_text(std::size_t s, const std::vector<std::string>& display) {
  return s < display.size() ? std::string_view(display[s]) : std::string_view("?");
}

}  // namespace

std::string tier_for(int score, const config::TierThresholds& t) {
  if (score >= t.critical) return "critical";
  if (score >= t.high) return "high";
  if (score >= t.medium) return "medium";
  return "low";
}

ReasonWriter::ReasonWriter(const std::vector<std::string>& column_sources,
                           const std::map<std::string, config::ReasonPhrase>& phrases) {
  std::map<std::string, std::size_t> index;
  for (std::size_t c = 0; c < column_sources.size(); ++c) {
    const auto& s = column_sources[c];
    auto [it, fresh] = index.emplace(s, sources_.size());
    if (fresh) {
      sources_.push_back(s);
      auto p = phrases.find(s);
      auto phrase = [](std::string text) {
        const auto at = text.find(kValue);
        return Phrase{std::move(text), at};
      };
      other_.push_back(phrase(p == phrases.end() ? s + ": {value}" : p->second.other));
      one_.push_back(phrase(p == phrases.end() ? std::string() : p->second.one));
    }
    const auto src = static_cast<std::uint32_t>(it->second), col = static_cast<std::uint32_t>(c);
    if (!runs_.empty() && runs_.back().source == src && runs_.back().end == col)
      ++runs_.back().end;
    else
      runs_.push_back({src, col, col + 1});
  }
}

std::size_t ReasonWriter::pick(const float* contrib, std::size_t k, std::size_t* out) const {
  if (k == 0) return 0;
  // Per-source sums on the stack when sources are few (they are: properties + behaviour features).
  Scratch<double, 128> sums(sources_.size());
  double* sum = sums.data();
  std::fill(sum, sum + sources_.size(), 0.0);
  for (const auto& r : runs_) {
    // Four independent sums: a long one-hot run (a state, a plan) is not one chain of dependent adds.
    double a[4] = {0, 0, 0, 0};
    auto c = r.begin;
    for (; c + 4 <= r.end; c += 4)
      for (int j = 0; j < 4; ++j) a[j] += contrib[c + j];
    for (; c < r.end; ++c) a[0] += contrib[c];
    sum[r.source] += (a[0] + a[1]) + (a[2] + a[3]);
  }
  // k is small: keep the best k in a sorted array as the sources go by. One test against the
  // bar to beat (0.01 log-odds: only what pushes risk up, and clearly; then the k-th best) turns
  // most sources away, and soon predictably so.
  std::size_t n = 0;
  double bar = 0.01;
  for (std::size_t s = 0; s < sources_.size(); ++s) {
    const double v = sum[s];
    if (!(v > bar)) continue;
    std::size_t at = std::min(n, k - 1);
    while (at > 0 && sum[out[at - 1]] < v) {
      out[at] = out[at - 1];
      --at;
    }
    out[at] = s;
    n = std::min(n + 1, k);
    if (n == k) bar = sum[out[k - 1]];
  }
  return n;
}

const ReasonWriter::Phrase& ReasonWriter::phrase_for(std::size_t s, const std::vector<std::string>& display) const {
  return !one_[s].text.empty() && value_text(s, display) == "1" ? one_[s] : other_[s];
}

void ReasonWriter::render(std::size_t s, const std::vector<std::string>& display, std::string& out) const {
  const auto& [phrase, at] = phrase_for(s, display);
  if (at == std::string::npos) {
    out += phrase;
    return;
  }
  out.append(phrase, 0, at);
  out += value_text(s, display);
  out.append(phrase, at + kValue.size());
}

std::vector<std::string> ReasonWriter::top(const float* contrib, const std::vector<std::string>& display,
                                           std::size_t k) const {
  std::vector<std::size_t> idx(k);
  const auto n = pick(contrib, k, idx.data());
  std::vector<std::string> out(n);
  for (std::size_t i = 0; i < n; ++i) render(idx[i], display, out[i]);
  return out;
}

std::string ReasonWriter::sentence(const float* contrib, const std::vector<std::string>& display,
                                   std::size_t k) const {
  Scratch<std::size_t, 8> picked(k);
  std::size_t* idx = picked.data();
  const auto n = pick(contrib, k, idx);
  // One allocation of the exact size: this runs for every customer scored.
  std::size_t size = n ? 2 * (n - 1) : 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto s = idx[i];
    const auto& p = phrase_for(s, display);
    size += p.text.size();
    if (p.value_at != std::string::npos) size += value_text(s, display).size() - kValue.size();
  }
  std::string out;
  out.reserve(size);
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += "; ";
    render(idx[i], display, out);
  }
  return out;
}

ReasonGroups::ReasonGroups(const std::map<std::string, config::ReasonPhrase>& phrases) {
  for (const auto& [source, p] : phrases) {
    const auto at = p.other.find(kValue);
    if (at == std::string::npos) continue;  // renders one text: it is its own group
    const std::string group = p.other.substr(0, at) + "#" + p.other.substr(at + kValue.size());
    for (const auto* form : {&p.other, &p.one}) {
      const auto v = form->find(kValue);
      if (v != std::string::npos) {
        forms_.push_back({form->substr(0, v), form->substr(v + kValue.size()), group});
      } else if (!form->empty()) {
        exact_.emplace(*form, group);  // a `one` form that names no value: "A ticket this week"
      }
    }
  }
  // The most specific phrase first: "Only {value} tickets resolved in 30 days" before "Only {value}".
  std::stable_sort(forms_.begin(), forms_.end(), [](const Form& a, const Form& b) {
    return a.prefix.size() + a.suffix.size() > b.prefix.size() + b.suffix.size();
  });
}

namespace {

// "12", "-3.5", "40%": what features render a number as.
bool is_number_text(std::string_view v) {
  if (!v.empty() && v.back() == '%') v.remove_suffix(1);
  if (!v.empty() && (v.front() == '-' || v.front() == '+')) v.remove_prefix(1);
  bool digit = false, dot = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

// "3 support tickets in the last 30 days" -> "# support tickets in the last # days"
std::string mask_numbers(const std::string& r) {
  std::string out;
  bool in_number = false;
  for (char c : r) {
    const bool digit = std::isdigit(static_cast<unsigned char>(c)) || ((c == '.' || c == '-') && in_number);
    if (digit) {
      if (!in_number) out += '#';
      in_number = true;
    } else {
      in_number = false;
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ReasonGroups::of(const std::string& reason) const {
  if (auto e = exact_.find(reason); e != exact_.end()) return e->second;
  const std::string_view r(reason);
  for (const auto& f : forms_) {
    if (r.size() < f.prefix.size() + f.suffix.size() || !r.starts_with(f.prefix) || !r.ends_with(f.suffix)) continue;
    const auto value = r.substr(f.prefix.size(), r.size() - f.prefix.size() - f.suffix.size());
    return is_number_text(value) ? f.numeric_group : reason;
  }
  return mask_numbers(reason);
}

}  // namespace cg::scoring
