#include "simulator/query.hpp"

#include <boost/url/parse_query.hpp>
#include <charconv>

namespace cg::sim {

std::optional<Params> parse_params(std::string_view text) {
  auto parsed = boost::urls::parse_query(text);
  if (!parsed) return std::nullopt;
  boost::urls::encoding_opts plus;
  plus.space_as_plus = true;
  Params out;
  for (const auto& p : *parsed) out.emplace_back(p.key.decode(plus), p.has_value ? p.value.decode(plus) : std::string());
  return out;
}

std::string param(const Params& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

std::optional<long long> whole_number(std::string_view text) {
  long long out = 0;
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, out);
  if (text.empty() || ec != std::errc() || at != end) return std::nullopt;
  return out;
}

}  // namespace cg::sim
