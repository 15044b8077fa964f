#include "simulator/serve.hpp"

#include "simulator/test_certs.hpp"

#include <boost/asio/signal_set.hpp>

#include <fstream>
#include <iostream>

namespace cg::sim {

int serve_until_signalled(const ServeOptions& o, http::Handler handler, const std::function<std::string(int)>& banner) {
  auto certs = ensure_cert_dir(o.cert_dir);
  if (!certs) {
    std::cerr << certs.error().what() << "\n";
    return 1;
  }
  auto tls = http::tls_context(certs->cert_pem, certs->key_pem);
  if (!tls) {
    std::cerr << tls.error().what() << "\n";
    return 1;
  }
  boost::asio::io_context io;
  http::Server server(io, {"127.0.0.1", static_cast<std::uint16_t>(o.port), *tls, 64u << 20, std::chrono::seconds(30), o.name},
                      std::move(handler));
  auto bound = server.start();
  if (!bound) {
    std::cerr << bound.error().what() << "\n";
    return 1;
  }
  if (!o.port_file.empty()) std::ofstream(o.port_file) << *bound << "\n";
  std::cout << banner(*bound) << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](auto, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace cg::sim
