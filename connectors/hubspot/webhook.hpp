#pragma once
// HubSpot webhook requests: the v3 signature (X-HubSpot-Signature-v3 over method, URI, raw body
// and timestamp, HMAC-SHA256 with the app's client secret, base64) and the event batch.
// Pure functions; the secret never appears in a returned message.
#include "daemon/core/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cg::hubspot {

inline constexpr std::int64_t webhook_max_age_ms = 300'000;

// Decodes exactly the 12 escapes HubSpot decodes before signing (%3A %2F %3F %40 %21 %24 %27
// %28 %29 %2A %2C %3B, either case); every other escape, e.g. %20, stays as it is.
std::string decode_signed_uri(const std::string& uri);

std::string sign_v3(const std::string& secret, const std::string& method, const std::string& uri,
                    const std::string& body, const std::string& timestamp);

// The older signatures HubSpot still sends (hex SHA-256 of secret + body, and of secret + method +
// URI + body). Kept to check our hashing against HubSpot's documented examples; the daemon
// accepts only v3, which adds a timestamp against replays.
std::string sign_v1(const std::string& secret, const std::string& body);
std::string sign_v2(const std::string& secret, const std::string& method, const std::string& uri, const std::string& body);

// Checks freshness (not older than 5 minutes, not more than 5 minutes ahead) and the signature,
// comparing in constant time. The error says which check failed.
Result<void> verify_v3(const std::string& secret, const std::string& method, const std::string& uri,
                       const std::string& body, const std::string& timestamp_header,
                       const std::string& signature_header, std::int64_t now_ms);

struct WebhookEvent {
  std::string event_id;
  std::string subscription_type;  // e.g. ticket.creation, company.propertyChange
  std::string object_id;
  std::int64_t occurred_ms = 0;
};

// The body is a JSON array of at most 100 events; the error names the first bad element.
Result<std::vector<WebhookEvent>> parse_webhook_events(const std::string& body);

}  // namespace cg::hubspot
