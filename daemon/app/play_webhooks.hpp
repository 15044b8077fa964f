#pragma once
// The signature on a play's webhook: hex HMAC-SHA256 with the configured secret over
// "<X-ChurnGuard-Timestamp>.<raw body>", sent as "X-ChurnGuard-Signature: v1=<hex>".
// Receivers recompute it, compare in constant time and refuse old timestamps; the
// X-ChurnGuard-Delivery header (the enrolment id) lets them drop a repeat.
#include <cstdint>
#include <string>

namespace cg::app {

std::string play_webhook_signature(const std::string& secret, std::int64_t timestamp_ms, const std::string& body);

}  // namespace cg::app
