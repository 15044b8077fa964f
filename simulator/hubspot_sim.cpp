#include "simulator/hubspot_sim.hpp"

#include "connectors/hubspot/webhook.hpp"
#include "connectors/transport/pacing.hpp"
#include "daemon/core/clock.hpp"
#include "simulator/faults.hpp"
#include "simulator/query.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <functional>
#include <limits>
#include <set>
#include <utility>

namespace cg::sim {
namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, unsigned status, const std::string& category, const std::string& message,
               json::object extra = {}) {
  json::object body{{"status", "error"}, {"message", message}, {"correlationId", "sim-" + std::to_string(std::rand())},
                    {"category", category}};
  for (auto& [k, v] : extra) body[k] = v;
  return http::make_response(req, status, json::serialize(body));
}

bool is_time_property(const std::string& name) {
  return name == "createdate" || name == "hs_lastmodifieddate" || name == "lastmodifieddate" || name == "closed_date" ||
         name == "hs_timestamp" ||
         name == "churnguard_scored_at";
}

std::optional<double> number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(d)) return std::nullopt;
  return d;
}

// A paging parameter: `fallback` when absent, nullopt when it is not a whole number in [lo, hi].
std::optional<long long> paging_param(const sim::Params& query, const char* key, long long fallback, long long lo,
                                      long long hi) {
  const auto text = sim::param(query, key);
  if (text.empty()) return fallback;
  auto n = sim::whole_number(text);
  if (!n || *n < lo || *n > hi) return std::nullopt;
  return n;
}

// "a,b,c" -> {a, b, c}; empty -> {}.
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0, j; !s.empty() && i <= s.size(); i = j + 1) {
    j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
  }
  return out;
}

// The {"inputs":[...]} body of HubSpot's batch endpoints, or nullopt when it is not one.
std::optional<json::array> batch_inputs(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto* in = v.as_object().if_contains("inputs");
  if (!in || !in->is_array()) return std::nullopt;
  return in->as_array();
}

}  // namespace

HubspotSim::HubspotSim(HubspotSimOptions opts) : opts_(std::move(opts)) {
  fault_rng_.seed(opts_.fault_seed);
  define_defaults();
}

void HubspotSim::define_defaults() {
  auto def = [&](const std::string& obj, const std::string& name, const std::string& type, const std::string& ft,
                 bool ro = false) { props_[obj][name] = PropertyDef{type, ft, obj == "tickets" ? "ticketinformation" : obj == "deals" ? "dealinformation" : "companyinformation", {}, ro}; };
  for (const char* obj : {"companies", "contacts", "tickets", "emails", "tasks", "deals"}) {
    def(obj, "hs_object_id", "number", "number", true);
    def(obj, "createdate", "datetime", "date", true);
    def(obj, "hs_lastmodifieddate", "datetime", "date", true);
  }
  for (const char* p : {"name", "domain", "industry"}) def("companies", p, "string", "text");
  def("contacts", "lastmodifieddate", "datetime", "date", true);
  for (const char* p : {"email", "firstname", "lastname"}) def("contacts", p, "string", "text");
  for (const char* p : {"associatedcompanyid", "hs_email_delivered", "hs_email_open", "hs_email_click"})
    def("contacts", p, "number", "number");
  def("emails", "hs_timestamp", "datetime", "date");
  for (const char* p : {"hs_email_subject", "hs_email_text", "hs_email_html"}) def("emails", p, "string", "text");
  def("emails", "hs_email_open_count", "number", "number");
  props_["emails"]["hs_email_direction"] = {"enumeration", "select", "emailinformation", {"EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"}};
  props_["emails"]["hs_email_status"] = {"enumeration", "select", "emailinformation", {"BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"}};
  for (const char* p : {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_category"})
    def("tickets", p, "string", "text");
  def("tickets", "closed_date", "datetime", "date");
  props_["tickets"]["hs_ticket_priority"] = {"enumeration", "select", "ticketinformation", {"LOW", "MEDIUM", "HIGH", "URGENT"}};
  // Deals: the default sales pipeline's stages; hs_is_closed and hs_is_closed_won are HubSpot's
  // calculations from the stage, so read-only.
  for (const char* p : {"dealname", "pipeline"}) def("deals", p, "string", "text");
  def("deals", "amount", "number", "number");
  def("deals", "closedate", "datetime", "date");
  def("deals", "hs_is_closed", "bool", "booleancheckbox", true);
  def("deals", "hs_is_closed_won", "bool", "booleancheckbox", true);
  props_["deals"]["dealstage"] = {"enumeration", "select", "dealinformation",
                                  {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                                   "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"}};
  props_["deals"]["dealtype"] = {"enumeration", "select", "dealinformation", {"newbusiness", "existingbusiness"}};
  groups_["deals"] = {"dealinformation"};
  groups_["companies"] = {"companyinformation"};
  groups_["contacts"] = {"contactinformation"};
  groups_["tickets"] = {"ticketinformation"};
  groups_["emails"] = {"emailinformation"};
  groups_["tasks"] = {"taskinformation"};
  def("tasks", "hs_timestamp", "datetime", "date");
  for (const char* p : {"hs_task_subject", "hs_task_body"}) def("tasks", p, "string", "text");
  props_["tasks"]["hs_task_priority"] = {"enumeration", "select", "taskinformation", {"NONE", "LOW", "MEDIUM", "HIGH"}};
  props_["tasks"]["hs_task_status"] = {"enumeration", "select", "taskinformation", {"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"}};
  props_["tasks"]["hs_task_type"] = {"enumeration", "select", "taskinformation", {"TODO", "CALL", "EMAIL"}};
  // The record owner: its options are the portal's active owners (the seed's "owners").
  for (const char* obj : {"companies", "contacts", "tickets", "tasks"})
    props_[obj]["hubspot_owner_id"] = {"enumeration", "select", *groups_[obj].begin(), {}};
}

const std::vector<std::pair<std::int64_t, const HubspotSim::Record*>>& HubspotSim::modified_order(const std::string& type) {
  auto& idx = modified_index_[type];
  if (idx.version != version_) {
    idx.rows.clear();
    for (const auto& [id, r] : objects_[type]) idx.rows.emplace_back(id, &r);
    std::stable_sort(idx.rows.begin(), idx.rows.end(),
                     [](const auto& a, const auto& b) { return a.second->updated_ms < b.second->updated_ms; });
    idx.version = version_;
  }
  return idx.rows;
}

std::int64_t HubspotSim::tick() {
  ++version_;
  // Server time: records saved in the same millisecond (a batch) share a stamp, as HubSpot's do.
  // A stamp never runs ahead of the clock: strictly increasing stamps did, after a 100-record
  // batch, and a ticket created next was "in the future" to as-of scoring.
  last_tick_ = std::max(SystemClock{}.now_ms(), last_tick_);
  return last_tick_;
}

Result<void> HubspotSim::load_seed(const std::string& text, std::int64_t now) {
  ++version_;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::invalid_input, "seed is not a JSON object: " + ec.message());
  std::lock_guard lock(mutex_);
  try {
    auto& o = v.as_object();
    if (auto* p = o.if_contains("properties"))
      for (auto& [obj, list] : p->as_object())
        for (auto& d : list.as_array()) {
          auto& dd = d.as_object();
          PropertyDef def{std::string(dd.at("type").as_string()), std::string(dd.at("fieldType").as_string()),
                          dd.if_contains("groupName") ? std::string(dd.at("groupName").as_string()) : "companyinformation"};
          if (auto* opts = dd.if_contains("options"))
            for (auto& op : opts->as_array()) def.options.emplace_back(op.at("value").as_string());
          groups_[std::string(obj)].insert(def.group);
          props_[std::string(obj)][std::string(dd.at("name").as_string())] = def;
        }
    auto age = [&](const json::object& r, const char* key) -> std::optional<std::int64_t> {
      auto* a = r.if_contains(key);
      if (!a || a->is_null()) return std::nullopt;
      return now - static_cast<std::int64_t>(a->to_number<double>() * ms_per_day);
    };
    if (auto* owners = o.if_contains("owners"))
      for (auto& w : owners->as_array()) {
        const auto& wo = w.as_object();
        const bool active = !wo.if_contains("active") || wo.at("active").as_bool();
        const std::string id(wo.at("id").as_string());
        const auto stamp = format_iso8601(now - 400 * ms_per_day);
        owners_[std::stoll(id)] = json::object{
            {"id", id}, {"email", wo.at("email")}, {"type", "PERSON"}, {"firstName", wo.at("firstName")},
            {"lastName", wo.at("lastName")}, {"userId", std::stoll(id) - 71000000 + 9500000},
            {"createdAt", stamp}, {"updatedAt", stamp}, {"archived", !active}};
        if (active)
          for (auto& [obj, defs] : props_)
            if (auto d = defs.find("hubspot_owner_id"); d != defs.end()) d->second.options.emplace_back(id);
      }
    for (const char* type : {"companies", "tickets", "emails", "contacts", "deals"}) {
      auto* list = o.if_contains(type);
      if (!list) continue;
      for (auto& r : list->as_array()) {
        auto& ro = r.as_object();
        std::int64_t id = std::stoll(std::string(ro.at("id").as_string()));
        Record rec;
        for (auto& [k, val] : ro.at("properties").as_object()) rec.props[std::string(k)] = std::string(val.as_string());
        if (auto* owner = ro.if_contains("owner")) rec.props["hubspot_owner_id"] = std::string(owner->as_string());
        rec.created_ms = age(ro, "created_days_ago").value_or(now);
        rec.updated_ms = std::max(rec.created_ms, age(ro, "modified_days_ago").value_or(rec.created_ms));
        const bool deal = std::string(type) == "deals";
        if (auto closed = age(ro, "closed_days_ago")) {
          rec.props[deal ? "closedate" : "closed_date"] = format_iso8601(*closed);
          rec.updated_ms = std::max(rec.updated_ms, *closed);
        }
        if (deal) {
          const auto& stage = rec.props["dealstage"];
          rec.props["hs_is_closed"] = stage == "closedwon" || stage == "closedlost" ? "true" : "false";
          rec.props["hs_is_closed_won"] = stage == "closedwon" ? "true" : "false";
        }
        if (auto* c = ro.if_contains("company")) ticket_company_[id] = std::stoll(std::string(c->as_string()));
        if (std::string(type) == "emails") rec.props["hs_timestamp"] = format_iso8601(rec.created_ms);
        objects_[type][id] = std::move(rec);
        next_id_ = std::max(next_id_, id + 1);
      }
    }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid_input, std::string("seed is malformed: ") + e.what());
  }
  return {};
}

