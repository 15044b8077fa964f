#include "daemon/http/server.hpp"

#include "daemon/core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <ctime>

namespace cg::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

Response make_response(const Request& req, unsigned status, std::string body, std::string content_type) {
  Response res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::content_type, content_type);
  // RFC 9110 asks origin servers with a clock to send Date; clients check clock skew with it.
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  res.set(bhttp::field::date, date);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

struct Server::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context& io;
  ServerOptions opts;
  Handler handler;
  std::optional<tcp::acceptor> acceptor;

  Impl(asio::io_context& i, ServerOptions o, Handler h) : io(i), opts(std::move(o)), handler(std::move(h)) {}

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(opts.body_limit);
      beast::get_lowest_layer(stream).expires_after(opts.timeout);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (ec == bhttp::error::body_limit) {
        Request head;
        head.version(11);
        auto res = make_response(head, 413, R"({"status":"error","message":"request body too large"})");
        res.keep_alive(false);
        co_await bhttp::async_write(stream, res, use_tuple);
        co_return;
      }
      if (ec) co_return;  // closed, timed out or garbage: drop the connection
      auto req = parser.release();
      bool keep = req.keep_alive();
      Response res = co_await handler(std::move(req));
      res.set(bhttp::field::server, opts.server_name);
      res.keep_alive(keep && res.keep_alive());
      beast::get_lowest_layer(stream).expires_after(opts.timeout);
      auto [wec, wn] = co_await bhttp::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    if (opts.tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *opts.tls);
      beast::get_lowest_layer(stream).expires_after(opts.timeout);
      auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
      if (ec) co_return;
      co_await serve(stream);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(use_tuple);  // stream_truncated from the peer is harmless
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(stream);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(asio::io_context& io, ServerOptions opts, Handler handler)
    : impl_(std::make_shared<Impl>(io, std::move(opts), std::move(handler))) {}
Server::~Server() { stop(); }

Result<std::uint16_t> Server::start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.address, ec);
  if (ec) return make_error(ErrorKind::config, "listen address '" + impl_->opts.address + "' is not an IP address");
  tcp::endpoint ep{addr, impl_->opts.port};
  auto& a = impl_->acceptor.emplace(impl_->io);
  if (a.open(ep.protocol(), ec); ec) return make_error(ErrorKind::io, "cannot open socket: " + ec.message());
  a.set_option(asio::socket_base::reuse_address(true), ec);
  if (a.bind(ep, ec); ec)
    return make_error(ErrorKind::io, "cannot listen on " + impl_->opts.address + ":" +
                                         std::to_string(impl_->opts.port) + ": " + ec.message());
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
    return make_error(ErrorKind::io, "cannot listen: " + ec.message());
  auto port = a.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return port;
}

void Server::stop() {
  if (impl_ && impl_->acceptor && impl_->acceptor->is_open()) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
}

Result<std::shared_ptr<asio::ssl::context>> tls_context(const std::string& cert_pem, const std::string& key_pem) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain(asio::buffer(cert_pem), ec);
  if (ec) return make_error(ErrorKind::tls, "server certificate: " + ec.message());
  ctx->use_private_key(asio::buffer(key_pem), asio::ssl::context::pem, ec);
  if (ec) return make_error(ErrorKind::tls, "server key: " + ec.message());
  return ctx;
}

}  // namespace cg::http
