#pragma once
// Value types shared by every CRM connector and the daemon. Plain data; thread-compatible.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cg::crm {

using Properties = std::map<std::string, std::string>;

// A customer (HubSpot company/contact, Salesforce Account/Contact) as the CRM holds it.
struct CustomerRecord {
  std::string id;
  std::string name;
  Properties properties;      // business properties, values as strings
  Properties churnguard;      // our own fields as currently stored in the CRM (contract names)
  std::int64_t modified_ms = 0;
  bool archived = false;
  std::string owner_id;       // the CRM user who owns the record (HubSpot hubspot_owner_id,
                              // Salesforce OwnerId); empty when it has none
};

// A person at a customer, with the marketing e-mail counters the CRM keeps on them.
struct ContactRecord {
  std::string id;
  std::string customer_id;    // empty when not associated
  std::optional<double> email_delivered, email_opened;
  Properties properties;
  std::int64_t modified_ms = 0;
};

// A support ticket or case, an email, a usage event: something that happened to a customer.
// A renewal (a HubSpot deal or Salesforce opportunity of a configured renewal type) is one too:
// occurred_ms is its close date, closed_ms set once it has closed, value 1 won / 0 lost.
struct ActivityRecord {
  std::string id;
  std::string kind;           // ticket | email_out | email_in | usage | comment | call | task | renewal
  std::string customer_id;    // empty when not associated with a customer
  std::int64_t occurred_ms = 0;
  std::optional<std::int64_t> closed_ms;
  std::string subject;
  std::string body;
  Properties properties;
  std::int64_t modified_ms = 0;
  std::optional<double> value;  // usage: seconds; email_out: 1 opened / 0 not
};

// comments: ticket/case comments (Salesforce CaseComment); tasks: logged e-mails and calls
// (Salesforce Task). HubSpot keeps neither apart from its tickets and e-mails. renewals: deals
// (HubSpot) or opportunities (Salesforce) of the renewal types model.label.renewal_types names;
// nothing is pulled when it names none.
enum class ObjectKind { customers, tickets, emails, contacts, comments, tasks, renewals };
const char* to_string(ObjectKind k);

// Whether a deal's or opportunity's type is one of the renewal types (case-insensitive: HubSpot
// stores "existingbusiness", an admin may type "ExistingBusiness").
bool is_renewal_type(const std::string& type, const std::vector<std::string>& renewal_types);

// One page of pulled records; `watermark_ms` is the last-modified stamp it reached.
struct PullBatch {
  std::vector<CustomerRecord> customers;
  std::vector<ActivityRecord> activities;
  std::vector<ContactRecord> contacts;
  std::int64_t watermark_ms = 0;
};

// Values for ChurnGuard fields, keyed by the contract's logical names (see fields.hpp).
struct FieldUpdate {
  std::string customer_id;
  std::map<std::string, std::string> values;
};

struct WriteFailure {
  std::string customer_id;
  std::string message;
  bool retryable = false;
};

struct WriteResult {
  std::vector<std::string> succeeded;
  std::vector<WriteFailure> failed;
};

// A follow-up task for the owner of a customer's record (a retention play's action).
struct TaskRequest {
  std::string key;          // the caller's id for it, echoed in the result
  std::string customer_id;
  std::string subject, body;
  std::string owner_id;     // assigned to this CRM user; empty: the CRM's default (HubSpot:
                            // unassigned; Salesforce: the integration user)
};
struct TaskResult {
  std::string key;
  bool ok = false;
  std::string task_id;      // the CRM's id when ok
  std::string error;
  bool owner_refused = false;  // refused for the owner it was assigned (deactivated, not a user)
};

// A CRM user who can own records (HubSpot owner, Salesforce User).
struct Owner {
  std::string id;    // as records name it (hubspot_owner_id, OwnerId)
  std::string name;  // display name; the e-mail when the CRM has no name
  bool active = true;  // false: deactivated (HubSpot archived owner, Salesforce IsActive = false)
};

// API calls a connector has made, for cost reports.
struct ApiUsage {
  std::uint64_t calls = 0;
  std::uint64_t write_calls = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t retries = 0;
  std::optional<std::int64_t> daily_remaining;
};

}  // namespace cg::crm