json::object HubspotSim::to_json(const std::string& type, std::int64_t id, const Record& r,
                                 const std::vector<std::string>* wanted) const {
  json::object props;
  const std::string mod = type == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
  props["hs_object_id"] = std::to_string(id);
  props["createdate"] = format_iso8601(r.created_ms);
  props[mod] = format_iso8601(r.updated_ms);
  if (wanted) {
    for (const auto& w : *wanted) {
      if (!props_.at(type).count(w) || props.contains(w)) continue;  // unknown names are ignored
      auto it = r.props.find(w);
      props[w] = it == r.props.end() ? json::value(nullptr) : json::value(it->second);
    }
  }
  return json::object{{"id", std::to_string(id)},      {"properties", props},
                      {"createdAt", format_iso8601(r.created_ms)}, {"updatedAt", format_iso8601(r.updated_ms)},
                      {"archived", false}};
}

std::optional<std::string> HubspotSim::validate_value(const std::string& type, const std::string& name,
                                                      const std::string& v) const {
  auto& defs = props_.at(type);
  auto it = defs.find(name);
  if (it == defs.end()) return "PROPERTY_DOESNT_EXIST";
  const auto& d = it->second;
  if (d.read_only) return "READ_ONLY_VALUE";
  if (v.empty()) return std::nullopt;  // clearing a value is allowed
  if (d.type == "number" && !number(v)) return "INVALID_INTEGER";
  if ((d.type == "datetime" || d.type == "date") && !parse_timestamp(v)) return "INVALID_DATE";
  if (d.type == "bool" && v != "true" && v != "false") return "INVALID_BOOLEAN";
  if (d.type == "enumeration" && std::find(d.options.begin(), d.options.end(), v) == d.options.end())
    return "INVALID_OPTION";
  return std::nullopt;
}

void HubspotSim::set_webhook(std::string url, std::string client_secret) {
  std::lock_guard lock(mutex_);
  webhook_url_ = std::move(url);
  client_secret_ = std::move(client_secret);
}

std::int64_t HubspotSim::webhooks_delivered() const {
  std::lock_guard lock(mutex_);
  return webhooks_delivered_;
}

void HubspotSim::queue_event(const std::string& type, std::int64_t object_id) {
  if (webhook_url_.empty()) return;
  json::array batch{json::object{{"eventId", next_event_++}, {"subscriptionId", 1}, {"portalId", 62515},
                                 {"appId", 54321}, {"occurredAt", SystemClock{}.now_ms()}, {"subscriptionType", type},
                                 {"attemptNumber", 0}, {"objectId", object_id}, {"changeSource", "CRM"}}};
  outgoing_.push_back(json::serialize(batch));
}

// One POST to the subscriber, signed as HubSpot signs: v3 over method, URL, body and timestamp.
boost::asio::awaitable<void> HubspotSim::deliver(std::string body) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  std::string url, secret;
  {
    std::lock_guard lock(mutex_);
    url = webhook_url_;
    secret = client_secret_;
  }
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u || u->scheme() != "http") co_return;
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  // Named, not temporaries: GCC 12 double-destroys temporaries inside co_await expressions.
  const std::string host(u->host()), port = u->has_port() ? std::string(u->port()) : "80";
  auto [rec, results] = co_await resolver.async_resolve(host, port, tuple);
  if (rec) co_return;
  beast::tcp_stream stream(ex);
  stream.expires_after(std::chrono::seconds(5));
  auto [cec, ep] = co_await stream.async_connect(results, tuple);
  if (cec) co_return;
  const std::string ts = std::to_string(SystemClock{}.now_ms());
  std::string target = std::string(u->encoded_path());
  if (u->has_query()) target += "?" + std::string(u->encoded_query());
  beast::http::request<beast::http::string_body> req{beast::http::verb::post, target, 11};
  req.set(beast::http::field::host, u->encoded_host_and_port());
  req.set(beast::http::field::content_type, "application/json");
  req.set("X-HubSpot-Request-Timestamp", ts);
  req.set("X-HubSpot-Signature-v3", hubspot::sign_v3(secret, "POST", url, body, ts));
  req.set("X-HubSpot-Signature-Version", "v1");
  req.set("X-HubSpot-Signature", hubspot::sign_v1(secret, body));
  req.body() = body;
  req.prepare_payload();
  auto [wec, wn] = co_await beast::http::async_write(stream, req, tuple);
  if (wec) co_return;
  beast::flat_buffer buf;
  beast::http::response<beast::http::string_body> res;
  auto [rdec, rn] = co_await beast::http::async_read(stream, buf, res, tuple);
  if (!rdec && res.result_int() < 300) {
    std::lock_guard lock(mutex_);
    ++webhooks_delivered_;
  }
}

