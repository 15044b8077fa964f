// The YAML config loader: any text gives a Config or an error naming where it is wrong.
#include "config/config.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = cg::config::parse_config(text, "fuzz.yaml");
  if (!c && c.error().message.empty()) __builtin_trap();
  return 0;
}
