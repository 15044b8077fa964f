#pragma once
// Runs a simulator handler as a process: TLS with a CA and certificate kept in a directory
// (made on first use), a port file for scripts, and a clean stop on SIGINT/SIGTERM.
#include "daemon/http/server.hpp"

#include <functional>
#include <string>

namespace cg::sim {

struct ServeOptions {
  int port = 8443;             // 0 picks a free one
  std::string port_file;       // written with the bound port
  std::string cert_dir = "sim-certs";
  std::string name = "sim";
};

// `banner(port)` is printed once the server listens. Returns the process exit code.
int serve_until_signalled(const ServeOptions& o, http::Handler handler, const std::function<std::string(int)>& banner);

}  // namespace cg::sim