void HubspotSim::add_fault(Fault f) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(f));
}
void HubspotSim::set_token(std::string token) {
  std::lock_guard lock(mutex_);
  opts_.token = std::move(token);
}
std::map<std::string, std::int64_t> HubspotSim::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}
std::int64_t HubspotSim::total_calls() const {
  std::lock_guard lock(mutex_);
  return total_;
}
std::int64_t HubspotSim::records_updated() const {
  std::lock_guard lock(mutex_);
  return records_updated_;
}
std::size_t HubspotSim::count(const std::string& type) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(type);
  return it == objects_.end() ? 0 : it->second.size();
}
std::vector<std::pair<std::string, std::string>> HubspotSim::by_company(const std::string& type,
                                                                       const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  auto t = objects_.find(type);
  if (t == objects_.end()) return out;
  for (const auto& [id, rec] : t->second)
    if (auto c = ticket_company_.find(id); c != ticket_company_.end()) {
      auto p = rec.props.find(name);
      out.emplace_back(std::to_string(c->second), p == rec.props.end() ? "" : p->second);
    }
  return out;
}

std::optional<std::string> HubspotSim::property(const std::string& type, const std::string& id,
                                                const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto t = objects_.find(type);
  if (t == objects_.end()) return std::nullopt;
  auto r = t->second.find(std::stoll(id));
  if (r == t->second.end()) return std::nullopt;
  if (name == "hs_lastmodifieddate") return format_iso8601(r->second.updated_ms);
  auto p = r->second.props.find(name);
  if (p == r->second.props.end()) return std::nullopt;
  return p->second;
}

std::string HubspotSim::create(const std::string& type, std::map<std::string, std::string> props,
                               const std::string& company) {
  std::lock_guard lock(mutex_);
  std::int64_t id = next_id_++;
  auto now = tick();
  objects_[type][id] = Record{std::move(props), now, now};
  if (!company.empty()) ticket_company_[id] = std::stoll(company);
  return std::to_string(id);
}

json::object HubspotSim::stats_json_locked() const {
  json::object by_route;
  for (auto& [k, v] : calls_) by_route[k] = v;
  return json::object{{"total_calls", total_}, {"records_updated", records_updated_},
                      {"redundant_record_writes", redundant_writes_}, {"calls", by_route}};
}

boost::asio::awaitable<Response> HubspotSim::handle(Request req) {
  std::string target(req.target());
  auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const auto query = sim::parse_params(q == std::string::npos ? "" : std::string_view(target).substr(q + 1));
  std::unique_lock lock(mutex_);
  if (path.rfind("/__sim/", 0) == 0) {  // control API for tests and the demo; not metered
    if (path == "/__sim/stats") co_return http::make_response(req, 200, json::serialize(stats_json_locked()));
    if (path == "/__sim/export") {  // every company's churnguard_* properties, for comparisons
      json::object out;
      for (const auto& [id, r] : objects_["companies"]) {
        json::object p;
        for (const auto& [k, v] : r.props)
          if (k.rfind("churnguard_", 0) == 0) p[k] = v;
        out[std::to_string(id)] = std::move(p);
      }
      co_return http::make_response(req, 200, json::serialize(out));
    }
    co_return error(req, 404, "OBJECT_NOT_FOUND", "unknown simulator control path");
  }
  if (!query) co_return error(req, 400, "VALIDATION_ERROR", "Invalid percent-encoding in the query string");
  // Transport faults act around the answer: late, or cut off partway through its body.
  const auto wire = take_fault(faults_, path, [](const Fault& f) { return f.delay_ms > 0 || f.cut; });
  if (wire && wire->delay_ms > 0) {
    lock.unlock();
    const std::chrono::milliseconds late(wire->delay_ms);  // named: GCC 12 coroutine temporaries
    co_await transport::sleep_for(late);
    lock.lock();
  }
  // Anything but a read (GET, search, batch read) may change records (deletes and archives too).
  if (req.method() != boost::beast::http::verb::get && !path.ends_with("/search") && !path.ends_with("/batch/read"))
    ++version_;
  auto res = route(req, path, *query);
  if (wire && wire->cut) {
    // Announce more body than is sent, then close: the client sees the connection end mid-body.
    res.content_length(res.body().size() + 4096);
    res.keep_alive(false);
  }
  auto outgoing = std::move(outgoing_);
  outgoing_.clear();
  lock.unlock();
  for (auto& body : outgoing)
    boost::asio::co_spawn(co_await boost::asio::this_coro::executor, deliver(std::move(body)), boost::asio::detached);
  co_return res;
}

Response HubspotSim::route(const Request& req, const std::string& path, const sim::Params& query) {
  const std::string method(req.method_string());
  // Normalise the dated path family onto the v3 one: same bodies, different prefix.
  std::vector<std::string> seg;
  for (std::size_t i = 1, j; i <= path.size(); i = j + 1) {
    j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    seg.push_back(path.substr(i, j - i));
  }
  auto is_version = [](const std::string& s) { return s == "v3" || s == "v4" || (s.size() == 7 && s[4] == '-'); };
  std::string key = method + " " + path;
  ++total_;
  ++calls_[key];

  // Faults first: a scripted failure replaces the answer.
  if (auto scripted = take_fault(faults_, path, [](const Fault& f) { return f.delay_ms <= 0 && !f.cut; })) {
    const Fault& f = *scripted;
    if (!f.raw_body.empty()) return http::make_response(req, f.status, f.raw_body);
    if (f.status == 429)
      return error(req, 429, "RATE_LIMITS", "You have reached your " + f.policy + " limit.",
                   {{"errorType", "RATE_LIMIT"}, {"policyName", f.policy}});
    if (f.status == 401)
      return error(req, 401, "INVALID_AUTHENTICATION", "Authentication credentials not found.");
    return error(req, f.status, "INTERNAL_ERROR", "simulated failure");
  }

  auto auth = std::string(req[boost::beast::http::field::authorization]);
  if (auth != "Bearer " + opts_.token)
    return error(req, 401, "INVALID_AUTHENTICATION",
                 "Authentication credentials not found. This API supports OAuth 2.0 authentication.");

  if (opts_.fault_rate > 0 && std::uniform_real_distribution<double>(0, 1)(fault_rng_) < opts_.fault_rate) {
    static const unsigned codes[] = {500, 502, 503};
    ++random_faults_;
    return error(req, codes[random_faults_ % 3], "INTERNAL_ERROR", "simulated transient failure");
  }
  const bool is_search = seg.size() >= 2 && seg.back() == "search";
  const auto now = SystemClock{}.now_ms();
  if (++daily_used_ > opts_.daily_limit)
    return error(req, 429, "RATE_LIMITS", "You have reached your daily limit.",
                 {{"errorType", "RATE_LIMIT"}, {"policyName", "DAILY"}});
  Response res;
  bool limited = false;
  if (is_search) {
    while (!search_times_.empty() && now - search_times_.front() >= 1000) search_times_.pop_front();
    if (static_cast<int>(search_times_.size()) >= opts_.search_per_second)
      return error(req, 429, "RATE_LIMITS", "You have reached your secondly limit.",
                   {{"errorType", "RATE_LIMIT"}, {"policyName", "SECONDLY"}});
    search_times_.push_back(now);
  } else {
    while (!burst_times_.empty() && now - burst_times_.front() >= opts_.burst_window_ms) burst_times_.pop_front();
    if (static_cast<int>(burst_times_.size()) >= opts_.burst_limit) {
      limited = true;
      res = error(req, 429, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.",
                  {{"errorType", "RATE_LIMIT"}, {"policyName", "TEN_SECONDLY_ROLLING"}});
    } else {
      burst_times_.push_back(now);
    }
  }

  if (!limited) {
    // /crm/v3/objects/{t}/... or /crm/objects/{V}/{t}/...
    std::vector<std::string> s = seg;
    if (s.size() >= 3 && s[0] == "crm" && (s[1] == "objects" || s[1] == "properties" || s[1] == "associations") &&
        is_version(s[2]))
      std::swap(s[1], s[2]);  // dated form -> v3 form
    const bool known_type = s.size() >= 4 && props_.count(s[3]);
    if (s.size() >= 4 && s[0] == "crm" && is_version(s[1]) && s[2] == "objects" && known_type) {
      const std::string type = s[3];
      if (s.size() == 5 && s[4] == "search" && method == "POST") res = search(req, type);
      else if (s.size() == 6 && s[4] == "batch" && s[5] == "update" && method == "POST") res = batch_update(req, type);
      else if (s.size() == 6 && s[4] == "batch" && s[5] == "create" && method == "POST") res = batch_create(req, type);
      else if (s.size() == 4 && method == "GET") res = list(req, type, query);
      else if (s.size() == 4 && method == "POST") res = create_record(req, type);
      else if (s.size() == 5 && s[4] != "search" && method == "GET") res = read_one(req, type, s[4], query);
      else res = error(req, 404, "OBJECT_NOT_FOUND", "no such endpoint in the simulator: " + method + " " + path);
    } else if (s.size() >= 4 && s[0] == "crm" && is_version(s[1]) && s[2] == "properties" && known_type) {
      std::string rest;
      for (std::size_t i = 4; i < s.size(); ++i) rest += "/" + s[i];
      res = properties(req, s[3], rest);
    } else if (s.size() == 3 && s[0] == "crm" && (s[1] == "owners" || s[2] == "owners") && (is_version(s[1]) || is_version(s[2])) &&
               method == "GET") {
      res = owners(req, query);  // /crm/v3/owners or /crm/owners/{dated version}
    } else if (s.size() == 3 && s[0] == "automation" && s[1] == "v4" && s[2] == "flows") {
      res = flows(req);
    } else if (s.size() == 7 && s[0] == "crm" && is_version(s[1]) && s[2] == "associations" && s[5] == "batch" &&
               s[6] == "read" && method == "POST") {
      res = associations(req, s[3], s[4]);
    } else {
      res = error(req, 404, "OBJECT_NOT_FOUND", "no such endpoint: " + method + " " + path);
    }
  }
  if (!is_search) {  // HubSpot sends no rate-limit headers on search responses
    res.set("X-HubSpot-RateLimit-Max", std::to_string(opts_.burst_limit));
    res.set("X-HubSpot-RateLimit-Remaining",
            std::to_string(std::max<int>(0, opts_.burst_limit - static_cast<int>(burst_times_.size()))));
    res.set("X-HubSpot-RateLimit-Interval-Milliseconds", std::to_string(opts_.burst_window_ms));
    res.set("X-HubSpot-RateLimit-Daily", std::to_string(opts_.daily_limit));
    res.set("X-HubSpot-RateLimit-Daily-Remaining", std::to_string(std::max<std::int64_t>(0, opts_.daily_limit - daily_used_)));
  }
  return res;
}

