#pragma once
// Pure JSON/SOQL/CSV mapping for Salesforce's REST API (see ../shared/crm-api/salesforce.md):
// SOQL for incremental pulls, query pages, records to the connector types, sObject Collections
// bodies and per-record results, Bulk 2.0 CSV, the three error shapes and Sforce-Limit-Info.
// No I/O; unit-tested on their own.
#include "connectors/api/types.hpp"
#include "daemon/core/csv.hpp"
#include "daemon/core/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace cg::salesforce {

// The ChurnGuard fields (plugin_manifest/salesforce/churnguard-fields.json, embedded).
struct FieldDefinition {
  std::string name;  // e.g. ChurnGuard_Risk_Score__c
  std::string type;  // Number | Picklist | LongTextArea | Text | Checkbox | DateTime
  int length = 0;    // text types
  boost::json::object metadata;
};
struct FieldDefinitions {
  boost::json::object permission_set;
  std::vector<FieldDefinition> fields;
  [[nodiscard]] const FieldDefinition* find(const std::string& name) const;
};
const FieldDefinitions& churnguard_field_definitions();

// Business fields become properties named by the API name, lower-cased, without "__c"
// (Tenure_Months__c -> tenure_months), so one model config serves HubSpot and Salesforce.
std::string property_name(const std::string& api_name);

// SOQL datetime literal (UTC, unquoted).
std::string soql_datetime(std::int64_t ms);
// Incremental: every row modified at or after `since_ms`, oldest first (ties by Id).
std::string incremental_soql(const std::string& object, const std::vector<std::string>& fields, std::int64_t since_ms,
                             const std::string& extra_where = "");
// User rows (Id, Name, Email, IsActive) as owners; a row without an Id is skipped.
std::vector<crm::Owner> to_owners(const boost::json::array& rows);

// Percent-encodes a SOQL statement for ?q=.
std::string url_encode(const std::string& s);

struct QueryPage {
  boost::json::array records;
  std::optional<std::string> next_url;  // a path to GET on the instance
  std::int64_t total = 0;
};
Result<QueryPage> parse_query_page(const std::string& body);

// A field of a record as text: strings as they are, numbers without a trailing ".0",
// booleans as true/false, null or absent as "".
std::string field_text(const boost::json::object& record, const std::string& name);
// A nested relationship field, e.g. ("Account", "Name").
std::string nested_text(const boost::json::object& record, const std::string& rel, const std::string& name);

crm::CustomerRecord to_customer(const boost::json::object& r, const std::string& name_field);
crm::ActivityRecord to_case(const boost::json::object& r, const std::string& customer_field);
crm::ActivityRecord to_email_message(const boost::json::object& r);
crm::ContactRecord to_contact(const boost::json::object& r);
// A CaseComment: kind "comment", the customer through its case (Parent.AccountId or ContactId).
// An Opportunity as a renewal activity: occurred at its CloseDate, closed when IsClosed, value 1
// when IsWon and 0 when closed otherwise.
crm::ActivityRecord to_renewal(const boost::json::object& r, const std::string& customer_field);
crm::ActivityRecord to_case_comment(const boost::json::object& r, const std::string& customer_field);
// A Task: TaskSubtype Email -> email_out, Call -> call, anything else -> task.
crm::ActivityRecord to_task(const boost::json::object& r, const std::string& customer_field);

// PATCH /composite/sobjects body (allOrNone false) with each value typed as its field is.
Result<boost::json::object> collection_update_body(const std::string& object, const std::vector<crm::FieldUpdate>& updates);
// Per-record results in request order (HTTP 200 even when records failed).
crm::WriteResult parse_collection_results(const std::string& body, const std::vector<crm::FieldUpdate>& updates);

// Bulk 2.0 update CSV: Id and the contract fields present in any update (#N/A clears).
Result<std::string> bulk_update_csv(const std::vector<crm::FieldUpdate>& updates);

// "HTTP 400 MALFORMED_QUERY: ..." from the array error shape (or whatever the body holds).
std::string describe_error(unsigned status, const std::string& body);
// The errorCode of the first error in an array error body, or "".
std::string error_code(const std::string& body);

// "api-usage=18/15000; api-bursts=1/750" -> {18, 15000}.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_limit_info(const std::string& header);

// Salesforce sends "2026-11-24T14:02:11.000+0000"; nullopt when empty or malformed.
std::optional<std::int64_t> parse_datetime(const std::string& text);

}  // namespace cg::salesforce
