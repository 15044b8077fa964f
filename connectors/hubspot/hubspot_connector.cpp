#include "connectors/hubspot/hubspot_connector.hpp"

#include "churnguard/hubspot_properties_json.hpp"
#include "connectors/api/fields.hpp"
#include "connectors/hubspot/mapping.hpp"
#include "connectors/hubspot/property_definitions.hpp"
#include "connectors/transport/pacing.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <set>

namespace cg::hubspot {
namespace json = boost::json;
namespace http = boost::beast::http;
using boost::asio::awaitable;
using transport::Request;
using transport::Response;

namespace {

constexpr int search_page_size = 200;
constexpr int search_result_cap = 10'000;
constexpr std::size_t batch_limit = 100;

class HubspotConnector final : public crm::CrmConnector {
 public:
  HubspotConnector(std::unique_ptr<transport::HttpsClient> client, HubspotOptions opts)
      : client_(std::move(client)), opts_(std::move(opts)), paths_{opts_.api_version},
        search_pacer_(opts_.search_requests_per_second), backoff_(opts_.retry_base, std::chrono::seconds(30)) {}

  std::string name() const override { return "hubspot"; }
  std::size_t max_write_batch() const override { return batch_limit; }
  crm::ApiUsage usage() const override { return usage_; }

  crm::Task<void> check_connection() override {
    Request r_req{http::verb::get, paths_.objects(opts_.object) + "?limit=1&archived=false"};
    auto r = co_await call(std::move(r_req));
    if (!r) co_return r.error();
    if (r->status != 200) co_return make_error(ErrorKind::rejected, "HubSpot connection check: " + describe_error(r->status, r->body));
    co_return Result<void>{};
  }

  crm::Task<std::vector<std::string>> ensure_fields(bool dry_run) override;
  crm::Task<std::vector<std::string>> ensure_workflows(bool dry_run) override;
  crm::Task<std::vector<crm::TaskResult>> create_tasks(const std::vector<crm::TaskRequest>& tasks) override;
  crm::Task<void> pull(crm::ObjectKind kind, std::int64_t since_ms, crm::BatchSink sink) override;
  crm::Task<std::vector<crm::Owner>> list_owners() override;
  crm::Task<crm::WriteResult> write_fields(const std::vector<crm::FieldUpdate>& updates) override;

 private:
  bool is_contacts() const { return opts_.object == "contacts"; }
  std::string modified_property(crm::ObjectKind k) const {
    if (k == crm::ObjectKind::contacts) return "lastmodifieddate";
    return (k == crm::ObjectKind::customers && is_contacts()) ? "lastmodifieddate" : "hs_lastmodifieddate";
  }
  std::vector<std::string> customer_properties() const;
  awaitable<Result<Response>> call(Request req);
  awaitable<Result<std::map<std::string, std::string>>> linked_customers(const std::string& from_type,
                                                                         const std::vector<std::string>& ids);