std::int64_t HubspotSim::random_faults() const {
  std::lock_guard lock(mutex_);
  return random_faults_;
}

std::vector<json::object> HubspotSim::workflows() const {
  std::lock_guard lock(mutex_);
  return flows_;
}

// A create-task action (actionTypeId 0-3) links its task to the enrolled record by the
// association type from tasks to that object, and may assign it to the user a property of the
// record names: that property must exist.
std::optional<std::string> HubspotSim::task_action_error(const json::object& action, const std::string& object) const {
  if (action.at("actionTypeId") != "0-3") return std::nullopt;
  const auto* fields = action.if_contains("fields");
  if (!fields || !fields->is_object()) return "action " + json::serialize(action.at("actionId")) + " needs fields";
  const auto& f = fields->as_object();
  const std::int64_t task_to = object == "companies" ? 192 : 204;  // HUBSPOT_DEFINED task-to-company / task-to-contact
  if (const auto* links = f.if_contains("associations"); links && links->is_array())
    for (const auto& link : links->as_array()) {
      const auto* target = link.is_object() ? link.as_object().if_contains("target") : nullptr;
      const auto* type = target && target->is_object() ? target->as_object().if_contains("associationTypeId") : nullptr;
      const auto* value = link.is_object() ? link.as_object().if_contains("value") : nullptr;
      const bool enrolled = value && value->is_object() && value->as_object().if_contains("type") &&
                            value->as_object().at("type") == "ENROLLED_OBJECT";
      if (enrolled && !(type && type->is_int64() && type->as_int64() == task_to))
        return "association type " + (type ? json::serialize(*type) : std::string("(none)")) + " does not link a task to " +
               object + " (" + std::to_string(task_to) + ")";
    }
  if (const auto* owner = f.if_contains("owner_assignment"); owner && owner->is_object()) {
    const auto* value = owner->as_object().if_contains("value");
    const auto* name = value && value->is_object() ? value->as_object().if_contains("propertyName") : nullptr;
    if (name && name->is_string() && !props_.at(object).count(std::string(name->as_string())))
      return "Property " + std::string(name->as_string()) + " does not exist on " + object;
  }
  return std::nullopt;
}

Response HubspotSim::flows(const Request& req) {
  if (req.method() == boost::beast::http::verb::get) {
    json::array results;
    for (const auto& f : flows_) results.push_back(f);
    return http::make_response(req, 200, json::serialize(json::object{{"results", results}}));
  }
  if (req.method() != boost::beast::http::verb::post) return error(req, 405, "METHOD_NOT_ALLOWED", "method not allowed");
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
  auto o = v.as_object();
  // ApiPlatformFlowCreateRequest: these are required.
  for (const char* k : {"type", "flowType", "objectTypeId", "isEnabled", "actions", "dataSources", "blockedDates",
                        "timeWindows", "customProperties"})
    if (!o.if_contains(k)) return error(req, 400, "VALIDATION_ERROR", std::string("Missing required field: ") + k);
  if (o.at("type") != "PLATFORM_FLOW" && o.at("type") != "CONTACT_FLOW")
    return error(req, 400, "VALIDATION_ERROR", "type must be PLATFORM_FLOW or CONTACT_FLOW");
  if (o.at("objectTypeId") == "0-1" && o.at("type") != "CONTACT_FLOW")
    return error(req, 400, "VALIDATION_ERROR", "contact workflows must be CONTACT_FLOW");
  const std::string object = o.at("objectTypeId") == "0-2" ? "companies" : o.at("objectTypeId") == "0-1" ? "contacts" : "";
  if (object.empty()) return error(req, 400, "VALIDATION_ERROR", "objectTypeId not supported by the simulator");
  if (!o.at("actions").is_array()) return error(req, 400, "VALIDATION_ERROR", "actions must be an array");
  std::set<std::string> ids;
  for (const auto& a : o.at("actions").as_array()) {
    if (!a.is_object() || !a.as_object().if_contains("actionId") || !a.as_object().if_contains("actionTypeId") ||
        !a.as_object().if_contains("type"))
      return error(req, 400, "VALIDATION_ERROR", "each action needs type, actionId and actionTypeId");
    ids.insert(std::string(a.at("actionId").as_string()));
    if (auto bad = task_action_error(a.as_object(), object)) return error(req, 400, "VALIDATION_ERROR", *bad);
  }
  if (auto* start = o.if_contains("startActionId"); start && !ids.count(std::string(start->as_string())))
    return error(req, 400, "VALIDATION_ERROR", "startActionId names no action");
  // Every property a filter names must exist on the object.
  std::function<std::optional<std::string>(const json::value&)> check = [&](const json::value& b) -> std::optional<std::string> {
    if (!b.is_object()) return std::nullopt;
    if (auto* fs = b.as_object().if_contains("filters"); fs && fs->is_array())
      for (const auto& f : fs->as_array())
        if (auto* p = f.as_object().if_contains("property"); p && !props_.at(object).count(std::string(p->as_string())))
          return std::string(p->as_string());
    if (auto* bs = b.as_object().if_contains("filterBranches"); bs && bs->is_array())
      for (const auto& sub : bs->as_array())
        if (auto bad = check(sub)) return bad;
    return std::nullopt;
  };
  if (auto* ec2 = o.if_contains("enrollmentCriteria"))
    if (auto* lb = ec2->as_object().if_contains("listFilterBranch"))
      if (auto bad = check(*lb)) return error(req, 400, "VALIDATION_ERROR", "Property " + *bad + " does not exist on " + object);
  o["id"] = std::to_string(900000 + flows_.size());
  o["revisionId"] = "1";
  flows_.push_back(o);
  return http::make_response(req, 201, json::serialize(o));
}

