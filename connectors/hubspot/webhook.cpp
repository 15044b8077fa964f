#include "connectors/hubspot/webhook.hpp"

#include <boost/json.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>
#include <cstdlib>

namespace cg::hubspot {
namespace json = boost::json;

std::string decode_signed_uri(const std::string& uri) {
  static constexpr std::pair<const char*, char> escapes[] = {{"3A", ':'}, {"2F", '/'}, {"3F", '?'}, {"40", '@'},
                                                             {"21", '!'}, {"24", '$'}, {"27", '\''}, {"28", '('},
                                                             {"29", ')'}, {"2A", '*'}, {"2C", ','}, {"3B", ';'}};
  std::string out;
  out.reserve(uri.size());
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      std::string hex{static_cast<char>(std::toupper(static_cast<unsigned char>(uri[i + 1]))),
                      static_cast<char>(std::toupper(static_cast<unsigned char>(uri[i + 2])))};
      bool decoded = false;
      for (const auto& [code, ch] : escapes)
        if (hex == code) {
          out += ch;
          i += 2;
          decoded = true;
          break;
        }
      if (decoded) continue;
    }
    out += uri[i];
  }
  return out;
}

std::string sign_v3(const std::string& secret, const std::string& method, const std::string& uri,
                    const std::string& body, const std::string& timestamp) {
  const std::string source = method + decode_signed_uri(uri) + body + timestamp;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(source.data()), source.size(), mac, &len);
  std::string b64(4 * ((len + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, static_cast<int>(len));
  b64.resize(static_cast<std::size_t>(n));
  return b64;
}

static std::string sha256_hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += hex[md[i] >> 4], out += hex[md[i] & 15];
  return out;
}

std::string sign_v1(const std::string& secret, const std::string& body) { return sha256_hex(secret + body); }
std::string sign_v2(const std::string& secret, const std::string& method, const std::string& uri, const std::string& body) {
  return sha256_hex(secret + method + uri + body);
}

Result<void> verify_v3(const std::string& secret, const std::string& method, const std::string& uri,
                       const std::string& body, const std::string& ts, const std::string& sig, std::int64_t now) {
  if (ts.empty() || sig.empty())
    return make_error(ErrorKind::auth, "missing X-HubSpot-Request-Timestamp or X-HubSpot-Signature-v3");
  if (ts.size() > 15 || ts.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ErrorKind::auth, "X-HubSpot-Request-Timestamp is not epoch milliseconds");
  const std::int64_t t = std::stoll(ts);
  if (now - t > webhook_max_age_ms) return make_error(ErrorKind::auth, "the webhook is older than 5 minutes (replay?)");
  if (t - now > webhook_max_age_ms) return make_error(ErrorKind::auth, "the webhook timestamp is in the future");
  const auto expected = sign_v3(secret, method, uri, body, ts);
  if (expected.size() != sig.size() || CRYPTO_memcmp(expected.data(), sig.data(), sig.size()) != 0)
    return make_error(ErrorKind::auth, "the v3 signature does not match (wrong client secret, URL or body)");
  return {};
}

Result<std::vector<WebhookEvent>> parse_webhook_events(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return make_error(ErrorKind::invalid_input, "webhook body is not valid JSON: " + ec.message());
  if (!v.is_array()) return make_error(ErrorKind::invalid_input, "webhook body must be a JSON array of events");
  if (v.as_array().size() > 100) return make_error(ErrorKind::invalid_input, "more than 100 events in one webhook");
  std::vector<WebhookEvent> out;
  std::size_t i = 0;
  for (auto& e : v.as_array()) {
    ++i;
    auto bad = [&](const std::string& why) {
      return make_error(ErrorKind::invalid_input, "webhook event " + std::to_string(i) + ": " + why);
    };
    if (!e.is_object()) return bad("not an object");
    auto& o = e.as_object();
    auto id_of = [&](const char* k) -> std::string {
      auto* f = o.if_contains(k);
      if (!f) return {};
      if (f->is_string()) return std::string(f->as_string());
      if (f->is_int64()) return std::to_string(f->as_int64());
      if (f->is_uint64()) return std::to_string(f->as_uint64());
      return {};
    };
    WebhookEvent w{id_of("eventId"), "", id_of("objectId")};
    if (w.event_id.empty()) return bad("no eventId");
    auto* st = o.if_contains("subscriptionType");
    if (!st || !st->is_string()) return bad("no subscriptionType");
    w.subscription_type = std::string(st->as_string());
    if (auto* oc = o.if_contains("occurredAt"); oc && oc->is_number()) {
      boost::system::error_code ec;
      w.occurred_ms = oc->to_number<std::int64_t>(ec);  // 1.5 or 1e30 is not a time in ms
      if (ec) return bad("occurredAt " + boost::json::serialize(*oc) + " is not whole milliseconds");
    }
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace cg::hubspot
