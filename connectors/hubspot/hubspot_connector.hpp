#pragma once
// CrmConnector for HubSpot's CRM v3 / dated APIs over a static bearer token (project app with
// static auth, service key or legacy private app). Not thread-safe: one coroutine at a time.
#include "connectors/api/crm_connector.hpp"
#include "connectors/transport/https_client.hpp"
#include "daemon/core/secret.hpp"

#include <memory>

namespace cg::hubspot {

struct HubspotOptions {
  std::string base_url;
  std::string api_version = "v3";
  std::string object = "companies";
  std::string ca_file;
  Secret token;
  std::vector<std::string> properties;  // customer properties to pull besides the defaults
  std::vector<std::string> renewal_types;  // dealtype values of renewal deals; none: no deals pulled
  int search_requests_per_second = 5;
  int max_attempts = 8;                 // per call, for 5xx / network failures
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds timeout{30'000};
};

std::unique_ptr<crm::CrmConnector> make_hubspot_connector(boost::asio::any_io_executor ex, HubspotOptions opts,
                                                          Result<void>* init_error);

}  // namespace cg::hubspot