  std::unique_ptr<transport::HttpsClient> client_;
  HubspotOptions opts_;
  ApiPaths paths_;
  transport::Pacer search_pacer_;
  transport::Backoff backoff_;
  crm::ApiUsage usage_;
  int burst_remaining_ = -1;               // from X-HubSpot-RateLimit-Remaining; -1 unknown
  std::chrono::milliseconds burst_interval_{10'000};
};

std::int64_t header_int(const Response& r, std::string_view name, std::int64_t fallback) {
  auto v = r.header(name);
  if (v.empty()) return fallback;
  try {
    return std::stoll(v);
  } catch (...) {
    return fallback;
  }
}

// A Retry-After in seconds, at most an hour (a broken header must not stall the sync for days);
// 0 when there is none.
std::chrono::milliseconds retry_after(const Response& r) {
  return std::chrono::seconds(std::clamp<std::int64_t>(header_int(r, "retry-after", 0), 0, 3600));
}

// Every HubSpot call goes through here: auth header, proactive pacing, and the CRM's own
// rate-limit signals. Transient failures are retried; a limit never fails a sync except DAILY.
awaitable<Result<Response>> HubspotConnector::call(Request req) {
  bool is_search = req.target.ends_with("/search");
  req.headers.emplace_back("Authorization", "Bearer " + opts_.token.reveal());
  int rate_waits = 0;
  transport::Attempts attempts(backoff_, opts_.max_attempts);
  for (;;) {
    if (is_search) {
      co_await search_pacer_.wait();
    } else if (burst_remaining_ == 0) {
      co_await transport::sleep_for(burst_interval_);
      burst_remaining_ = -1;
    }
    auto res = co_await client_->send(req);
    ++usage_.calls;
    if (!res) {
      const bool again = co_await attempts.again_after(res.error(), "hubspot");
      if (!again) co_return res.error();
      ++usage_.retries;
      continue;
    }
    if (!is_search) {
      burst_remaining_ = static_cast<int>(header_int(*res, "x-hubspot-ratelimit-remaining", -1));
      burst_interval_ = std::chrono::milliseconds(
          header_int(*res, "x-hubspot-ratelimit-interval-milliseconds", burst_interval_.count()));
      if (auto d = header_int(*res, "x-hubspot-ratelimit-daily-remaining", -1); d >= 0) usage_.daily_remaining = d;
    }
    const unsigned s = res->status;
    if (s == 429) {
      ++usage_.rate_limited;
      auto policy = rate_limit_policy(res->body);
      if (policy == "DAILY")
        co_return make_error(ErrorKind::rate_limited,
                             "HubSpot daily API limit is exhausted (429 DAILY); it resets at midnight in the account's time zone");
      if (++rate_waits > 60)
        co_return make_error(ErrorKind::rate_limited, "HubSpot kept answering 429 " + policy + " after 60 waits");
      auto wait = is_search || policy == "SECONDLY" ? std::chrono::milliseconds(1000) : burst_interval_;
      if (auto ra = retry_after(*res); ra.count() > 0) wait = ra;
      log::info("hubspot", "rate limited (" + (policy.empty() ? std::string("no policyName") : policy) + "), waiting " +
                               std::to_string(wait.count()) + " ms");
      co_await transport::sleep_for(wait);
      continue;
    }
    if (s == 423 || s == 477 || s == 500 || s == 502 || s == 503 || s == 504 || s == 521 || s == 524) {
      // 423: a record locked by another write; HubSpot asks for at least 2 s.
      const std::chrono::milliseconds floor(s == 423 ? 2000 : 0), named = retry_after(*res);
      const bool again = co_await attempts.again_after_transient(floor, named);
      if (!again)
        co_return make_error(ErrorKind::unavailable, "HubSpot " + req.target.substr(0, req.target.find('?')) +
                                                         " kept failing: " + describe_error(s, res->body));
      ++usage_.retries;
      continue;
    }
    if (s == 401)
      co_return make_error(ErrorKind::auth, "HubSpot refused the access token: " + describe_error(s, res->body) +
                                                " (check hubspot.token; static tokens look like pat-…)");
    if (s == 403)
      co_return make_error(ErrorKind::auth, "HubSpot denied access: " + describe_error(s, res->body) +
                                                " (the app may lack a required scope)");
    co_return res;
  }
}

std::vector<std::string> HubspotConnector::customer_properties() const {
  std::set<std::string> props{"createdate", "hubspot_owner_id", modified_property(crm::ObjectKind::customers)};
  if (is_contacts()) props.insert({"firstname", "lastname", "email", "associatedcompanyid"});
  else props.insert({"name", "domain"});
  for (const auto& p : opts_.properties) props.insert(p);
  for (const auto& f : crm::field_contract) props.insert(std::string(f.hubspot));
  return {props.begin(), props.end()};
}

awaitable<Result<std::map<std::string, std::string>>> HubspotConnector::linked_customers(
    const std::string& from_type, const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < ids.size(); i += batch_limit) {
    json::array inputs;
    for (std::size_t j = i; j < std::min(ids.size(), i + batch_limit); ++j) inputs.emplace_back(json::object{{"id", ids[j]}});
    // Built outside co_await: GCC 12 miscompiles string-literal initializer lists in a coroutine expression.
    Request req{http::verb::post, paths_.associations_batch_read(from_type, opts_.object),
                json::serialize(json::object{{"inputs", std::move(inputs)}})};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    // 207 lists tickets with no association as errors: that is fine, they stay unassigned.
    if (r->status != 200 && r->status != 207)
      co_return make_error(ErrorKind::rejected, "HubSpot associations read: " + describe_error(r->status, r->body));
    auto m = parse_association_batch(r->body);
    if (!m) co_return m.error();
    out.merge(*m);
  }
  co_return out;
}

std::string object_type(crm::ObjectKind k, const std::string& customer_object) {
  switch (k) {
    case crm::ObjectKind::customers: return customer_object;
    case crm::ObjectKind::tickets: return "tickets";
    case crm::ObjectKind::emails: return "emails";
    case crm::ObjectKind::contacts: return "contacts";
    case crm::ObjectKind::renewals: return "deals";
    default: break;
  }
  return {};
}

crm::Task<void> HubspotConnector::pull(crm::ObjectKind kind, std::int64_t since_ms, crm::BatchSink sink) {
  // When contacts are the customers, they are pulled as customers and carry their own counters.
  if (kind == crm::ObjectKind::contacts && is_contacts()) co_return Result<void>{};
  // HubSpot has no separate comment or task objects to read here (notes are not synced).
  if (kind == crm::ObjectKind::comments || kind == crm::ObjectKind::tasks) co_return Result<void>{};
  if (kind == crm::ObjectKind::renewals && opts_.renewal_types.empty()) co_return Result<void>{};
  const std::string type = object_type(kind, opts_.object);
  const std::string mod = modified_property(kind);
  std::vector<std::string> props;
  switch (kind) {
    case crm::ObjectKind::customers: props = customer_properties(); break;
    case crm::ObjectKind::tickets:
      props = {"subject", "content", "createdate", "closed_date", "hs_pipeline", "hs_pipeline_stage",
               "hs_ticket_priority", "hs_ticket_category", "hs_lastmodifieddate"};
      break;
    case crm::ObjectKind::emails:
      props = {"hs_timestamp", "hs_email_direction", "hs_email_subject", "hs_email_text", "hs_email_status",
               "hs_email_open_count", "hs_lastmodifieddate"};
      break;
    case crm::ObjectKind::contacts:
      props = {"email", "associatedcompanyid", "hs_email_delivered", "hs_email_open", "lastmodifieddate"};
      break;
    case crm::ObjectKind::renewals:
      // Every deal, its type checked here: a deal whose type or stage changes must be seen again.
      props = {"dealname", "dealtype", "dealstage", "pipeline", "amount", "closedate", "hs_is_closed",
               "hs_is_closed_won", "hs_lastmodifieddate"};
      break;
    default:
      break;
  }
  std::int64_t window_start = since_ms;
  std::optional<std::string> after;
  std::int64_t in_window = 0;
  // Set while paging through more than 10,000 records that share the stamp window_start.
  std::optional<std::string> tie_after_id;
  for (;;) {
    auto body = tie_after_id ? tie_search_body(mod, window_start, *tie_after_id, props, search_page_size, after)
                             : search_body(mod, window_start, props, search_page_size, after);
    Request req{http::verb::post, paths_.objects(type) + "/search", json::serialize(body)};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 200)
      co_return make_error(ErrorKind::rejected, "HubSpot " + type + " search: " + describe_error(r->status, r->body));
    auto page = parse_search_page(r->body);
    if (!page) co_return page.error();
    if (page->results.empty()) break;

    crm::PullBatch batch;
    if (kind == crm::ObjectKind::customers) {
      for (auto& o : page->results) batch.customers.push_back(to_customer(o, mod, is_contacts() ? "email" : "name"));
      batch.watermark_ms = batch.customers.back().modified_ms;
    } else if (kind == crm::ObjectKind::contacts) {
      for (auto& o : page->results) batch.contacts.push_back(to_contact(o));
      batch.watermark_ms = batch.contacts.back().modified_ms;
    } else {
      std::vector<std::string> ids;  // HubSpot's record ids, for the association read
      for (auto& o : page->results) {
        if (kind == crm::ObjectKind::renewals && !crm::is_renewal_type(prop(o, "dealtype"), opts_.renewal_types)) continue;
        batch.activities.push_back(kind == crm::ObjectKind::tickets ? to_ticket(o)
                                   : kind == crm::ObjectKind::emails ? to_email(o)
                                                                     : to_renewal(o));
        ids.emplace_back(o.at("id").as_string());
      }
      if (!ids.empty()) {
        auto links = co_await linked_customers(type, ids);
        if (!links) co_return links.error();
        for (std::size_t i = 0; i < ids.size(); ++i)
          if (auto it = links->find(ids[i]); it != links->end()) batch.activities[i].customer_id = it->second;
      }
      batch.watermark_ms = parse_timestamp(prop(page->results.back(), mod)).value_or(window_start);
    }
    const std::int64_t last = batch.watermark_ms;
    const std::string last_id(page->results.back().at("id").as_string());
    in_window += static_cast<std::int64_t>(page->results.size());
    if (auto s = sink(std::move(batch)); !s) co_return s.error();
    if (!page->next_after) {
      if (!tie_after_id) break;
      // The tie is done: go on with everything modified after it.
      tie_after_id.reset();
      window_start += 1;
      after.reset();
      in_window = 0;
      continue;
    }
    // HubSpot refuses to page past 10,000 results of one query: start a new window at the
    // last stamp seen (GTE re-reads its ties; storing is idempotent). If the whole window
    // shares one stamp, page through that stamp by id instead.
    if (in_window + search_page_size > search_result_cap) {
      if (tie_after_id || last <= window_start) {
        // Entering: re-read the whole tie in id order (the first window's order within a tie is
        // HubSpot's, not ours); after that, go on from the last id seen.
        if (!tie_after_id) log::info("hubspot", "over 10,000 " + type + " share one modified time; paging them by id");
        tie_after_id = tie_after_id ? last_id : std::string("0");
      } else {
        window_start = last;
      }
      after.reset();
      in_window = 0;
      continue;
    }
    after = page->next_after;
  }
  co_return Result<void>{};
}

crm::Task<crm::WriteResult> HubspotConnector::write_fields(const std::vector<crm::FieldUpdate>& updates) {
  if (updates.empty()) co_return crm::WriteResult{};
  if (updates.size() > batch_limit)
    co_return make_error(ErrorKind::invalid_input, "HubSpot batch update takes at most 100 records");
  Request r_req{http::verb::post, paths_.objects(opts_.object) + "/batch/update",
                          json::serialize(batch_update_body(updates))};
    auto r = co_await call(std::move(r_req));
  ++usage_.write_calls;
  if (!r) co_return r.error();
  if (r->status == 200 || r->status == 207) co_return parse_batch_update(r->status, r->body, updates);
  // A 4xx fails the whole batch (e.g. one invalid value): report it on every record.
  crm::WriteResult out;
  for (const auto& u : updates) out.failed.push_back({u.customer_id, describe_error(r->status, r->body), false});
  co_return out;
}

crm::Task<std::vector<std::string>> HubspotConnector::ensure_fields(bool dry_run) {
  std::vector<std::string> changes;
  const auto defs = churnguard_property_definitions();
  const std::string base = paths_.properties(opts_.object);
  Request g_req{http::verb::get, base + "/groups/" + std::string(defs.group_name)};
    auto g = co_await call(std::move(g_req));
  if (!g) co_return g.error();
  if (g->status == 404) {
    changes.push_back("create property group " + std::string(defs.group_name));
    if (!dry_run) {
      Request c_req{http::verb::post, base + "/groups", json::serialize(defs.group)};
    auto c = co_await call(std::move(c_req));
      if (!c) co_return c.error();
      if (c->status != 201 && c->status != 200 && c->status != 409)
        co_return make_error(ErrorKind::rejected, "creating property group: " + describe_error(c->status, c->body));
    }
  } else if (g->status != 200) {
    co_return make_error(ErrorKind::rejected, "reading property group: " + describe_error(g->status, g->body));
  }
  Request list_req{http::verb::get, base + "?archived=false"};
    auto list = co_await call(std::move(list_req));
  if (!list) co_return list.error();
  if (list->status != 200) co_return make_error(ErrorKind::rejected, "listing properties: " + describe_error(list->status, list->body));
  auto parsed = parse_json(list->body, "HubSpot properties list");
  if (!parsed) co_return parsed.error();
  std::set<std::string> existing;
  if (auto* res = parsed->is_object() ? parsed->as_object().if_contains("results") : nullptr; res && res->is_array())
    for (auto& p : res->as_array())
      if (p.is_object())
        if (auto* n = p.as_object().if_contains("name"); n && n->is_string()) existing.insert(std::string(n->as_string()));
  json::array missing;
  for (const auto& p : defs.properties) {
    auto n = std::string(p.at("name").as_string());
    if (existing.count(n)) continue;
    changes.push_back("create property " + n);
    missing.push_back(p);
  }
  if (!dry_run && !missing.empty()) {
    Request req{http::verb::post, base + "/batch/create", json::serialize(json::object{{"inputs", missing}})};
    auto c = co_await call(std::move(req));
    if (!c) co_return c.error();
    if (c->status != 201 && c->status != 200)
      co_return make_error(ErrorKind::rejected, "creating properties: " + describe_error(c->status, c->body));
  }
  co_return changes;
}

crm::Task<std::vector<crm::TaskResult>> HubspotConnector::create_tasks(const std::vector<crm::TaskRequest>& tasks) {
  std::vector<crm::TaskResult> out;
  // Task -> company is association type 192, task -> contact 204 (HUBSPOT_DEFINED).
  const int assoc = is_contacts() ? 204 : 192;
  const std::string now = format_iso8601(SystemClock{}.now_ms());
  for (std::size_t i = 0; i < tasks.size(); i += batch_limit) {
    json::array inputs;
    const auto end = std::min(tasks.size(), i + batch_limit);
    for (std::size_t j = i; j < end; ++j) {
      const auto& t = tasks[j];
      json::object props{{"hs_task_subject", t.subject}, {"hs_task_body", t.body}, {"hs_timestamp", now},
                         {"hs_task_priority", "HIGH"}, {"hs_task_status", "NOT_STARTED"}, {"hs_task_type", "TODO"}};
      if (!t.owner_id.empty()) props["hubspot_owner_id"] = t.owner_id;  // in that owner's task queue
      json::array types{json::object{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", assoc}}};
      json::array assocs{json::object{{"to", json::object{{"id", t.customer_id}}}, {"types", std::move(types)}}};
      // With a trace id per input, HubSpot creates the good ones and reports the rest (207).
      inputs.push_back(json::object{{"properties", std::move(props)}, {"associations", std::move(assocs)},
                                    {"objectWriteTraceId", t.key}});
    }
    Request req{http::verb::post, paths_.objects("tasks") + "/batch/create",
                json::serialize(json::object{{"inputs", std::move(inputs)}})};
    auto r = co_await call(std::move(req));
    ++usage_.write_calls;
    if (!r) co_return r.error();
    std::map<std::string, std::pair<std::string, bool>> failed;  // trace id -> (message, about the owner)
    if (r->status == 207) {
      boost::system::error_code ec;
      auto v = json::parse(r->body, ec);
      if (auto* errs = !ec && v.is_object() ? v.as_object().if_contains("errors") : nullptr; errs && errs->is_array())
        for (const auto& e : errs->as_array()) {
          const auto* ctx = e.is_object() ? e.as_object().if_contains("context") : nullptr;
          const auto* ids = ctx && ctx->is_object() ? ctx->as_object().if_contains("objectWriteTraceId") : nullptr;
          std::string msg = e.is_object() && e.as_object().if_contains("message") && e.at("message").is_string()
                                ? std::string(e.at("message").as_string()) : std::string("failed");
          // An invalid owner is a property error naming hubspot_owner_id.
          const bool owner = json::serialize(e).find("hubspot_owner_id") != std::string::npos;
          if (ids && ids->is_array())
            for (const auto& id : ids->as_array())
              if (id.is_string()) failed[std::string(id.as_string())] = {msg, owner};
        }
    } else if (r->status != 201 && r->status != 200) {
      for (std::size_t j = i; j < end; ++j) out.push_back({tasks[j].key, false, "", describe_error(r->status, r->body)});
      continue;
    }
    for (std::size_t j = i; j < end; ++j) {
      auto f = failed.find(tasks[j].key);
      out.push_back(f == failed.end() ? crm::TaskResult{tasks[j].key, true, "", ""}
                                      : crm::TaskResult{tasks[j].key, false, "", f->second.first, f->second.second});
    }
  }
  co_return out;
}

// Active owners, then archived (deactivated) ones: GET /crm/v3/owners returns one or the other.
crm::Task<std::vector<crm::Owner>> HubspotConnector::list_owners() {
  std::vector<crm::Owner> out;
  for (const bool archived : {false, true}) {
    std::optional<std::string> after;
    do {
      std::string target = paths_.owners() + "?limit=500&archived=" + (archived ? "true" : "false");
      if (after) target += "&after=" + boost::urls::encode(*after, boost::urls::unreserved_chars);
      Request req{http::verb::get, std::move(target)};
      auto res = co_await call(std::move(req));
      if (!res) co_return res.error();
      if (res->status != 200) co_return make_error(ErrorKind::rejected, "listing owners: " + describe_error(res->status, res->body));
      auto page = parse_owner_page(res->body, archived);
      if (!page) co_return page.error();
      std::move(page->owners.begin(), page->owners.end(), std::back_inserter(out));
      after = std::move(page->after);
    } while (after);
  }
  co_return out;
}

crm::Task<std::vector<std::string>> HubspotConnector::ensure_workflows(bool dry_run) {
  boost::system::error_code ec;
  auto flow = json::parse(embedded::hubspot_offer_workflow_json, ec);
  if (ec || !flow.is_object()) co_return make_error(ErrorKind::config, "the embedded workflow template is not JSON");
  if (is_contacts()) {
    // The same workflow on contacts: a contact flow type, and its tasks associated with the
    // enrolled contact (task-to-contact, 204) instead of the company (task-to-company, 192).
    flow.as_object()["objectTypeId"] = "0-1";
    flow.as_object()["type"] = "CONTACT_FLOW";
    for (auto& action : flow.as_object()["actions"].as_array())
      if (auto* links = action.as_object()["fields"].as_object().if_contains("associations"))
        for (auto& link : links->as_array()) link.as_object()["target"].as_object()["associationTypeId"] = 204;
  }
  const std::string name(flow.as_object().at("name").as_string());
  Request list_req{http::verb::get, "/automation/v4/flows"};
  auto list = co_await call(std::move(list_req));
  if (!list) co_return list.error();
  if (list->status == 403)
    co_return make_error(ErrorKind::auth, "HubSpot refused the workflows API: add the `automation` scope to the app");
  if (list->status != 200) co_return make_error(ErrorKind::rejected, "listing workflows: " + describe_error(list->status, list->body));
  auto parsed = parse_json(list->body, "HubSpot workflows list");
  if (!parsed) co_return parsed.error();
  if (auto* res = parsed->is_object() ? parsed->as_object().if_contains("results") : nullptr; res && res->is_array())
    for (const auto& f : res->as_array())
      if (f.is_object() && f.as_object().if_contains("name") && f.as_object().at("name").is_string() && f.as_object().at("name").as_string() == name) co_return std::vector<std::string>{};
  std::vector<std::string> changes{"create workflow \"" + name + "\" (disabled; review and turn it on in HubSpot)"};
  if (dry_run) co_return changes;
  Request create{http::verb::post, "/automation/v4/flows", json::serialize(flow)};
  auto c = co_await call(std::move(create));
  if (!c) co_return c.error();
  if (c->status != 201 && c->status != 200)
    co_return make_error(ErrorKind::rejected, "creating the workflow: " + describe_error(c->status, c->body));
  co_return changes;
}

}  // namespace

std::unique_ptr<crm::CrmConnector> make_hubspot_connector(boost::asio::any_io_executor ex, HubspotOptions opts,
                                                          Result<void>* init_error) {
  auto client = transport::HttpsClient::create(
      ex, transport::ClientOptions{opts.base_url, opts.ca_file, opts.timeout, 64u << 20, "churnguard"});
  if (!client) {
    if (init_error) *init_error = client.error();
    return nullptr;
  }
  return std::make_unique<HubspotConnector>(std::move(*client), std::move(opts));
}

}  // namespace cg::hubspot
