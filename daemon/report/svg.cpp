#include "daemon/report/svg.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace cg::report::svg {
namespace {

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string tick(double v) {
  char b[32];
  std::snprintf(b, sizeof b, v == static_cast<int>(v) ? "%.0f" : "%.1f", v);
  return b;
}

}  // namespace

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string line_chart(const std::string& title, const std::string& xl, const std::string& yl,
                       const std::vector<Series>& series, double y_max) {
  const double L = 50, T = 30, W = 300, H = 300;
  auto X = [&](double x) { return L + x * W; };
  auto Y = [&](double y) { return T + H - y / y_max * H; };
  std::ostringstream o;
  o << R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" << L + W + 150 << " " << T + H + 50
    << R"(" class="chart" role="img" aria-label=")" << escape(title) << R"(">)";
  o << R"(<text x=")" << L << R"(" y="18" class="title">)" << escape(title) << "</text>";
  o << R"(<rect x=")" << L << R"(" y=")" << T << R"(" width=")" << W << R"(" height=")" << H << R"(" class="frame"/>)";
  for (int i = 0; i <= 5; ++i) {
    double f = i / 5.0;
    o << R"(<line x1=")" << num(X(f)) << R"(" y1=")" << T << R"(" x2=")" << num(X(f)) << R"(" y2=")" << T + H
      << R"(" class="grid"/>)";
    o << R"(<line x1=")" << L << R"(" y1=")" << num(Y(f * y_max)) << R"(" x2=")" << L + W << R"(" y2=")"
      << num(Y(f * y_max)) << R"(" class="grid"/>)";
    o << R"(<text x=")" << num(X(f)) << R"(" y=")" << T + H + 15 << R"(" class="tick" text-anchor="middle">)" << tick(f)
      << "</text>";
    o << R"(<text x=")" << L - 5 << R"(" y=")" << num(Y(f * y_max) + 4) << R"(" class="tick" text-anchor="end">)"
      << tick(f * y_max) << "</text>";
  }
  o << R"(<text x=")" << L + W / 2 << R"(" y=")" << T + H + 35 << R"(" class="axis" text-anchor="middle">)" << escape(xl)
    << "</text>";
  o << "<text transform=\"translate(14 " << T + H / 2 << ") rotate(-90)\" class=\"axis\" text-anchor=\"middle\">"
    << escape(yl) << "</text>";
  int legend = 0;
  for (const auto& s : series) {
    o << R"(<polyline fill="none" stroke=")" << s.colour << R"(" stroke-width="2")"
      << (s.dashed ? R"( stroke-dasharray="5 4")" : "") << R"( points=")";
    for (const auto& [x, y] : s.points) o << num(X(x)) << "," << num(Y(std::min(y, y_max))) << " ";
    o << R"("/>)";
    if (s.markers)
      for (const auto& [x, y] : s.points)
        o << R"(<circle cx=")" << num(X(x)) << R"(" cy=")" << num(Y(std::min(y, y_max))) << R"(" r="3" fill=")"
          << s.colour << R"("/>)";
    double ly = T + 10 + legend++ * 18;
    o << R"(<line x1=")" << L + W + 10 << R"(" y1=")" << ly << R"(" x2=")" << L + W + 30 << R"(" y2=")" << ly
      << R"(" stroke=")" << s.colour << R"(" stroke-width="2")" << (s.dashed ? R"( stroke-dasharray="5 4")" : "")
      << "/>";
    o << R"(<text x=")" << L + W + 35 << R"(" y=")" << ly + 4 << R"(" class="tick">)" << escape(s.label) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string bar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                      const std::string& yl, double reference) {
  const double L = 50, T = 30, W = 400, H = 260;
  double top = reference;
  for (auto& b : bars) top = std::max(top, b.second);
  top = top <= 0 ? 1 : top * 1.1;
  auto Y = [&](double y) { return T + H - y / top * H; };
  const double slot = bars.empty() ? W : W / static_cast<double>(bars.size());
  std::ostringstream o;
  o << R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" << L + W + 20 << " " << T + H + 50
    << R"(" class="chart" role="img" aria-label=")" << escape(title) << R"(">)";
  o << R"(<text x=")" << L << R"(" y="18" class="title">)" << escape(title) << "</text>";
  o << R"(<rect x=")" << L << R"(" y=")" << T << R"(" width=")" << W << R"(" height=")" << H << R"(" class="frame"/>)";
  for (int i = 0; i <= 4; ++i) {
    double v = top * i / 4;
    o << R"(<text x=")" << L - 5 << R"(" y=")" << num(Y(v) + 4) << R"(" class="tick" text-anchor="end">)" << tick(v)
      << "</text>";
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    double x = L + i * slot + slot * 0.15, h = bars[i].second / top * H;
    o << R"(<rect x=")" << num(x) << R"(" y=")" << num(T + H - h) << R"(" width=")" << num(slot * 0.7)
      << R"(" height=")" << num(h) << R"(" class="bar"><title>)" << escape(bars[i].first) << ": " << tick(bars[i].second)
      << "</title></rect>";
    o << R"(<text x=")" << num(x + slot * 0.35) << R"(" y=")" << T + H + 15 << R"(" class="tick" text-anchor="middle">)"
      << escape(bars[i].first) << "</text>";
  }
  o << R"(<line x1=")" << L << R"(" y1=")" << num(Y(reference)) << R"(" x2=")" << L + W << R"(" y2=")"
    << num(Y(reference)) << R"(" class="ref"/>)";
  o << "<text transform=\"translate(14 " << T + H / 2 << ") rotate(-90)\" class=\"axis\" text-anchor=\"middle\">"
    << escape(yl) << "</text>";
  o << "</svg>";
  return o.str();
}

std::string hbar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                       const std::vector<std::pair<double, std::string>>& marks) {
  const double L = 230, T = 30, W = 300, row = 18;
  const double H = row * static_cast<double>(bars.size());
  double top = 0;
  for (auto& b : bars) top = std::max(top, b.second);
  for (auto& m : marks) top = std::max(top, m.first);
  if (top <= 0) top = 1;
  std::ostringstream o;
  o << R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" << L + W + 60 << " " << T + H + 30
    << R"(" class="chart wide" role="img" aria-label=")" << escape(title) << R"(">)";
  o << R"(<text x="10" y="18" class="title">)" << escape(title) << "</text>";
  for (std::size_t i = 0; i < bars.size(); ++i) {
    double y = T + i * row, w = bars[i].second / top * W;
    o << R"(<text x=")" << L - 6 << R"(" y=")" << num(y + 13) << R"(" class="tick" text-anchor="end">)"
      << escape(bars[i].first) << "</text>";
    o << R"(<rect x=")" << L << R"(" y=")" << num(y + 3) << R"(" width=")" << num(std::max(w, 1.0))
      << R"(" height=")" << row - 6 << R"(" class="bar"/>)";
    char v[32];
    std::snprintf(v, sizeof v, "%.3f", bars[i].second);
    o << R"(<text x=")" << num(L + std::max(w, 1.0) + 4) << R"(" y=")" << num(y + 13) << R"(" class="tick">)" << v
      << "</text>";
  }
  for (const auto& [at, label] : marks) {
    double x = L + at / top * W;
    o << R"(<line x1=")" << num(x) << R"(" y1=")" << T << R"(" x2=")" << num(x) << R"(" y2=")" << T + H
      << R"(" class="ref"/>)";
    o << R"(<text x=")" << num(x) << R"(" y=")" << T + H + 14 << R"(" class="tick" text-anchor="middle">)"
      << escape(label) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

}  // namespace cg::report::svg
