#pragma once
// The dashboard's data (GET /api/v1/dashboard, one JSON document for every panel) and the
// static files it is made of (served from http.dashboard_dir, no CDN).
#include "daemon/app/app.hpp"
#include "daemon/http/server.hpp"

#include <optional>
#include <string>

namespace cg::app {

// Risk distribution and tiers, the 30-day trend (overall and by segment), the highest-risk
// customers with reasons and next action, plays with their intervals, engagement and sentiment,
// recommendations, sync status and API budget.
std::string dashboard_json(App& app, std::int64_t now_ms);

// A file under `dir` for a request path ("/" is index.html); nullopt when absent or outside it.
std::optional<http::Response> static_file(const http::Request& req, const std::string& dir, const std::string& path);

}  // namespace cg::app
