#include "daemon/app/play_webhooks.hpp"

#include "connectors/transport/https_client.hpp"
#include "daemon/app/app.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <openssl/hmac.h>

namespace cg::app {
namespace json = boost::json;

std::string play_webhook_signature(const std::string& secret, std::int64_t ts, const std::string& body) {
  const std::string msg = std::to_string(ts) + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += hex[mac[i] >> 4], out += hex[mac[i] & 15];
  return out;
}

boost::asio::awaitable<Result<std::pair<std::size_t, std::size_t>>> App::send_play_webhooks(
    const std::vector<std::pair<const store::PlayAssignment*, const config::PlayConfig*>>& hooks) {
  std::size_t sent = 0, failed = 0;
  if (!plays_webhook_secret_) co_return make_error(ErrorKind::config, "plays_settings.webhook_secret is not set");
  auto url = boost::urls::parse_absolute_uri(cfg_.plays_settings.webhook_url);
  if (!url) co_return make_error(ErrorKind::config, "plays_settings.webhook_url is not a URL");
  const std::string origin = std::string(url->scheme()) + "://" + std::string(url->encoded_authority());
  std::string target(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  // Named first: GCC 12 destroys a temporary twice when it shares an expression with co_await.
  auto executor = co_await boost::asio::this_coro::executor;
  transport::ClientOptions options{origin, cfg_.plays_settings.webhook_ca_file, std::chrono::seconds(10), 1u << 20, "churnguard"};
  auto client = transport::HttpsClient::create(executor, std::move(options));
  if (!client) co_return client.error();
  for (const auto& [a, p] : hooks) {
    const auto now = SystemClock{}.now_ms();
    json::object body{{"event", "play.enrolled"},        {"assignment_id", a->id},
                      {"play", p->id},                    {"kind", p->kind},
                      {"customer_id", a->customer_id},    {"crm", cfg_.crm},
                      {"score", a->score},                {"assigned_at", format_iso8601(a->assigned_ms)},
                      {"offer", json::object{{"text", p->offer_text}, {"value", p->offer_value}}}};
    transport::Request req{boost::beast::http::verb::post, target, json::serialize(body)};
    req.headers.emplace_back("X-ChurnGuard-Timestamp", std::to_string(now));
    req.headers.emplace_back("X-ChurnGuard-Signature", "v1=" + play_webhook_signature(plays_webhook_secret_->reveal(), now, req.body));
    req.headers.emplace_back("X-ChurnGuard-Delivery", std::to_string(a->id));
    auto r = co_await (*client)->send(std::move(req));
    const bool ok = r && r->status >= 200 && r->status < 300;
    const std::string detail = ok ? std::to_string(r->status) : r ? "HTTP " + std::to_string(r->status) : r.error().what();
    if (auto rec = store_->record_action(a->id, "webhook", ok, detail, now); !rec) co_return rec.error();
    if (ok) {
      ++sent;
    } else {
      ++failed;
      log::warn("plays", "webhook for assignment " + std::to_string(a->id) + " failed (" + detail + "); retried next pass");
    }
  }
  co_return std::pair<std::size_t, std::size_t>{sent, failed};
}

}  // namespace cg::app
