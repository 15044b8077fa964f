// The /api/v1/events body parser: JSON lines or one array from customers' products.
#include "daemon/ingest/events.hpp"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto r = cg::ingest::parse_events(body);
  // Every accepted event names its customer and has an id; every rejection says why.
  for (const auto& e : r.events)
    if (e.customer_id.empty() || e.id.empty()) __builtin_trap();
  for (const auto& [line, why] : r.rejected)
    if (why.empty() || line == 0) __builtin_trap();
  return 0;
}
