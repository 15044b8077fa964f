#pragma once
// A HubSpot CRM simulator on the project's own HTTP server: the object, search, batch,
// properties and associations endpoints with HubSpot's paths (v3 and dated), JSON shapes,
// limits (100 per batch, 200 per search page, 10,000 search results), error bodies, 429 with
// policyName and rate-limit headers, and 207 partial failures. It refuses what HubSpot refuses.
// Thread-safe: state is guarded by one mutex, so tests may inspect it from their own thread.
#include "daemon/core/error.hpp"
#include "daemon/http/server.hpp"
#include "simulator/query.hpp"

#include <boost/json/object.hpp>

#include <deque>
#include <random>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace cg::sim {

struct HubspotSimOptions {
  std::string token;                 // the only bearer token accepted
  int burst_limit = 100;             // requests per rolling window (non-search)
  int burst_window_ms = 10'000;
  int search_per_second = 5;
  std::int64_t daily_limit = 250'000;
  double fault_rate = 0;             // share of API calls answered 500/502/503 at random
  std::uint32_t fault_seed = 1;
};

// A scripted failure: the next `count` requests whose target contains `path_contains` get it.
struct Fault {
  std::string path_contains;
  unsigned status = 500;
  std::string policy;  // for 429: TEN_SECONDLY_ROLLING, DAILY, SECONDLY
  int count = 1;
  std::string raw_body;  // if set, sent verbatim (e.g. malformed JSON)
  // Transport faults (instead of a status): the answer comes `delay_ms` late (slow responses,
  // client timeouts), and with `cut` the connection closes partway through the body.
  int delay_ms = 0;
  bool cut = false;
};

class HubspotSim {
 public:
  explicit HubspotSim(HubspotSimOptions opts);

  // Seed JSON (see data/README.md): property definitions, companies and tickets with ages in days.
  Result<void> load_seed(const std::string& json_text, std::int64_t now_ms);

  boost::asio::awaitable<http::Response> handle(http::Request req);

  void add_fault(Fault f);
  // Deliver signed (v3) webhook batches for record creations and updates to `url`, as a
  // HubSpot app subscribed to ticket/company/email events would. Plain http is allowed for loopback.
  void set_webhook(std::string url, std::string client_secret);
  std::int64_t webhooks_delivered() const;
  void set_token(std::string token);
  // Calls served per route key, e.g. "POST /crm/v3/objects/companies/batch/update".
  std::map<std::string, std::int64_t> calls() const;
  std::int64_t total_calls() const;
  std::int64_t records_updated() const;
  std::int64_t random_faults() const;
  // A property of a record, or nullopt.
  std::optional<std::string> property(const std::string& type, const std::string& id, const std::string& name) const;
  std::size_t count(const std::string& type) const;
  // (associated company id, the record's property `name` or "") for each record of `type` created
  // with a company association (tickets, tasks).
  std::vector<std::pair<std::string, std::string>> by_company(const std::string& type, const std::string& name) const;
  // Workflows created through /automation/v4/flows.
  std::vector<boost::json::object> workflows() const;
  // Creates a record as POST /crm/v3/objects/{type} would; returns its id.
  std::string create(const std::string& type, std::map<std::string, std::string> props,
                     const std::string& associate_company = "");

 private:
  struct Record {
    std::map<std::string, std::string> props;
    std::int64_t created_ms = 0, updated_ms = 0;
  };
  struct PropertyDef {
    std::string type, field_type, group;
    std::vector<std::string> options;
    bool read_only = false;
  };
  http::Response route(const http::Request& req, const std::string& path, const sim::Params& query);
  http::Response search(const http::Request& req, const std::string& type);
  http::Response batch_update(const http::Request& req, const std::string& type);
  http::Response create_record(const http::Request& req, const std::string& type);
  http::Response batch_create(const http::Request& req, const std::string& type);
  http::Response read_one(const http::Request& req, const std::string& type, const std::string& id,
                          const sim::Params& query);
  boost::asio::awaitable<void> deliver(std::string body);
  void queue_event(const std::string& subscription_type, std::int64_t object_id);
  http::Response list(const http::Request& req, const std::string& type, const sim::Params& query);
  http::Response properties(const http::Request& req, const std::string& type, const std::string& rest);
  http::Response associations(const http::Request& req, const std::string& from, const std::string& to);
  // Automation v4: GET (list) and POST (create) /automation/v4/flows.
  std::optional<std::string> task_action_error(const boost::json::object& action, const std::string& object) const;
  http::Response owners(const http::Request& req, const sim::Params& query) const;
  http::Response flows(const http::Request& req);
  std::optional<std::string> validate_value(const std::string& type, const std::string& name, const std::string& v) const;
  boost::json::object to_json(const std::string& type, std::int64_t id, const Record& r,
                              const std::vector<std::string>* props) const;
  std::int64_t tick();  // also counts a change (version_)
  // A type's records in (modified, id) order, rebuilt after any change; caller holds mutex_.
  const std::vector<std::pair<std::int64_t, const Record*>>& modified_order(const std::string& type);
  boost::json::object stats_json_locked() const;  // caller holds mutex_
  void define_defaults();

  HubspotSimOptions opts_;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::int64_t, Record>> objects_;
  std::map<std::string, std::map<std::string, PropertyDef>> props_;
  std::map<std::string, std::set<std::string>> groups_;
  std::map<std::int64_t, std::int64_t> ticket_company_;
  std::map<std::string, std::int64_t> calls_;
  std::int64_t total_ = 0, daily_used_ = 0, records_updated_ = 0, next_id_ = 1'000'000, last_tick_ = 0;
  std::deque<std::int64_t> burst_times_, search_times_;
  std::vector<Fault> faults_;
  std::string webhook_url_, client_secret_;
  std::vector<std::string> outgoing_;  // webhook bodies waiting to be sent
  std::int64_t next_event_ = 1, webhooks_delivered_ = 0;
  std::vector<boost::json::object> flows_;
  std::map<std::int64_t, boost::json::object> owners_;  // GET /crm/v3/owners, by id (the seed's "owners")
  std::mt19937 fault_rng_{1};
  std::int64_t random_faults_ = 0;
  std::int64_t redundant_writes_ = 0;
  // Every request or call that may change records bumps version_; indexes built at an older
  // version are rebuilt.
  std::uint64_t version_ = 0;
  struct ModifiedIndex {
    std::uint64_t version = ~std::uint64_t{0};
    std::vector<std::pair<std::int64_t, const Record*>> rows;
  };
  std::map<std::string, ModifiedIndex> modified_index_;
};

}  // namespace cg::sim
