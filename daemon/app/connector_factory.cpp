#include "daemon/app/connector_factory.hpp"

#include "connectors/hubspot/hubspot_connector.hpp"
#include "connectors/salesforce/salesforce_connector.hpp"

namespace cg::app {
namespace {

Result<std::unique_ptr<crm::CrmConnector>> hubspot_connector(const config::Config& cfg, boost::asio::io_context& io) {
  auto token = config::resolve_secret(cfg.hubspot.token, "hubspot.token");
  if (!token) return token.error();
  hubspot::HubspotOptions ho;
  ho.base_url = cfg.hubspot.base_url;
  ho.api_version = cfg.hubspot.api_version;
  ho.object = cfg.hubspot.object;
  ho.ca_file = cfg.hubspot.ca_file;
  ho.token = std::move(*token);
  ho.properties = cfg.hubspot.properties;
  // Every property the model reads is pulled: the label's too (a time-aware label's churn and
  // start dates were missed, so every snapshot looked unchurned).
  for (const auto* p : {&cfg.model.label.property, &cfg.model.label.churn_date_property, &cfg.model.label.created_property})
    if (!p->empty()) ho.properties.push_back(*p);
  for (const auto& p : cfg.model.numeric_properties) ho.properties.push_back(p);
  for (const auto& p : cfg.model.categorical_properties) ho.properties.push_back(p);
  ho.renewal_types = cfg.model.label.renewal_types;
  ho.search_requests_per_second = cfg.hubspot.search_requests_per_second;
  ho.max_attempts = cfg.hubspot.max_attempts;
  ho.retry_base = std::chrono::milliseconds(cfg.hubspot.retry_base_ms);
  ho.timeout = std::chrono::milliseconds(cfg.hubspot.timeout_ms);
  Result<void> err;
  auto c = hubspot::make_hubspot_connector(io.get_executor(), std::move(ho), &err);
  if (!c) return err.error();
  return c;
}

Result<std::unique_ptr<crm::CrmConnector>> salesforce_connector(const config::Config& cfg, boost::asio::io_context& io) {
  const auto& s = cfg.salesforce;
  salesforce::SalesforceOptions so;
  so.login_url = s.login_url;
  so.api_version = s.api_version;
  so.object = s.object;
  so.ca_file = s.ca_file;
  so.auth = s.auth;
  so.client_id = s.client_id;
  so.username = s.username;
  if (s.private_key.configured()) {
    auto k = config::resolve_secret(s.private_key, "salesforce.private_key");
    if (!k) return k.error();
    so.private_key = std::move(*k);
  }
  if (s.client_secret.configured()) {
    auto k = config::resolve_secret(s.client_secret, "salesforce.client_secret");
    if (!k) return k.error();
    so.client_secret = std::move(*k);
  }
  so.fields = s.fields;
  so.renewal_types = cfg.model.label.renewal_types;
  so.bulk_threshold = static_cast<std::size_t>(s.bulk_threshold);
  so.max_attempts = s.max_attempts;
  so.retry_base = std::chrono::milliseconds(s.retry_base_ms);
  so.limit_pause = std::chrono::milliseconds(s.limit_pause_ms);
  so.limit_max_wait = std::chrono::minutes(s.limit_max_wait_minutes);
  so.bulk_poll = std::chrono::milliseconds(s.bulk_poll_ms);
  so.timeout = std::chrono::milliseconds(s.timeout_ms);
  Result<void> err;
  auto c = salesforce::make_salesforce_connector(io.get_executor(), std::move(so), &err);
  if (!c) return err.error();
  return c;
}

}  // namespace

Result<std::unique_ptr<crm::CrmConnector>> make_connector(const config::Config& cfg, boost::asio::io_context& io) {
  if (cfg.crm == "salesforce") return salesforce_connector(cfg, io);
  return hubspot_connector(cfg, io);
}

}  // namespace cg::app
