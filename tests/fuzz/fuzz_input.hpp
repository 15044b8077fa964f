#pragma once
// Splits one fuzzer input into fields: parts separated by a 0x00 byte, missing parts empty, so
// one input can drive a function of several strings (headers and body) and the corpus stays
// readable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cg::fuzz {

inline std::vector<std::string> split_input(const std::uint8_t* data, std::size_t size, std::size_t parts) {
  std::vector<std::string> out(parts);
  std::size_t k = 0;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0 && k + 1 < parts) {
      ++k;
      continue;
    }
    out[k].push_back(static_cast<char>(data[i]));
  }
  return out;
}

}  // namespace cg::fuzz
