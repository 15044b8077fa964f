#pragma once
// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines; CR is dropped
// outside quotes. Used for Bulk API results and the benchmarks' public datasets.
#include <string>
#include <vector>

namespace cg {

std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace cg
