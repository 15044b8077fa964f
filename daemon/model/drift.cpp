#include "daemon/model/drift.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace cg::model {
namespace json = boost::json;
namespace {

std::size_t bin_of(const DriftBaseline::Feature& f, const Matrix& m, std::size_t row) {
  if (f.columns.size() > 1) {
    for (std::size_t i = 0; i < f.columns.size(); ++i)
      if (m.x[row * m.cols + f.columns[i]] > 0.5f) return i + 1;
    return 0;
  }
  float v = m.x[row * m.cols + f.columns[0]];
  if (std::isnan(v)) return 0;
  return 1 + static_cast<std::size_t>(std::lower_bound(f.edges.begin(), f.edges.end(), double(v)) - f.edges.begin());
}

std::vector<double> shares_of(const DriftBaseline::Feature& f, const Matrix& m) {
  std::size_t bins = f.columns.size() > 1 ? f.columns.size() + 1 : f.edges.size() + 2;
  std::vector<double> s(bins, 0);
  for (std::size_t r = 0; r < m.rows; ++r) s[bin_of(f, m, r)] += 1;
  for (auto& v : s) v = m.rows ? v / static_cast<double>(m.rows) : 0;
  return s;
}

}  // namespace

DriftBaseline DriftBaseline::fit(const Matrix& m, const std::vector<std::string>& sources) {
  DriftBaseline b;
  std::map<std::string, std::size_t> index;
  for (std::size_t c = 0; c < sources.size() && c < m.cols; ++c) {
    auto [it, fresh] = index.emplace(sources[c], b.features.size());
    if (fresh) b.features.push_back({sources[c], {}, {}, {}});
    b.features[it->second].columns.push_back(c);
  }
  for (auto& f : b.features) {
    if (f.columns.size() == 1) {
      std::vector<double> vals;
      for (std::size_t r = 0; r < m.rows; ++r)
        if (float v = m.x[r * m.cols + f.columns[0]]; !std::isnan(v)) vals.push_back(v);
      std::sort(vals.begin(), vals.end());
      for (int d = 1; d < 10 && !vals.empty(); ++d) {
        double e = vals[vals.size() * d / 10];
        if (f.edges.empty() || e > f.edges.back()) f.edges.push_back(e);
      }
      // The last edge must leave values above it, or the top bin is always empty.
      if (!vals.empty() && !f.edges.empty() && f.edges.back() >= vals.back()) f.edges.pop_back();
    }
    f.shares = shares_of(f, m);
  }
  return b;
}

std::vector<std::pair<std::string, double>> DriftBaseline::psi(const Matrix& today) const {
  std::vector<std::pair<std::string, double>> out;
  if (today.rows == 0) return out;
  for (const auto& f : features) {
    if (std::any_of(f.columns.begin(), f.columns.end(), [&](auto c) { return c >= today.cols; })) continue;
    auto now = shares_of(f, today);
    double psi = 0;
    for (std::size_t i = 0; i < now.size() && i < f.shares.size(); ++i) {
      double a = std::max(now[i], 1e-4), e = std::max(f.shares[i], 1e-4);
      psi += (a - e) * std::log(a / e);
    }
    out.emplace_back(f.source, psi);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return out;
}

std::string DriftBaseline::to_json() const {
  json::array a;
  for (const auto& f : features)
    a.push_back(json::object{{"source", f.source}, {"columns", json::value_from(f.columns)},
                             {"edges", json::value_from(f.edges)}, {"shares", json::value_from(f.shares)}});
  return json::serialize(a);
}

DriftBaseline DriftBaseline::from_json(const std::string& text) {
  DriftBaseline b;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return b;
  try {
    for (const auto& f : v.as_array()) {
      const auto& o = f.as_object();
      b.features.push_back({json::value_to<std::string>(o.at("source")),
                            json::value_to<std::vector<std::size_t>>(o.at("columns")),
                            json::value_to<std::vector<double>>(o.at("edges")),
                            json::value_to<std::vector<double>>(o.at("shares"))});
    }
  } catch (const std::exception&) {
    return {};
  }
  return b;
}

}  // namespace cg::model