namespace {
struct Filter {
  std::string property, op, value, high;
  std::vector<std::string> values;
  std::optional<double> num_value, num_high;  // value and high as compare() reads them, if numeric
  enum class Op { eq, neq, lt, lte, gt, gte, between, other } code = Op::other;
  enum class Field { none, modified, created, id } field = Field::none;  // held by the record as an integer
};

// How compare() reads a filter value against a numeric record value: a time, else a number.
std::optional<double> numeric_operand(const std::string& prop, const std::string& v) {
  if (is_time_property(prop))
    if (auto t = parse_timestamp(v)) return static_cast<double>(*t);
  return number(v);
}

int compare(const std::string& prop, const std::string& a, const std::string& b) {
  if (is_time_property(prop)) {
    auto x = parse_timestamp(a), y = parse_timestamp(b);
    if (x && y) return *x < *y ? -1 : *x > *y;
  }
  auto x = number(a), y = number(b);
  if (x && y) return *x < *y ? -1 : *x > *y;
  return a < b ? -1 : a > b;
}
}  // namespace

Response HubspotSim::search(const Request& req, const std::string& type) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
  auto& o = v.as_object();
  std::vector<std::vector<Filter>> groups;
  std::size_t total_filters = 0;
  try {
    if (auto* fg = o.if_contains("filterGroups")) {
      if (fg->as_array().size() > 5) return error(req, 400, "VALIDATION_ERROR", "Too many filter groups (max 5)");
      for (auto& g : fg->as_array()) {
        std::vector<Filter> fs;
        auto& filters = g.at("filters").as_array();
        if (filters.size() > 6) return error(req, 400, "VALIDATION_ERROR", "Too many filters in a group (max 6)");
        for (auto& f : filters) {
          Filter x{std::string(f.at("propertyName").as_string()), std::string(f.at("operator").as_string())};
          if (auto* val = f.as_object().if_contains("value")) x.value = val->is_string() ? std::string(val->as_string()) : json::serialize(*val);
          if (auto* hv = f.as_object().if_contains("highValue")) x.high = hv->is_string() ? std::string(hv->as_string()) : json::serialize(*hv);
          if (auto* vs = f.as_object().if_contains("values"))
            for (auto& e : vs->as_array()) x.values.push_back(e.is_string() ? std::string(e.as_string()) : json::serialize(e));
          static const std::set<std::string> ops{"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
                                                 "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"};
          if (!ops.count(x.op)) return error(req, 400, "VALIDATION_ERROR", "Unknown filter operator " + x.op);
          x.num_value = numeric_operand(x.property, x.value);
          x.num_high = numeric_operand(x.property, x.high);
          fs.push_back(std::move(x));
        }
        total_filters += fs.size();
        groups.push_back(std::move(fs));
      }
    }
  } catch (const std::exception&) {
    return error(req, 400, "VALIDATION_ERROR", "Invalid filterGroups");
  }
  if (total_filters > 18) return error(req, 400, "VALIDATION_ERROR", "Too many filters (max 18)");
  int limit = 10;
  if (auto* l = o.if_contains("limit")) {
    if (!l->is_int64()) return error(req, 400, "VALIDATION_ERROR", "limit must be an integer");
    limit = static_cast<int>(l->as_int64());
  }
  if (limit < 1 || limit > 200) return error(req, 400, "VALIDATION_ERROR", "limit must be between 1 and 200");
  std::int64_t after = 0;
  if (auto* a = o.if_contains("after")) {
    if (!a->is_string() || !number(std::string(a->as_string())))
      return error(req, 400, "VALIDATION_ERROR", "after must be a string cursor from a previous page");
    after = std::stoll(std::string(a->as_string()));
  }
  if (after + limit > 10'000)
    return error(req, 400, "VALIDATION_ERROR",
                 "Search results are limited to 10,000; after + limit must not exceed 10000");
  std::string sort_prop;
  bool ascending = true;
  if (auto* so = o.if_contains("sorts"); so && so->is_array() && !so->as_array().empty()) {
    if (so->as_array().size() > 1) return error(req, 400, "VALIDATION_ERROR", "Only one sort is allowed");
    auto& s0 = so->as_array()[0];
    if (!s0.is_object()) return error(req, 400, "VALIDATION_ERROR", "sorts must be objects");
    sort_prop = std::string(s0.at("propertyName").as_string());
    if (auto* d = s0.as_object().if_contains("direction")) ascending = d->as_string() != "DESCENDING";
  }
  std::vector<std::string> wanted;
  if (auto* p = o.if_contains("properties"))
    for (auto& e : p->as_array()) wanted.emplace_back(e.as_string());

  const std::string mod = type == "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";
  auto value_of = [&](std::int64_t id, const Record& r, const std::string& prop) -> std::optional<std::string> {
    if (prop == mod || (prop == "hs_lastmodifieddate" && type != "contacts")) return std::to_string(r.updated_ms);
    if (prop == "createdate") return std::to_string(r.created_ms);
    if (prop == "hs_object_id") return std::to_string(id);
    auto it = r.props.find(prop);
    if (it == r.props.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  // The record's stamps and id, held as integers: compared without strings (200,000-record
  // portals), with each filter's property and operator decoded once per search.
  auto field_of = [&](const std::string& prop) {
    if (prop == mod || (prop == "hs_lastmodifieddate" && type != "contacts")) return Filter::Field::modified;
    if (prop == "createdate") return Filter::Field::created;
    if (prop == "hs_object_id") return Filter::Field::id;
    return Filter::Field::none;
  };
  auto int_of = [](Filter::Field field, std::int64_t id, const Record& r) {
    return field == Filter::Field::modified ? r.updated_ms : field == Filter::Field::created ? r.created_ms : id;
  };
  for (auto& g : groups)
    for (auto& f : g) {
      static const std::map<std::string, Filter::Op> codes{{"EQ", Filter::Op::eq},   {"NEQ", Filter::Op::neq},
                                                           {"LT", Filter::Op::lt},   {"LTE", Filter::Op::lte},
                                                           {"GT", Filter::Op::gt},   {"GTE", Filter::Op::gte},
                                                           {"BETWEEN", Filter::Op::between}};
      auto c = codes.find(f.op);
      f.code = c == codes.end() ? Filter::Op::other : c->second;
      f.field = field_of(f.property);
      if (!f.num_value || (f.code == Filter::Op::between && !f.num_high)) f.field = Filter::Field::none;
    }
  auto record_int = [&](std::int64_t id, const Record& r, const std::string& prop) -> std::optional<std::int64_t> {
    const auto field = field_of(prop);
    if (field == Filter::Field::none) return std::nullopt;
    return int_of(field, id, r);
  };
  auto matches = [&](std::int64_t id, const Record& r, const Filter& f) {
    if (f.field != Filter::Field::none && f.code != Filter::Op::other) {
      const double v = static_cast<double>(int_of(f.field, id, r));
      const int c = v < *f.num_value ? -1 : v > *f.num_value;
      switch (f.code) {
        case Filter::Op::eq: return c == 0;
        case Filter::Op::neq: return c != 0;
        case Filter::Op::lt: return c < 0;
        case Filter::Op::lte: return c <= 0;
        case Filter::Op::gt: return c > 0;
        case Filter::Op::gte: return c >= 0;
        case Filter::Op::between: return c >= 0 && v <= *f.num_high;
        case Filter::Op::other: break;
      }
    }
    auto val = value_of(id, r, f.property);
    if (f.op == "HAS_PROPERTY") return val.has_value();
    if (f.op == "NOT_HAS_PROPERTY") return !val.has_value();
    if (!val) return f.op == "NEQ" || f.op == "NOT_IN";
    int c = compare(f.property, *val, f.value);
    if (f.op == "EQ") return c == 0;
    if (f.op == "NEQ") return c != 0;
    if (f.op == "LT") return c < 0;
    if (f.op == "LTE") return c <= 0;
    if (f.op == "GT") return c > 0;
    if (f.op == "GTE") return c >= 0;
    if (f.op == "BETWEEN") return c >= 0 && compare(f.property, *val, f.high) <= 0;
    bool in = std::any_of(f.values.begin(), f.values.end(), [&](auto& x) { return compare(f.property, *val, x) == 0; });
    if (f.op == "IN") return in;
    if (f.op == "NOT_IN") return !in;
    return val->find(f.value) != std::string::npos;  // CONTAINS_TOKEN, roughly
  };
  auto selected = [&](std::int64_t id, const Record& r) {
    bool ok = groups.empty();
    for (auto& g : groups) {
      bool all = true;
      for (auto& f : g) all = all && matches(id, r, f);
      ok = ok || all;
    }
    return ok;
  };
  // HubSpot's own sorts come from an index; so do ours for the two the connector uses (by
  // modification time, by id, ascending): walk the records in that order, keep the first
  // after + limit, count the rest. Any other sort collects every hit and sorts those.
  const bool by_modified = ascending && (sort_prop == mod || (sort_prop == "hs_lastmodifieddate" && type != "contacts"));
  const bool by_id = sort_prop.empty() || (ascending && sort_prop == "hs_object_id");
  const auto need = static_cast<std::size_t>(after + limit);
  std::vector<std::pair<std::int64_t, const Record*>> hits;
  std::int64_t total = 0;
  if (by_modified || by_id) {
    auto consider = [&](std::int64_t id, const Record& r) {
      if (!selected(id, r)) return;
      ++total;
      if (hits.size() < need) hits.emplace_back(id, &r);
    };
    if (by_modified)
      for (const auto& [id, r] : modified_order(type)) consider(id, *r);
    else
      for (const auto& [id, r] : objects_[type]) consider(id, r);
  } else {
    for (auto& [id, r] : objects_[type])
      if (selected(id, r)) hits.emplace_back(id, &r);
    total = static_cast<std::int64_t>(hits.size());
    if (!sort_prop.empty()) {
      // compare()'s order (time, else number, else text; ties in id order, as a stable sort would
      // keep them), with each value parsed once, and only the first after + limit sorted: a page
      // of a 200,000-record portal must not sort the whole portal.
      struct Key {
        std::optional<std::int64_t> time;
        std::optional<double> num;
        std::string text;
        std::size_t pos;
      };
      std::vector<Key> keys;
      keys.reserve(hits.size());
      const bool timed = is_time_property(sort_prop);
      for (std::size_t i = 0; i < hits.size(); ++i) {
        if (auto iv = record_int(hits[i].first, *hits[i].second, sort_prop)) {
          Key k{timed ? iv : std::nullopt, static_cast<double>(*iv), {}, i};
          keys.push_back(std::move(k));
          continue;
        }
        auto v = value_of(hits[i].first, *hits[i].second, sort_prop).value_or("");
        Key k{timed ? parse_timestamp(v) : std::nullopt, number(v), std::move(v), i};
        keys.push_back(std::move(k));
      }
      auto less = [&](const Key& x, const Key& y) {
        int c = x.time && y.time ? (*x.time < *y.time ? -1 : *x.time > *y.time)
                : x.num && y.num ? (*x.num < *y.num ? -1 : *x.num > *y.num)
                                 : (x.text < y.text ? -1 : x.text > y.text);
        if (c != 0) return ascending ? c < 0 : c > 0;
        return x.pos < y.pos;
      };
      const auto keep = static_cast<std::size_t>(std::min<std::int64_t>(total, after + limit));
      std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keep), keys.end(), less);
      std::vector<std::pair<std::int64_t, const Record*>> sorted;
      sorted.reserve(keep);
      for (std::size_t i = 0; i < keep; ++i) sorted.push_back(hits[keys[i].pos]);
      hits = std::move(sorted);
    }
  }
  json::array results;
  for (std::int64_t i = after; i < static_cast<std::int64_t>(hits.size()) && i < after + limit; ++i)
    results.push_back(to_json(type, hits[i].first, *hits[i].second, &wanted));
  json::object body{{"total", total}, {"results", results}};
  if (after + limit < total)
    body["paging"] = json::object{{"next", json::object{{"after", std::to_string(after + limit)}}}};
  return http::make_response(req, 200, json::serialize(body));
}

