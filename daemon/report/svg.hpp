#pragma once
// Small SVG chart writers for the report: axes with ticks, polylines, bars. Values in data
// units; everything else is fixed layout.
#include <string>
#include <utility>
#include <vector>

namespace cg::report::svg {

struct Series {
  std::string label, colour;
  std::vector<std::pair<double, double>> points;
  bool dashed = false;
  bool markers = false;
};

// A square line chart over [0,1] x [0,1] (or [0, y_max]).
std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<Series>& series, double y_max = 1.0);
// Vertical bars with a reference line at `reference` (e.g. lift 1.0).
std::string bar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                      const std::string& y_label, double reference);
// Horizontal bars, one per row, longest scale = the largest value; `marks` adds vertical guides.
std::string hbar_chart(const std::string& title, const std::vector<std::pair<std::string, double>>& bars,
                       const std::vector<std::pair<double, std::string>>& marks = {});

std::string escape(const std::string& text);

}  // namespace cg::report::svg
