#pragma once
// The dashboard's data (GET /api/v1/dashboard, one JSON document for every panel) and the
// static files it is made of (served from http.dashboard_dir, no CDN).
#include "daemon/app/app.hpp"
#include "daemon/http/server.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cg::app {

// What the dashboard and the status page show of the whole book, from one pass over it a batch
// of customers at a time (memory holds one batch and the sums, not every customer).
struct BookSummary {
  std::size_t customers = 0;
  std::map<std::string, std::size_t> tiers;
  std::vector<int> histogram = std::vector<int>(10, 0);  // latest scores in tens
  double sentiment = 0, engagement = 0;
  std::size_t n_sentiment = 0, n_engagement = 0, negative_sentiment = 0, low_engagement = 0;
  struct Point {  // the trend: every customer's score in force at `at`
    std::int64_t at = 0;
    double score = 0, sentiment = 0, engagement = 0;
    std::size_t n = 0, n_sentiment = 0, n_engagement = 0, high = 0;
  };
  std::vector<Point> trend;  // 30 days, oldest first
  std::string segment;       // the property segments are by
  struct Segment {
    double now = 0, before = 0;
    std::size_t n = 0, n_before = 0, high = 0;
  };
  std::map<std::string, Segment> segments;
  struct Top {
    store::Score score;
    std::string name;
    std::map<std::string, std::string> play_fields;
  };
  std::vector<Top> top;  // riskiest first
  std::map<std::string, std::size_t> reason_counts;  // reasons of high risk by phrase (scoring::ReasonGroups)
  std::size_t high_risk = 0, high_without_play = 0;
};
BookSummary summarise_book(App& app, std::int64_t now_ms, std::size_t top_n);

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
