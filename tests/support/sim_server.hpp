#pragma once
// A HubSpot simulator served over loopback TLS on its own thread, for tests. The same server
// and simulator code the demo runs; the certificate is made fresh for each fixture.
#include "daemon/http/server.hpp"
#include "simulator/hubspot_sim.hpp"
#include "simulator/salesforce_sim.hpp"
#include "simulator/test_certs.hpp"

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <thread>

namespace cg::test {

inline constexpr const char* sim_token = "pat-na1-test-0123456789abcdef";

// A handler served over loopback TLS on its own thread, with a fresh certificate.
class TlsLoopback {
 public:
  TlsLoopback(http::Handler handler, std::vector<std::string> dns, std::vector<std::string> ips);
  ~TlsLoopback();
  [[nodiscard]] std::string base_url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string ca_file_;
  std::filesystem::path dir_;
};

class SimServer {
 public:
  explicit SimServer(sim::HubspotSimOptions opts = fast_options(), std::vector<std::string> dns = {"localhost"},
                     std::vector<std::string> ips = {"127.0.0.1"});
  ~SimServer();

  static sim::HubspotSimOptions fast_options();
  [[nodiscard]] std::string base_url() const { return tls_->base_url(); }
  [[nodiscard]] const std::string& ca_file() const { return tls_->ca_file(); }
  sim::HubspotSim& sim() { return sim_; }

 private:
  sim::HubspotSim sim_;
  std::unique_ptr<TlsLoopback> tls_;
};

// A Salesforce org simulator over loopback TLS, with a connected app whose RSA key signs the
// JWT bearer assertions (key_file() is 0600, as an admin would keep it).
class SfSimServer {
 public:
  explicit SfSimServer(sim::SalesforceSimOptions opts = {});
  ~SfSimServer();
  [[nodiscard]] std::string base_url() const { return tls_->base_url(); }
  [[nodiscard]] const std::string& ca_file() const { return tls_->ca_file(); }
  [[nodiscard]] std::string key_file() const { return (dir_ / "app.key").string(); }
  [[nodiscard]] const std::string& key_pem() const { return key_pem_; }
  sim::SalesforceSim& sim() { return *sim_; }

 private:
  std::unique_ptr<sim::SalesforceSim> sim_;
  std::unique_ptr<TlsLoopback> tls_;
  std::filesystem::path dir_;
  std::string key_pem_;
};

// A seed with `companies` companies (every third churned) and `tickets_each` tickets apiece.
// With same_stamp, every company has the same last-modified time.
std::string make_seed(int companies, int tickets_each, bool same_stamp = false);

// The seed with a renewal deal per company: the churned (every third) lost theirs, closed 100 to
// 400 days ago; the rest renewed (closedwon) then too. Every fifth company also lost a newbusiness
// deal, which is not a renewal.
std::string with_renewals(const std::string& seed);

// The seed with account owners: 71000001 and 71000002 active, 71000003 deactivated; company i is
// owned by owner i % 4 (the fourth has none). seed_owner(i) is that owner's id, or "".
std::string with_owners(const std::string& seed);
std::string seed_owner(int company_index);

// A fresh temporary directory, removed by the caller's fixture.
std::filesystem::path temp_dir(const std::string& prefix);

}  // namespace cg::test
