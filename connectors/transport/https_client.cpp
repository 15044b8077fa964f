#include "connectors/transport/https_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <openssl/err.h>

#include <algorithm>
#include <optional>

namespace cg::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::string Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

struct HttpsClient::Impl {
  asio::any_io_executor ex;
  ClientOptions opts;
  ssl::context ctx{ssl::context::tls_client};
  std::string host, port;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;

  Error net_error(const char* during, const beast::error_code& ec) const {
    if (ec == beast::error::timeout)
      return make_error(ErrorKind::timeout, std::string(during) + " " + host + ":" + port + " timed out after " +
                                                std::to_string(opts.timeout.count()) + " ms");
    if (ec.category() == asio::error::get_ssl_category()) {
      std::string reason = ec.message();
      if (ERR_GET_REASON(ec.value()) == SSL_R_CERTIFICATE_VERIFY_FAILED)
        reason = "certificate verify failed (untrusted issuer or a certificate not valid for '" + host + "')";
      return make_error(ErrorKind::tls, std::string("TLS ") + during + " " + host + ":" + port + ": " + reason);
    }
    return make_error(ErrorKind::io, std::string(during) + " " + host + ":" + port + ": " + ec.message());
  }

  asio::awaitable<Result<void>> connect() {
    stream.reset();
    stream.emplace(ex, ctx);
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(host, port, use_tuple);
    if (rec) co_return net_error("resolving", rec);
    auto& ssl_stream = *stream;
    // SNI must carry a DNS name, never an IP literal.
    boost::system::error_code addr_ec;
    asio::ip::make_address(host, addr_ec);
    if (addr_ec && !SSL_set_tlsext_host_name(ssl_stream.native_handle(), host.c_str()))
      co_return make_error(ErrorKind::tls, "cannot set SNI for " + host);
    ssl_stream.set_verify_mode(ssl::verify_peer);
    ssl_stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(ssl_stream).expires_after(opts.timeout);
    auto [cec, ep] = co_await beast::get_lowest_layer(ssl_stream).async_connect(results, use_tuple);
    if (cec) co_return net_error("connecting to", cec);
    beast::get_lowest_layer(ssl_stream).expires_after(opts.timeout);
    auto [hec] = co_await ssl_stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      stream.reset();
      co_return net_error("handshake with", hec);
    }
    co_return Result<void>{};
  }

  asio::awaitable<Result<Response>> exchange(const Request& r, bool& sent_nothing) {
    http::request<http::string_body> req{r.method, r.target, 11};
    req.set(http::field::host, host);
    req.set(http::field::user_agent, opts.user_agent);
    req.set(http::field::accept, "application/json");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == http::verb::post || r.method == http::verb::patch ||
        r.method == http::verb::put) {
      req.set(http::field::content_type, r.content_type);
      req.body() = r.body;
    }
    req.prepare_payload();
    beast::get_lowest_layer(*stream).expires_after(opts.timeout);
    auto [wec, wn] = co_await http::async_write(*stream, req, use_tuple);
    if (wec) co_return net_error("writing to", wec);
    sent_nothing = false;
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(opts.body_limit);
    beast::get_lowest_layer(*stream).expires_after(opts.timeout);
    auto [rec, rn] = co_await http::async_read(*stream, buffer, parser, use_tuple);
    if (rec == http::error::body_limit)
      co_return make_error(ErrorKind::bad_response, "response from " + host + " exceeds the " +
                                                        std::to_string(opts.body_limit) + "-byte limit");
    if (rec) co_return net_error("reading from", rec);
    auto res = parser.release();
    Response out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (!res.keep_alive()) stream.reset();
    co_return out;
  }
};

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(asio::any_io_executor ex, ClientOptions opts) {
  auto url = boost::urls::parse_absolute_uri(opts.base_url);
  if (!url || url->scheme() != "https")
    return make_error(ErrorKind::config, "base URL must be https://host[:port], got '" + opts.base_url + "'");
  auto impl = std::make_unique<Impl>();
  impl->ex = ex;
  impl->host = url->host();
  impl->port = url->has_port() ? std::string(url->port()) : "443";
  impl->opts = std::move(opts);
  boost::system::error_code ec;
  impl->ctx.set_default_verify_paths(ec);
  impl->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (!impl->opts.ca_file.empty()) {
    impl->ctx.load_verify_file(impl->opts.ca_file, ec);
    if (ec) return make_error(ErrorKind::config, "cannot load CA file " + impl->opts.ca_file + ": " + ec.message());
  }
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;
const std::string& HttpsClient::host() const { return impl_->host; }

asio::awaitable<Result<Response>> HttpsClient::send(Request req) {
  // A kept-alive connection may have been closed by the peer; one fresh attempt is safe when
  // the failure came before any byte of the request reached the wire, or on a reused stream.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl_->stream.has_value();
    if (!reused) {
      auto c = co_await impl_->connect();
      if (!c) co_return c.error();
    }
    bool sent_nothing = true;
    auto r = co_await impl_->exchange(req, sent_nothing);
    if (r) co_return r;
    impl_->stream.reset();
    bool retry = reused && (sent_nothing || r.error().kind == ErrorKind::io);
    if (!retry || attempt == 1) co_return r;
  }
  co_return make_error(ErrorKind::io, "unreachable");
}

}  // namespace cg::transport