Response HubspotSim::batch_update(const Request& req, const std::string& type) {
  auto parsed = batch_inputs(req.body());
  if (!parsed) return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON: expected {\"inputs\":[...]}");
  const auto& inputs = *parsed;
  if (inputs.size() > 100)
    return error(req, 400, "VALIDATION_ERROR", "Batch input must contain at most 100 inputs, got " + std::to_string(inputs.size()));
  std::set<std::string> seen;
  std::vector<std::pair<std::int64_t, std::map<std::string, std::string>>> updates;
  std::vector<std::string> missing;
  json::array invalid;
  for (auto& in : inputs) {
    if (!in.is_object() || !in.as_object().contains("id") || !in.at("id").is_string() ||
        !in.as_object().contains("properties") || !in.at("properties").is_object())
      return error(req, 400, "VALIDATION_ERROR", "Each input needs a string id and a properties object");
    std::string id(in.at("id").as_string());
    if (!seen.insert(id).second) return error(req, 400, "VALIDATION_ERROR", "Duplicate IDs found in batch input: [" + id + "]");
    std::map<std::string, std::string> props;
    for (auto& [k, val] : in.at("properties").as_object()) {
      if (!val.is_string() && !val.is_number() && !val.is_bool())
        return error(req, 400, "VALIDATION_ERROR", "Property values must be strings");
      std::string sv = val.is_string() ? std::string(val.as_string()) : json::serialize(val);
      if (auto bad = validate_value(type, std::string(k), sv))
        invalid.push_back(json::object{{"isValid", false}, {"message", std::string(k) + " is not valid"},
                                       {"error", *bad}, {"name", std::string(k)}});
      props[std::string(k)] = sv;
    }
    auto num = number(id);
    if (!num || !objects_[type].count(static_cast<std::int64_t>(*num))) {
      missing.push_back(id);
      continue;
    }
    updates.emplace_back(static_cast<std::int64_t>(*num), std::move(props));
  }
  if (!invalid.empty())  // property validation fails the whole batch, as HubSpot's does
    return error(req, 400, "VALIDATION_ERROR", "Property values were not valid: " + json::serialize(invalid),
                 {{"errors", json::array{json::object{{"message", "Property values were not valid"},
                                                      {"code", invalid[0].at("error")},
                                                      {"context", json::object{{"propertyName", json::array{invalid[0].at("name")}}}}}}}});
  json::array results;
  const auto started = format_iso8601(SystemClock{}.now_ms());
  for (auto& [id, props] : updates) {
    auto& r = objects_[type][id];
    bool same = true;  // a record rewritten with the values it already has: a wasted write
    for (auto& [k, val] : props) {
      auto cur = r.props.find(k);
      same = same && ((cur != r.props.end() && cur->second == val) || (cur == r.props.end() && val.empty()));
    }
    redundant_writes_ += same;
    for (auto& [k, val] : props) r.props[k] = val;
    r.updated_ms = tick();
    ++records_updated_;
    std::vector<std::string> names;
    for (auto& [k, val] : props) names.push_back(k);
    results.push_back(to_json(type, id, r, &names));
  }
  std::reverse(results.begin(), results.end());  // HubSpot promises no order
  json::object body{{"status", "COMPLETE"}, {"results", results}, {"startedAt", started},
                    {"completedAt", format_iso8601(SystemClock{}.now_ms())}};
  if (missing.empty()) return http::make_response(req, 200, json::serialize(body));
  json::array ids(missing.begin(), missing.end());
  body["numErrors"] = 1;
  body["errors"] = json::array{json::object{{"status", "error"}, {"category", "OBJECT_NOT_FOUND"},
                                            {"message", "Could not get some " + type + " objects, they may be deleted or not exist."},
                                            {"context", json::object{{"ids", ids}}}, {"errors", json::array{}}}};
  return http::make_response(req, 207, json::serialize(body));
}

