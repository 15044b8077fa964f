#pragma once
// Product-usage events as customers' products send them: JSON lines, or one JSON array.
// Pure parsing: each bad line is reported by its number and the good ones are kept.
#include "connectors/api/types.hpp"

#include <string>
#include <vector>

namespace cg::ingest {

struct EventParse {
  std::vector<crm::ActivityRecord> events;  // kind "usage", value = duration in seconds
  std::vector<std::pair<std::size_t, std::string>> rejected;  // line (or array index + 1), why
};

// One event: {"id": "e-1", "customer_id": "512", "event": "login", "timestamp": "2026-11-20T08:00:00Z"
// (or epoch ms), "duration_s": 30 (optional), "properties": {...} (optional, scalar values)}.
EventParse parse_events(const std::string& body);

}  // namespace cg::ingest
