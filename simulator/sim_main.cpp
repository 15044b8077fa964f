// churnguard-hubspot-sim: the HubSpot simulator as a process, for the demo and manual tests.
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "simulator/cli.hpp"
#include "simulator/hubspot_sim.hpp"
#include "simulator/serve.hpp"

#include <cstdint>
#include <cstdlib>
#include <iostream>

using namespace cg;
using cg::sim::or_exit;

int main(int argc, char** argv) {
  std::string seed, cert_dir = "sim-certs", token_env = "CHURNGUARD_HUBSPOT_TOKEN", port_file, webhook_url,
      secret_env = "CHURNGUARD_HUBSPOT_CLIENT_SECRET";
  int port = 8443;
  sim::HubspotSimOptions opts;
  sim::Args args(argc, argv);
  for (std::string a; args.next(a);) {
    if (a == "--seed") seed = or_exit(args.text());
    else if (a == "--port") port = static_cast<int>(or_exit(args.integer(0, 65535)));
    else if (a == "--port-file") port_file = or_exit(args.text());
    else if (a == "--cert-dir") cert_dir = or_exit(args.text());
    else if (a == "--token-env") token_env = or_exit(args.text());
    else if (a == "--burst") opts.burst_limit = static_cast<int>(or_exit(args.integer(1, 1'000'000'000)));
    else if (a == "--window-ms") opts.burst_window_ms = static_cast<int>(or_exit(args.integer(1, 86'400'000)));
    else if (a == "--search-rate") opts.search_per_second = static_cast<int>(or_exit(args.integer(1, 1'000'000'000)));
    else if (a == "--daily-limit") opts.daily_limit = or_exit(args.integer(0, INT64_MAX));
    else if (a == "--fault-rate") opts.fault_rate = or_exit(args.decimal(0, 1));
    else if (a == "--fault-seed") opts.fault_seed = static_cast<std::uint32_t>(or_exit(args.integer(0, UINT32_MAX)));
    else if (a == "--webhook-url") webhook_url = or_exit(args.text());
    else if (a == "--client-secret-env") secret_env = or_exit(args.text());
    else {
      std::cerr << "usage: churnguard-hubspot-sim [--seed FILE] [--port N] [--port-file F] [--cert-dir DIR]\n"
                   "         [--token-env VAR] [--burst N] [--window-ms MS] [--search-rate N] [--daily-limit N]\n"
                   "         [--fault-rate P [--fault-seed N]]   answer a share P of calls with 500/502/503\n"
                   "         [--webhook-url URL [--client-secret-env VAR]]   deliver v3-signed webhooks on creations\n";
      return a == "--help" ? 0 : 2;
    }
  }
  const char* token = std::getenv(token_env.c_str());
  if (!token || !*token) {
    std::cerr << "set " << token_env << " to the token the simulator should accept\n";
    return 2;
  }
  opts.token = token;
  sim::HubspotSim sim(opts);
  if (!seed.empty()) {
    if (auto r = sim.load_seed(or_exit(sim::read_file(seed, "seed")), SystemClock{}.now_ms()); !r) {
      std::cerr << r.error().what() << "\n";
      return 2;
    }
  }
  if (!webhook_url.empty()) {
    const char* secret = std::getenv(secret_env.c_str());
    if (!secret || !*secret) {
      std::cerr << "--webhook-url needs the app's client secret in " << secret_env << "\n";
      return 2;
    }
    sim.set_webhook(webhook_url, secret);
  }
  sim::ServeOptions so{port, port_file, cert_dir, "hubspot-sim"};
  return sim::serve_until_signalled(so, [&](http::Request r) { return sim.handle(std::move(r)); }, [&](int bound) {
    return "HubSpot simulator on https://127.0.0.1:" + std::to_string(bound) + " (CA: " + cert_dir + "/ca.pem), " +
           std::to_string(sim.count("companies")) + " companies, " + std::to_string(sim.count("tickets")) + " tickets";
  });
}
