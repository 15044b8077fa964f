#pragma once
// A URL query string, or an application/x-www-form-urlencoded body, decoded by Boost.URL: its
// parameters in order, '+' read as a space. nullopt when it is malformed (a '%' without two hex
// digits after it), which the real APIs refuse with a 400.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cg::sim {

using Params = std::vector<std::pair<std::string, std::string>>;

std::optional<Params> parse_params(std::string_view text);

// The first value of `key`; "" when it is absent.
std::string param(const Params& params, std::string_view key);

// `text` as a whole decimal number, or nullopt ("", "12abc", "1.5", "1e3", out of range).
std::optional<long long> whole_number(std::string_view text);

}  // namespace cg::sim
