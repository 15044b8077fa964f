#pragma once
// The one HTTP/1.1 server of the project, plain or TLS, used by the daemon (dashboard, API,
// webhooks) and by the CRM simulators. One coroutine per connection, a deadline on every read
// and write, a body cap on every request. The handler runs on the server's io_context thread.
#include "daemon/core/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace cg::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;
// Must not throw; answer errors with an error status.
using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                          // 0 picks a free port
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  std::size_t body_limit = 1u << 20;
  std::chrono::seconds timeout{30};
  std::string server_name = "churnguard";
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions opts, Handler handler);
  ~Server();
  // Binds and starts accepting; returns the bound port.
  Result<std::uint16_t> start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

Response make_response(const Request& req, unsigned status, std::string body,
                       std::string content_type = "application/json");

// A TLS server context from PEM text.
Result<std::shared_ptr<boost::asio::ssl::context>> tls_context(const std::string& cert_pem, const std::string& key_pem);

}  // namespace cg::http
