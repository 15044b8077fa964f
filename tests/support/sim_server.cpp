#include "tests/support/sim_server.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <random>
#include <stdexcept>

namespace cg::test {
namespace json = boost::json;

std::filesystem::path temp_dir(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  auto p = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(rng()));
  std::filesystem::create_directories(p);
  return p;
}

sim::HubspotSimOptions SimServer::fast_options() {
  sim::HubspotSimOptions o;
  o.token = sim_token;
  o.burst_limit = 1000;
  o.burst_window_ms = 1000;
  o.search_per_second = 100;
  return o;
}

TlsLoopback::TlsLoopback(http::Handler handler, std::vector<std::string> dns, std::vector<std::string> ips) {
  auto certs = sim::make_test_certs(dns, ips);
  if (!certs) throw std::runtime_error(certs.error().what());
  dir_ = temp_dir("cg-sim");
  ca_file_ = (dir_ / "ca.pem").string();
  std::ofstream(ca_file_) << certs->ca_pem;
  auto tls = http::tls_context(certs->cert_pem, certs->key_pem);
  if (!tls) throw std::runtime_error(tls.error().what());
  server_ = std::make_unique<http::Server>(io_, http::ServerOptions{"127.0.0.1", 0, *tls, 8u << 20, std::chrono::seconds(10), "sim"},
                                           std::move(handler));
  auto port = server_->start();
  if (!port) throw std::runtime_error(port.error().what());
  port_ = *port;
  thread_ = std::thread([this] { io_.run(); });
}

TlsLoopback::~TlsLoopback() {
  io_.stop();
  thread_.join();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

SimServer::SimServer(sim::HubspotSimOptions opts, std::vector<std::string> dns, std::vector<std::string> ips)
    : sim_(std::move(opts)),
      tls_(std::make_unique<TlsLoopback>([this](http::Request r) { return sim_.handle(std::move(r)); }, dns, ips)) {}

SimServer::~SimServer() = default;

SfSimServer::SfSimServer(sim::SalesforceSimOptions opts) {
  auto app = sim::make_app_signing_key();
  if (!app) throw std::runtime_error(app.error().what());
  key_pem_ = app->key_pem;
  opts.certificate_pem = app->cert_pem;
  sim_ = std::make_unique<sim::SalesforceSim>(std::move(opts));
  tls_ = std::make_unique<TlsLoopback>([this](http::Request r) { return sim_->handle(std::move(r)); },
                                       std::vector<std::string>{"localhost"}, std::vector<std::string>{"127.0.0.1"});
  sim_->set_instance_url(tls_->base_url());
  dir_ = temp_dir("cg-sf-app");
  std::ofstream(dir_ / "app.key") << key_pem_;
  std::filesystem::permissions(dir_ / "app.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

SfSimServer::~SfSimServer() {
  tls_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string seed_owner(int i) { return i % 4 == 3 ? "" : std::to_string(71000001 + i % 4); }

std::string with_owners(const std::string& seed) {
  auto v = json::parse(seed).as_object();
  json::array owners;
  const char* names[] = {"Ana", "Ben", "Cy"};
  for (int k = 0; k < 3; ++k)
    owners.push_back(json::object{{"id", seed_owner(k)}, {"firstName", names[k]}, {"lastName", "Owner"},
                                  {"email", std::string(names[k]) + "@owners.example"}, {"active", k != 2}});
  v["owners"] = std::move(owners);
  int i = 0;
  for (auto& c : v["companies"].as_array())
    if (auto owner = seed_owner(i++); !owner.empty()) c.as_object()["owner"] = owner;
  return json::serialize(v);
}

std::string with_renewals(const std::string& seed) {
  auto s = json::parse(seed).as_object();
  json::array deals;
  int id = 800000;
  const auto& companies = s.at("companies").as_array();
  for (std::size_t i = 0; i < companies.size(); ++i) {
    const std::string company(companies[i].at("id").as_string());
    auto deal = [&](const char* type, const char* stage, double closed_days_ago) {
      deals.push_back(json::object{{"id", std::to_string(id++)}, {"company", company}, {"created_days_ago", closed_days_ago + 60},
                                   {"closed_days_ago", closed_days_ago},
                                   {"properties", json::object{{"dealname", "Renewal " + company}, {"dealtype", type},
                                                               {"dealstage", stage}, {"amount", "1200"}}}});
    };
    const double when = 100.0 + static_cast<double>((i * 37) % 300);
    deal("existingbusiness", i % 3 == 0 ? "closedlost" : "closedwon", when);
    if (i % 5 == 0) deal("newbusiness", "closedlost", when + 10);
  }
  s["deals"] = std::move(deals);
  return json::serialize(s);
}

std::string make_seed(int companies, int tickets_each, bool same_stamp) {
  json::array cs, ts;
  const char* contracts[] = {"Month-to-month", "One year", "Two year"};
  int ticket = 900000;
  for (int i = 0; i < companies; ++i) {
    bool churned = i % 3 == 0;
    std::string id = std::to_string(100000 + i);
    cs.push_back(json::object{{"id", id},
                              {"properties", json::object{{"name", "Company " + id}, {"tenure_months", std::to_string(1 + i % 60)},
                                                          {"monthly_charges", std::to_string(20 + (i * 7) % 90)},
                                                          {"contract_type", contracts[churned ? 0 : i % 3]},
                                                          {"churned", churned ? "true" : "false"}}},
                              {"created_days_ago", 400.0},
                              {"modified_days_ago", same_stamp ? 3.0 : 1.0 + (i % 50)}});
    for (int t = 0; t < tickets_each; ++t)
      ts.push_back(json::object{{"id", std::to_string(ticket++)}, {"company", id},
                                {"properties", json::object{{"subject", "Help"},
                                                            {"content", churned ? "This is terrible, it broke again and nobody helps."
                                                                                : "Works great, thank you for the quick help!"}}},
                                {"created_days_ago", 5.0 + t}, {"closed_days_ago", churned ? json::value(nullptr) : json::value(4.0)}});
  }
  auto num = [](const char* n) {
    return json::object{{"name", n}, {"label", n}, {"type", "number"}, {"fieldType", "number"}, {"groupName", "customerprofile"}};
  };
  json::array props{num("tenure_months"), num("monthly_charges"),
                    json::object{{"name", "contract_type"}, {"label", "Contract"}, {"type", "enumeration"}, {"fieldType", "select"},
                                 {"groupName", "customerprofile"},
                                 {"options", json::array{json::object{{"value", "Month-to-month"}}, json::object{{"value", "One year"}},
                                                         json::object{{"value", "Two year"}}}}},
                    json::object{{"name", "churned"}, {"label", "Churned"}, {"type", "enumeration"}, {"fieldType", "select"},
                                 {"groupName", "customerprofile"},
                                 {"options", json::array{json::object{{"value", "true"}}, json::object{{"value", "false"}}}}}};
  return json::serialize(json::object{{"properties", json::object{{"companies", props}}}, {"companies", cs}, {"tickets", ts}});
}

}  // namespace cg::test
