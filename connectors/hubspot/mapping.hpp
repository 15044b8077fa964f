#pragma once
// Pure mapping between HubSpot's JSON and ChurnGuard's value types. No I/O; each function is
// tested on its own with documented response shapes.
#include "connectors/api/types.hpp"
#include "daemon/core/error.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace cg::hubspot {

struct SearchPage {
  std::vector<boost::json::object> results;  // each {"id","properties",...}
  std::optional<std::string> next_after;
  std::int64_t total = 0;
};

struct ApiPaths {
  std::string version;  // "v3" or "2026-09"
  [[nodiscard]] std::string objects(const std::string& type) const;
  [[nodiscard]] std::string properties(const std::string& type) const;
  [[nodiscard]] std::string owners() const;
  [[nodiscard]] std::string associations_batch_read(const std::string& from, const std::string& to) const;
};

// One page of GET /crm/v3/owners: the owners (active unless `archived`), and the next cursor.
struct OwnerPage {
  std::vector<crm::Owner> owners;
  std::optional<std::string> after;
};
Result<OwnerPage> parse_owner_page(const std::string& body, bool archived);

// Parses any JSON text; the error names `what` and the parser's complaint.
Result<boost::json::value> parse_json(const std::string& body, const std::string& what);

Result<SearchPage> parse_search_page(const std::string& body);
boost::json::object search_body(const std::string& modified_property, std::int64_t since_ms,
                                 const std::vector<std::string>& properties, int limit,
                                 const std::optional<std::string>& after);
// For more than 10,000 records sharing one stamp: those with exactly that stamp and an id above
// `after_id`, in id order.
boost::json::object tie_search_body(const std::string& modified_property, std::int64_t stamp_ms,
                                    const std::string& after_id, const std::vector<std::string>& properties,
                                    int limit, const std::optional<std::string>& after);

// The string value of a property, or "" when absent or null.
std::string prop(const boost::json::object& record, const std::string& name);

crm::CustomerRecord to_customer(const boost::json::object& record, const std::string& modified_property,
                                const std::string& name_property);
crm::ActivityRecord to_ticket(const boost::json::object& record);
// An engagement e-mail: outgoing (email_out, value 1 when opened) or the customer's (email_in).
// Opens come from hs_email_open_count (name unverified on HubSpot's pages; absent means unknown).
crm::ActivityRecord to_email(const boost::json::object& record);
// A deal as a renewal activity: occurred at its closedate, closed when hs_is_closed, value 1 when
// hs_is_closed_won and 0 when closed otherwise (HubSpot computes both from the pipeline's stage,
// so custom pipelines work). Its id is "deal:" + the deal's id: HubSpot numbers each object type
// apart, and a deal must not overwrite a ticket of the same number.
crm::ActivityRecord to_renewal(const boost::json::object& record);
// A contact: associatedcompanyid links it, hs_email_delivered / hs_email_open count marketing mail.
crm::ContactRecord to_contact(const boost::json::object& record);

// ticket id -> first associated customer id
Result<std::map<std::string, std::string>> parse_association_batch(const std::string& body);

boost::json::object batch_update_body(const std::vector<crm::FieldUpdate>& updates);
// Maps a 200/207 batch response onto per-customer outcomes. Inputs that appear neither in
// results nor errors are reported as failed (retryable), never silently taken as written.
crm::WriteResult parse_batch_update(unsigned status, const std::string& body,
                                    const std::vector<crm::FieldUpdate>& updates);

// "category: message" from HubSpot's error body, tolerant of any missing field.
std::string describe_error(unsigned status, const std::string& body);

// policyName of a 429 body ("TEN_SECONDLY_ROLLING", "DAILY", "SECONDLY"), or "" if absent.
std::string rate_limit_policy(const std::string& body);

}  // namespace cg::hubspot
