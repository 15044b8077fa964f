#pragma once
// CrmConnector for Salesforce's REST API: OAuth 2.0 JWT bearer or client credentials (token
// cached; on 401 INVALID_SESSION_ID one re-authentication and a replay), SOQL pulls by
// SystemModstamp with nextRecordsUrl paging (queryAll for customers, so deletions arrive),
// write-back by sObject Collections (200 a call) or, for large sets, one Bulk API 2.0 job,
// Sforce-Limit-Info tracking, 403 REQUEST_LIMIT_EXCEEDED waited out, and field provisioning
// through the Tooling API with a permission set for field-level security.
// Not thread-safe: one coroutine at a time.
#include "connectors/api/crm_connector.hpp"
#include "daemon/core/secret.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>

namespace cg::salesforce {

struct SalesforceOptions {
  std::string login_url = "https://login.salesforce.com";  // or the My Domain URL
  std::string api_version = "62.0";
  std::string object = "Account";        // Account | Contact
  std::string ca_file;
  std::string auth = "jwt";              // jwt | client_credentials
  std::string client_id;                 // the connected app's consumer key
  std::string username;                  // jwt: the integration user
  std::string audience;                  // jwt aud; empty: login or test host from login_url
  Secret private_key;                    // jwt: PEM
  Secret client_secret;                  // client_credentials
  std::vector<std::string> fields;       // business fields to pull besides Name and the contract
  std::vector<std::string> renewal_types;  // Opportunity Type values of renewals; none: none pulled
  std::size_t bulk_threshold = 2000;     // at or above this many pending writes, one Bulk 2.0 job
  int max_attempts = 6;                  // per call, for 5xx / network failures
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds limit_pause{60'000};       // first wait after REQUEST_LIMIT_EXCEEDED (doubles)
  std::chrono::milliseconds limit_max_wait{6 * 3600'000};  // then the sync stops, to resume next run
  std::chrono::milliseconds bulk_poll{2'000};
  std::chrono::milliseconds timeout{60'000};
};

std::unique_ptr<crm::CrmConnector> make_salesforce_connector(boost::asio::any_io_executor ex, SalesforceOptions opts,
                                                             Result<void>* init_error);

}  // namespace cg::salesforce
