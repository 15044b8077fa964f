#pragma once
// The daemon's HTTP surface for now: /healthz, /metrics (Prometheus text) and a status page.
#include "daemon/app/app.hpp"
#include "daemon/http/server.hpp"

namespace cg::app {

struct RunState {
  std::optional<PipelineReport> last;
  std::string last_error;
  std::int64_t last_run_ms = 0;
};

http::Handler make_routes(App& app, const RunState& state);

}  // namespace cg::app
