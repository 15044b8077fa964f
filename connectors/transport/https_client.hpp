#pragma once
// One HTTPS client for every CRM call: Beast over OpenSSL, peer and host name always verified,
// SNI set, a deadline on every operation and a cap on every response body. Keeps one
// keep-alive connection and reconnects when the peer closed it.
// Not thread-safe: use one client from one strand (one coroutine at a time).
#include "daemon/core/error.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cg::transport {

struct ClientOptions {
  std::string base_url;       // https://host[:port]; a path prefix is not allowed
  std::string ca_file;        // extra CA bundle to trust besides the system store
  std::chrono::milliseconds timeout{30'000};
  std::size_t body_limit = 64u << 20;
  std::string user_agent = "churnguard";
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;         // path and query, e.g. "/crm/v3/objects/companies?limit=100"
  std::string body;
  std::string content_type = "application/json";
  Headers headers;            // e.g. Authorization; never logged
};

struct Response {
  unsigned status = 0;
  std::string body;
  Headers headers;            // names lower-cased
  [[nodiscard]] std::string header(std::string_view lower_name) const;
};

class HttpsClient {
 public:
  // Fails if the base URL is not https or the CA file cannot be loaded.
  static Result<std::unique_ptr<HttpsClient>> create(boost::asio::any_io_executor ex, ClientOptions opts);
  ~HttpsClient();

  boost::asio::awaitable<Result<Response>> send(Request req);
  [[nodiscard]] const std::string& host() const;

 private:
  struct Impl;
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cg::transport
