#pragma once
// The benchmarks' public datasets: a whole CSV file through the project's one CSV parser.
#include "daemon/core/csv.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace cg::bench {

inline std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_csv(ss.str());
}

}  // namespace cg::bench
