#pragma once
// A Salesforce org simulator on the project's own HTTP server: OAuth (JWT bearer checked against
// the app's certificate, client credentials), the version list, SOQL query/queryAll with 2,000-row
// pages and nextRecordsUrl locators, sObject Collections (200 records, per-record results with
// statusCode inside an HTTP 200), Bulk API 2.0 ingest jobs (nothing runs before UploadComplete),
// the Tooling API for custom fields, permission sets and field-level security (a field is
// invisible until granted), Sforce-Limit-Info on every response, 403 REQUEST_LIMIT_EXCEEDED when
// the rolling allocation is spent, and sessions that expire. Errors use Salesforce's three
// shapes. It refuses what Salesforce refuses, for the requests ChurnGuard makes.
// Thread-safe: state is guarded by one mutex.
#include "daemon/core/error.hpp"
#include "daemon/http/server.hpp"

#include <boost/json/value.hpp>

#include <deque>
#include <random>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace cg::sim {

struct SalesforceSimOptions {
  std::string client_id = "3MVG9sim.churnguard";
  std::string username = "integration@churnguard.example";
  std::string certificate_pem;        // the connected app's certificate (JWT bearer)
  std::string client_secret;          // client credentials (empty: flow disabled)
  std::int64_t daily_limit = 100'000;  // API requests per rolling window
  std::int64_t limit_window_ms = 24 * 3600'000;
  std::int64_t session_calls = 0;     // a session expires after this many data calls (0: never)
  double fault_rate = 0;              // share of data calls answered 503 SERVER_UNAVAILABLE at random
  std::uint32_t fault_seed = 1;
  int page_size = 2000;               // largest query page (Salesforce may return fewer than asked)
};

// A scripted failure: the next `count` requests whose target contains `path_contains`.
struct SfFault {
  std::string path_contains;
  unsigned status = 503;
  std::string error_code = "SERVER_UNAVAILABLE";
  int count = 1;
  // Transport faults (instead of an error): the answer comes `delay_ms` late, and with `cut` the
  // connection closes partway through the body.
  int delay_ms = 0;
  bool cut = false;
};

class SalesforceSim {
 public:
  explicit SalesforceSim(SalesforceSimOptions opts);

  // The HubSpot-shaped sample seed (data/README.md) as Accounts, Cases, EmailMessages and
  // Contacts; business properties become custom fields (tenure_months -> Tenure_Months__c)
  // readable by the integration user.
  Result<void> load_seed(const std::string& json_text, std::int64_t now_ms);

  boost::asio::awaitable<http::Response> handle(http::Request req);
  // The instance URL handed out in token responses (the server's own https origin).
  void set_instance_url(std::string url);

  void add_fault(SfFault f);
  // Scripted faults not yet met.
  std::size_t faults_left() const;
  // The next `n` record updates (collections or bulk) fail with UNABLE_TO_LOCK_ROW.
  void lock_next_rows(int n);
  // Updates of this record fail with FIELD_CUSTOM_VALIDATION_EXCEPTION (a validation rule).
  void reject_record(const std::string& id);
  void expire_sessions();

  [[nodiscard]] std::map<std::string, std::int64_t> calls() const;  // "PATCH composite/sobjects" -> n
  [[nodiscard]] std::int64_t total_calls() const;
  [[nodiscard]] std::int64_t records_updated() const;
  [[nodiscard]] std::int64_t bulk_jobs() const;
  [[nodiscard]] std::int64_t tokens_issued() const;
  // A field of a record as text, or nullopt when absent or null.
  [[nodiscard]] std::optional<std::string> field(const std::string& object, const std::string& id,
                                                 const std::string& name) const;
  [[nodiscard]] std::size_t count(const std::string& object) const;
  [[nodiscard]] std::vector<std::string> ids(const std::string& object) const;
  [[nodiscard]] std::string nth_id(const std::string& object, std::size_t n) const;
  [[nodiscard]] bool field_exists(const std::string& object, const std::string& name) const;
  // Deletes a record to the recycle bin (query hides it, queryAll shows IsDeleted = true).
  void remove(const std::string& object, const std::string& id);
  // Creates a record as POST /sobjects/{object} would; returns its id.
  std::string create(const std::string& object, std::map<std::string, boost::json::value> fields);

  struct FieldDef {
    std::string type;  // Id, Text, Number, Checkbox, DateTime, Date, Picklist, LongTextArea, Reference
    int length = 0;
    std::vector<std::string> values;  // restricted picklist
    bool custom = false;
  };

 private:
  struct Record {
    std::map<std::string, boost::json::value> f;
    std::int64_t created_ms = 0, modstamp_ms = 0;
    bool deleted = false;
  };
  struct Locator {
    std::string object;
    std::vector<std::string> fields, ids;
    std::size_t offset = 0;
    bool all = false;
    int batch = 2000;
  };
  struct BulkJob {
    std::string object, operation, state = "Open", csv;
    std::vector<std::vector<std::string>> ok, failed;  // result rows
    std::vector<std::string> header;
    int polls = 0;
  };

  http::Response route(const http::Request& req, const std::string& path, const std::string& query);
  http::Response token(const http::Request& req);
  http::Response query(const http::Request& req, const std::string& soql, bool all, bool tooling);
  http::Response next_page(const http::Request& req, const std::string& locator);
  http::Response page(const http::Request& req, const std::string& locator_id);
  http::Response collections(const http::Request& req, bool create);
  http::Response create_one(const http::Request& req, const std::string& object);
  // What Salesforce says of a Task's references, Subject and owner: {"CODE: message", field}, or
  // empty strings when the task may be created. Both create paths ask it.
  std::pair<std::string, std::string> task_error(const std::map<std::string, boost::json::value>& values);
  http::Response tooling_create_field(const http::Request& req);
  http::Response bulk(const http::Request& req, const std::string& rest);
  http::Response limits(const http::Request& req);
  // Applies one update; returns "" or "CODE: message".
  std::string update_record(const std::string& object, const std::string& id,
                            const std::map<std::string, boost::json::value>& values);
  boost::json::object record_json(const std::string& object, const std::string& id, const Record& r,
                                  const std::vector<std::string>& fields) const;
  std::optional<std::string> readable(const std::string& object, const std::string& field) const;  // error if not
  std::string new_id(const std::string& object);
  std::int64_t tick();
  void run_bulk(BulkJob& job);
  http::Response with_limits(const http::Request& req, http::Response res) const;

  SalesforceSimOptions opts_;
  mutable std::mutex mutex_;
  std::string instance_url_ = "https://127.0.0.1";
  std::map<std::string, std::map<std::string, FieldDef>> schema_;  // object -> field -> def
  std::map<std::string, std::map<std::string, Record>> objects_;
  std::set<std::string> fls_;  // "Account.X__c" the integration user may read/edit
  std::map<std::string, Locator> locators_;
  std::map<std::string, BulkJob> jobs_;
  std::map<std::string, std::int64_t> tokens_;  // token -> data calls made with it
  std::deque<std::int64_t> usage_;             // timestamps of counted calls in the window
  std::vector<SfFault> faults_;
  std::set<std::string> rejected_;
  int lock_rows_ = 0;
  std::map<std::string, std::int64_t> calls_;
  std::mt19937 fault_rng_{1};
  std::int64_t random_faults_ = 0;
  std::int64_t total_ = 0, updated_ = 0, next_id_ = 1, last_tick_ = 0, bulk_jobs_ = 0, tokens_issued_ = 0;
  std::string user_id_ = "005000000000001AAA", org_id_ = "00D000000000001AAA";
};

}  // namespace cg::sim
