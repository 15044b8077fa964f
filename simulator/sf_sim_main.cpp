// churnguard-salesforce-sim: the Salesforce org simulator as a process, for the demo and manual
// tests. The connected app's RSA key and certificate are made on first use in the cert dir
// (app.key, 0600, is what the daemon signs its JWT assertions with).
#include "daemon/core/clock.hpp"
#include "simulator/cli.hpp"
#include "simulator/salesforce_sim.hpp"
#include "simulator/serve.hpp"
#include "simulator/test_certs.hpp"

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace cg;
using cg::sim::or_exit;

int main(int argc, char** argv) {
  std::string seed;
  sim::ServeOptions so;
  so.name = "salesforce-sim";
  sim::SalesforceSimOptions opts;
  sim::Args args(argc, argv);
  for (std::string a; args.next(a);) {
    if (a == "--seed") seed = or_exit(args.text());
    else if (a == "--port") so.port = static_cast<int>(or_exit(args.integer(0, 65535)));
    else if (a == "--port-file") so.port_file = or_exit(args.text());
    else if (a == "--cert-dir") so.cert_dir = or_exit(args.text());
    else if (a == "--client-id") opts.client_id = or_exit(args.text());
    else if (a == "--username") opts.username = or_exit(args.text());
    else if (a == "--daily-limit") opts.daily_limit = or_exit(args.integer(0, INT64_MAX));
    else if (a == "--session-calls") opts.session_calls = or_exit(args.integer(0, INT64_MAX));
    else if (a == "--fault-rate") opts.fault_rate = or_exit(args.decimal(0, 1));
    else if (a == "--fault-seed") opts.fault_seed = static_cast<std::uint32_t>(or_exit(args.integer(0, UINT32_MAX)));
    else {
      std::cerr << "usage: churnguard-salesforce-sim [--seed FILE] [--port N] [--port-file F] [--cert-dir DIR]\n"
                   "         [--client-id ID] [--username NAME] [--daily-limit N] [--session-calls N]\n"
                   "         [--fault-rate P [--fault-seed N]]   answer a share P of data calls with 503\n";
      return a == "--help" ? 0 : 2;
    }
  }
  namespace fs = std::filesystem;
  fs::create_directories(so.cert_dir);
  const fs::path key = fs::path(so.cert_dir) / "app.key", cert = fs::path(so.cert_dir) / "app.crt";
  if (!fs::exists(key) || !fs::exists(cert)) {
    auto app = sim::make_app_signing_key();
    if (!app) {
      std::cerr << app.error().what() << "\n";
      return 1;
    }
    std::ofstream(key) << app->key_pem;
    ::chmod(key.c_str(), 0600);
    std::ofstream(cert) << app->cert_pem;
  }
  opts.certificate_pem = or_exit(sim::read_file(cert.string(), "certificate"));
  sim::SalesforceSim sim(opts);
  if (!seed.empty()) {
    if (auto r = sim.load_seed(or_exit(sim::read_file(seed, "seed")), SystemClock{}.now_ms()); !r) {
      std::cerr << r.error().what() << "\n";
      return 2;
    }
  }
  return sim::serve_until_signalled(so, [&](http::Request r) { return sim.handle(std::move(r)); }, [&](int bound) {
    sim.set_instance_url("https://127.0.0.1:" + std::to_string(bound));
    return "Salesforce simulator on https://127.0.0.1:" + std::to_string(bound) + " (CA: " + so.cert_dir +
           "/ca.pem, app key: " + key.string() + "), " + std::to_string(sim.count("Account")) + " accounts, " +
           std::to_string(sim.count("Case")) + " cases";
  });
}
