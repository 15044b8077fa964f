#pragma once
// The daemon's HTTP surface: /healthz, /metrics (Prometheus text), a status page,
// POST /api/v1/events (product usage, bearer token) and POST /webhooks/hubspot (v3 signature).
#include "daemon/app/app.hpp"
#include "daemon/http/server.hpp"

namespace cg::app {

http::Handler make_routes(App& app);

}  // namespace cg::app
