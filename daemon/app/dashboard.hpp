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

// The dashboard reads the whole store (some 30 queries), which changes only in a pass or when
// events arrive: computed again after each pass the server ran, after invalidate(), and at most
// once a minute otherwise (so a `churnguard run` from another process shows within a minute).
// Used on the server's io thread only.
class DashboardCache {
 public:
  const std::string& get(App& app, std::int64_t now_ms);
  void invalidate() { valid_ = false; }

 private:
  bool valid_ = false;
  std::uint64_t runs_ = 0;
  std::int64_t minute_ = 0;
  std::string json_;
};

// A file under `dir` for a request path ("/" is index.html); nullopt when absent or outside it.
std::optional<http::Response> static_file(const http::Request& req, const std::string& dir, const std::string& path);

}  // namespace cg::app