// Batch create: all or nothing, unless every input carries an objectWriteTraceId; then the
// good inputs are created and the rest reported in a 207, by trace id.
Response HubspotSim::batch_create(const Request& req, const std::string& type) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  auto* inputs = !ec && v.is_object() ? v.as_object().if_contains("inputs") : nullptr;
  if (!inputs || !inputs->is_array()) return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON: expected {\"inputs\":[...]}");
  if (inputs->as_array().size() > 100) return error(req, 400, "VALIDATION_ERROR", "Batch input can have at most 100 inputs");
  bool traced = true;
  struct Good { std::map<std::string, std::string> props; std::optional<std::int64_t> company; };
  std::vector<std::optional<Good>> goods;
  json::array errors;
  for (const auto& in : inputs->as_array()) {
    const auto* o = in.is_object() ? &in.as_object() : nullptr;
    const auto* trace = o ? o->if_contains("objectWriteTraceId") : nullptr;
    traced = traced && trace && trace->is_string();
    std::string why;
    Good g;
    const auto* props = o ? o->if_contains("properties") : nullptr;
    if (!props || !props->is_object()) why = "expected properties";
    else
      for (const auto& [k, val] : props->as_object()) {
        if (!val.is_string()) { why = "Property values must be strings"; break; }
        if (auto bad = validate_value(type, std::string(k), std::string(val.as_string()))) { why = std::string(k) + " " + *bad; break; }
        g.props[std::string(k)] = std::string(val.as_string());
      }
    if (why.empty() && type == "tasks" && !g.props.count("hs_timestamp")) why = "hs_timestamp is required for tasks";
    if (const auto* as = o ? o->if_contains("associations") : nullptr; why.empty() && as && as->is_array())
      for (const auto& a : as->as_array()) {
        const auto* to = a.is_object() ? a.as_object().if_contains("to") : nullptr;
        const auto* id = to && to->is_object() ? to->as_object().if_contains("id") : nullptr;
        auto num = id && id->is_string() ? number(std::string(id->as_string())) : std::nullopt;
        const std::string target = type == "tasks" && a.is_object() && json::serialize(a).find("\"associationTypeId\":204") != std::string::npos
                                       ? "contacts" : "companies";
        if (!num || !objects_[target].count(static_cast<std::int64_t>(*num))) { why = "association target does not exist"; break; }
        if (target == "companies") g.company = static_cast<std::int64_t>(*num);
      }
    if (!why.empty()) {
      json::object err{{"status", "error"}, {"category", "VALIDATION_ERROR"}, {"message", why}};
      if (trace && trace->is_string()) err["context"] = json::object{{"objectWriteTraceId", json::array{*trace}}};
      errors.push_back(std::move(err));
      goods.emplace_back();
    } else {
      goods.emplace_back(std::move(g));
    }
  }
  if (!errors.empty() && !traced)
    return error(req, 400, "VALIDATION_ERROR", "Batch create failed: " + std::string(errors[0].at("message").as_string()));
  json::array results;
  for (auto& g : goods) {
    if (!g) continue;
    const std::int64_t id = next_id_++;
    const auto now = tick();
    auto& rec = objects_[type][id];
    rec = Record{std::move(g->props), now, now};
    if (g->company) ticket_company_[id] = *g->company;
    results.push_back(to_json(type, id, rec, nullptr));
  }
  const unsigned status = errors.empty() ? 201 : 207;  // decided before errors is moved into the body
  json::object body{{"status", "COMPLETE"}, {"results", std::move(results)}};
  if (!errors.empty()) body["errors"] = std::move(errors), body["numErrors"] = body["errors"].as_array().size();
  return http::make_response(req, status, json::serialize(body));
}

Response HubspotSim::create_record(const Request& req, const std::string& type) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object() || !v.as_object().contains("properties") || !v.at("properties").is_object())
    return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON: expected {\"properties\":{...}}");
  std::map<std::string, std::string> props;
  for (auto& [k, val] : v.at("properties").as_object()) {
    if (!val.is_string()) return error(req, 400, "VALIDATION_ERROR", "Property values must be strings");
    if (auto bad = validate_value(type, std::string(k), std::string(val.as_string())))
      return error(req, 400, "VALIDATION_ERROR", "Property values were not valid: " + std::string(k) + " " + *bad);
    props[std::string(k)] = std::string(val.as_string());
  }
  std::optional<std::int64_t> company;
  if (auto* assoc = v.as_object().if_contains("associations")) {
    if (!assoc->is_array()) return error(req, 400, "VALIDATION_ERROR", "associations must be an array");
    for (auto& a : assoc->as_array()) {
      auto* to = a.is_object() ? a.as_object().if_contains("to") : nullptr;
      auto* id = to && to->is_object() ? to->as_object().if_contains("id") : nullptr;
      auto num = id && id->is_string() ? number(std::string(id->as_string())) : std::nullopt;
      if (!num || !objects_["companies"].count(static_cast<std::int64_t>(*num)))
        return error(req, 400, "VALIDATION_ERROR", "association target does not exist");
      company = static_cast<std::int64_t>(*num);
    }
  }
  const std::int64_t id = next_id_++;
  const auto now = tick();
  auto& rec = objects_[type][id];
  rec = Record{std::move(props), now, now};
  if (company) ticket_company_[id] = *company;
  queue_event(type == "tickets" ? "ticket.creation" : type == "companies" ? "company.creation" : "object.creation", id);
  return http::make_response(req, 201, json::serialize(to_json(type, id, rec, nullptr)));
}

Response HubspotSim::read_one(const Request& req, const std::string& type, const std::string& id, const sim::Params& query) {
  auto num = number(id);
  auto it = num ? objects_[type].find(static_cast<std::int64_t>(*num)) : objects_[type].end();
  if (it == objects_[type].end())
    return error(req, 404, "OBJECT_NOT_FOUND", "resource not found", {{"context", json::object{{"id", json::array{json::value(id)}}}}});
  const auto wanted = split_list(sim::param(query, "properties"));
  return http::make_response(req, 200, json::serialize(to_json(type, it->first, it->second, &wanted)));
}

Response HubspotSim::list(const Request& req, const std::string& type, const sim::Params& query) {
  const auto limit = paging_param(query, "limit", 10, 1, 100);
  if (!limit) return error(req, 400, "VALIDATION_ERROR", "limit must be a whole number between 1 and 100");
  const auto after = paging_param(query, "after", 0, 0, std::numeric_limits<long long>::max());
  if (!after) return error(req, 400, "VALIDATION_ERROR", "after is not a valid cursor");
  const auto wanted = split_list(sim::param(query, "properties"));
  json::array results;
  auto& objs = objects_[type];
  auto it = objs.lower_bound(*after);
  for (; it != objs.end() && std::cmp_less(results.size(), *limit); ++it)
    results.push_back(to_json(type, it->first, it->second, &wanted));
  json::object body{{"results", results}};
  if (it != objs.end()) body["paging"] = json::object{{"next", json::object{{"after", std::to_string(it->first)}}}};
  return http::make_response(req, 200, json::serialize(body));
}

