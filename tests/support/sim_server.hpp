#pragma once
// A HubSpot simulator served over loopback TLS on its own thread, for tests. The same server
// and simulator code the demo runs; the certificate is made fresh for each fixture.
#include "daemon/http/server.hpp"
#include "simulator/hubspot_sim.hpp"
#include "simulator/test_certs.hpp"

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <thread>

namespace cg::test {

inline constexpr const char* sim_token = "pat-na1-test-0123456789abcdef";

class SimServer {
 public:
  explicit SimServer(sim::HubspotSimOptions opts = fast_options(), std::vector<std::string> dns = {"localhost"},
                     std::vector<std::string> ips = {"127.0.0.1"});
  ~SimServer();

  static sim::HubspotSimOptions fast_options();
  [[nodiscard]] std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }
  sim::HubspotSim& sim() { return sim_; }

 private:
  sim::HubspotSim sim_;
  boost::asio::io_context io_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string ca_file_;
  std::filesystem::path dir_;
};

// A seed with `companies` companies (every third churned) and `tickets_each` tickets apiece.
// With same_stamp, every company has the same last-modified time.
std::string make_seed(int companies, int tickets_each, bool same_stamp = false);

// A fresh temporary directory, removed by the caller's fixture.
std::filesystem::path temp_dir(const std::string& prefix);

}  // namespace cg::test
