#include "simulator/query.hpp"

#include <boost/url/parse_query.hpp>

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

}  // namespace cg::sim