// GET /crm/v3/owners: active owners, or with archived=true only the archived ones; up to 500 a
// page, paged by id as `after`.
Response HubspotSim::owners(const Request& req, const sim::Params& query) const {
  const auto limit = paging_param(query, "limit", 100, 1, 500);
  if (!limit) return error(req, 400, "VALIDATION_ERROR", "limit must be a whole number between 1 and 500");
  const auto archived_s = sim::param(query, "archived");
  if (!archived_s.empty() && archived_s != "true" && archived_s != "false")
    return error(req, 400, "VALIDATION_ERROR", "archived must be true or false");
  const auto after = paging_param(query, "after", 0, 0, std::numeric_limits<long long>::max());
  if (!after) return error(req, 400, "VALIDATION_ERROR", "after is not a valid cursor");
  const bool archived = archived_s == "true";
  json::array results;
  auto it = owners_.lower_bound(*after);
  for (; it != owners_.end(); ++it) {
    if (it->second.at("archived").as_bool() != archived) continue;
    if (std::cmp_equal(results.size(), *limit)) break;
    results.push_back(it->second);
  }
  json::object body{{"results", results}};
  if (it != owners_.end()) body["paging"] = json::object{{"next", json::object{{"after", std::to_string(it->first)}}}};
  return http::make_response(req, 200, json::serialize(body));
}

Response HubspotSim::properties(const Request& req, const std::string& type, const std::string& rest) {
  const auto m = req.method();
  using boost::beast::http::verb;
  auto prop_json = [&](const std::string& name, const PropertyDef& d) {
    json::array opts;
    for (std::size_t i = 0; i < d.options.size(); ++i)
      opts.push_back(json::object{{"label", d.options[i]}, {"value", d.options[i]}, {"displayOrder", i}, {"hidden", false}});
    return json::object{{"name", name}, {"label", name}, {"type", d.type}, {"fieldType", d.field_type},
                        {"groupName", d.group}, {"options", opts}, {"modificationMetadata", json::object{{"readOnlyValue", d.read_only}}}};
  };
  auto create_one = [&](const json::value& in, std::string& err) -> bool {
    static const std::map<std::string, std::set<std::string>> pairs{
        {"string", {"text", "textarea", "html", "file"}}, {"number", {"number", "calculation_equation"}},
        {"date", {"date"}}, {"datetime", {"date"}}, {"enumeration", {"select", "radio", "checkbox", "booleancheckbox"}},
        {"bool", {"booleancheckbox"}}, {"phone_number", {"phonenumber"}}};
    if (!in.is_object()) return err = "property must be an object", false;
    auto& o = in.as_object();
    for (const char* k : {"name", "label", "type", "fieldType", "groupName"})
      if (!o.contains(k) || !o.at(k).is_string()) return err = std::string("missing required field ") + k, false;
    std::string name(o.at("name").as_string()), t(o.at("type").as_string()), ft(o.at("fieldType").as_string()),
        group(o.at("groupName").as_string());
    auto p = pairs.find(t);
    if (p == pairs.end() || !p->second.count(ft)) return err = "invalid type/fieldType pair " + t + "/" + ft, false;
    if (!groups_[type].count(group)) return err = "property group " + group + " does not exist", false;
    PropertyDef d{t, ft, group};
    if (t == "enumeration" || t == "bool") {
      auto* opts = o.if_contains("options");
      if (!opts || !opts->is_array() || opts->as_array().empty()) return err = "enumeration properties need options", false;
      for (auto& op : opts->as_array()) d.options.emplace_back(op.at("value").as_string());
    }
    if (props_[type].count(name)) return err = "409:A property named '" + name + "' already exists.", false;
    props_[type][name] = d;
    return true;
  };
  if (rest.empty() && m == verb::get) {
    json::array results;
    for (auto& [n, d] : props_[type]) results.push_back(prop_json(n, d));
    return http::make_response(req, 200, json::serialize(json::object{{"results", results}}));
  }
  if ((rest.empty() || rest == "/batch/create") && m == verb::post) {
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec) return error(req, 400, "VALIDATION_ERROR", "Invalid input JSON");
    std::vector<json::value> ins;
    if (rest.empty()) ins.push_back(v);
    else if (v.is_object() && v.as_object().contains("inputs") && v.at("inputs").is_array())
      for (auto& e : v.at("inputs").as_array()) ins.push_back(e);
    else return error(req, 400, "VALIDATION_ERROR", "expected {\"inputs\":[...]}");
    json::array results;
    for (auto& in : ins) {
      std::string err;
      if (!create_one(in, err)) {
        if (err.rfind("409:", 0) == 0) return error(req, 409, "OBJECT_ALREADY_EXISTS", err.substr(4));
        return error(req, 400, "VALIDATION_ERROR", err);
      }
      auto n = std::string(in.at("name").as_string());
      results.push_back(prop_json(n, props_[type][n]));
    }
    if (rest.empty()) return http::make_response(req, 201, json::serialize(results[0]));
    return http::make_response(req, 201, json::serialize(json::object{{"status", "COMPLETE"}, {"results", results}}));
  }
  if (rest.rfind("/groups", 0) == 0) {
    if (rest == "/groups" && m == verb::post) {
      boost::system::error_code ec;
      auto v = json::parse(req.body(), ec);
      if (ec || !v.is_object() || !v.as_object().contains("name") || !v.as_object().contains("label"))
        return error(req, 400, "VALIDATION_ERROR", "a group needs name and label");
      std::string n(v.at("name").as_string());
      if (!groups_[type].insert(n).second) return error(req, 409, "OBJECT_ALREADY_EXISTS", "group " + n + " exists");
      return http::make_response(req, 201, json::serialize(v));
    }
    if (m == verb::get && rest.size() > 8) {
      auto n = rest.substr(8);
      if (!groups_[type].count(n)) return error(req, 404, "OBJECT_NOT_FOUND", "Unable to find property group " + n);
      return http::make_response(req, 200, json::serialize(json::object{{"name", n}, {"label", n}}));
    }
  }
  if (m == verb::get && rest.size() > 1) {
    auto n = rest.substr(1);
    auto it = props_[type].find(n);
    if (it == props_[type].end()) return error(req, 404, "OBJECT_NOT_FOUND", "Unable to find property " + n);
    return http::make_response(req, 200, json::serialize(prop_json(n, it->second)));
  }
  return error(req, 405, "VALIDATION_ERROR", "method not allowed on properties" + rest);
}

Response HubspotSim::associations(const Request& req, const std::string& from, const std::string& to) {
  if ((from != "tickets" && from != "emails" && from != "deals") || to != "companies")
    return error(req, 400, "VALIDATION_ERROR", "the simulator associates tickets, emails and deals to companies only");
  // HubSpot-defined association type ids to companies (crm-api/hubspot.md §6).
  const int type_id = from == "tickets" ? 339 : from == "emails" ? 186 : 341;
  auto inputs = batch_inputs(req.body());
  if (!inputs) return error(req, 400, "VALIDATION_ERROR", "expected {\"inputs\":[...]}");
  if (inputs->size() > 1000) return error(req, 400, "VALIDATION_ERROR", "at most 1000 inputs");
  json::array results, missing;
  for (auto& in : *inputs) {
    std::string id(in.at("id").as_string());
    auto n = number(id);
    auto it = n ? ticket_company_.find(static_cast<std::int64_t>(*n)) : ticket_company_.end();
    if (it == ticket_company_.end()) {
      missing.push_back(json::value(id));
      continue;
    }
    results.push_back(json::object{
        {"from", json::object{{"id", id}}},
        {"to", json::array{json::object{{"toObjectId", it->second},
                                        {"associationTypes", json::array{json::object{{"category", "HUBSPOT_DEFINED"}, {"typeId", type_id}, {"label", nullptr}}}}}}}});
  }
  json::object body{{"status", "COMPLETE"}, {"results", results}};
  if (missing.empty()) return http::make_response(req, 200, json::serialize(body));
  body["numErrors"] = 1;
  body["errors"] = json::array{json::object{{"status", "error"}, {"category", "OBJECT_NOT_FOUND"},
                                            {"message", "No associations found"}, {"context", json::object{{"fromObjectIds", missing}}}}};
  return http::make_response(req, 207, json::serialize(body));
}

}  // namespace cg::sim
