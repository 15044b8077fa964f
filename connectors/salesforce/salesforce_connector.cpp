#include "connectors/salesforce/salesforce_connector.hpp"

#include "connectors/api/fields.hpp"
#include "connectors/salesforce/auth.hpp"
#include "connectors/salesforce/mapping.hpp"
#include "connectors/transport/https_client.hpp"
#include "connectors/transport/pacing.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"

#include <boost/json.hpp>

#include <set>

namespace cg::salesforce {
namespace json = boost::json;
namespace http = boost::beast::http;
using boost::asio::awaitable;
using transport::Request;
using transport::Response;

namespace {

constexpr std::size_t collection_limit = 200;

std::string origin_of(const std::string& url) {
  auto p = url.find("://");
  auto slash = p == std::string::npos ? std::string::npos : url.find('/', p + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

class SalesforceConnector final : public crm::CrmConnector {
 public:
  SalesforceConnector(boost::asio::any_io_executor ex, std::unique_ptr<transport::HttpsClient> login, SalesforceOptions o)
      : ex_(std::move(ex)), login_(std::move(login)), opts_(std::move(o)), backoff_(opts_.retry_base, std::chrono::seconds(60)) {
    base_ = "/services/data/v" + opts_.api_version;
  }

  std::string name() const override { return "salesforce"; }
  std::size_t max_write_batch() const override { return collection_limit; }
  std::size_t write_batch_for(std::size_t pending) const override {
    return pending >= opts_.bulk_threshold ? pending : collection_limit;
  }
  crm::ApiUsage usage() const override { return usage_; }

  crm::Task<void> check_connection() override {
    Request req{http::verb::get, base_ + "/limits"};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 200)
      co_return make_error(ErrorKind::rejected, "Salesforce connection check: " + describe_error(r->status, r->body));
    co_return Result<void>{};
  }

  crm::Task<std::vector<std::string>> ensure_fields(bool dry_run) override;
  crm::Task<std::vector<crm::TaskResult>> create_tasks(const std::vector<crm::TaskRequest>& tasks) override;
  crm::Task<std::vector<std::string>> ensure_workflows(bool) override {
    co_return make_error(ErrorKind::invalid_input,
                         "Salesforce Flows are deployed as metadata: `sf project deploy start` from the assembled "
                         "plugin (see plugin_manifest/salesforce and installer/ADMIN.md), not by `setup --workflows`");
  }
  crm::Task<void> pull(crm::ObjectKind kind, std::int64_t since_ms, crm::BatchSink sink) override;
  // Users, active and deactivated (one query; a few pages in an org of thousands of users).
  crm::Task<std::vector<crm::Owner>> list_owners() override {
    auto rows = co_await query_all_pages("SELECT Id, Name, Email, IsActive FROM User ORDER BY Id", false);
    if (!rows) co_return rows.error();
    co_return to_owners(*rows);
  }
  crm::Task<crm::WriteResult> write_fields(const std::vector<crm::FieldUpdate>& updates) override;

 private:
  awaitable<Result<void>> authenticate();
  awaitable<Result<Response>> call(Request req);
  awaitable<Result<json::array>> query_all_pages(const std::string& soql, bool tooling);
  awaitable<Result<crm::WriteResult>> bulk_update(const std::vector<crm::FieldUpdate>& updates);
  awaitable<Result<std::vector<std::vector<std::string>>>> bulk_results(std::string path, std::string which);

  boost::asio::any_io_executor ex_;
  std::unique_ptr<transport::HttpsClient> login_, instance_;
  SalesforceOptions opts_;
  transport::Backoff backoff_;
  std::string base_, token_, instance_url_, user_id_;
  crm::ApiUsage usage_;
};

awaitable<Result<void>> SalesforceConnector::authenticate() {
  std::string body;
  if (opts_.auth == "client_credentials") {
    body = client_credentials_body(opts_.client_id, opts_.client_secret.reveal());
  } else {
    std::string aud = opts_.audience;
    if (aud.empty())
      aud = opts_.login_url.find("test.salesforce.com") != std::string::npos ? "https://test.salesforce.com"
                                                                              : "https://login.salesforce.com";
    JwtClaims c{opts_.client_id, opts_.username, aud, SystemClock{}.now_ms() / 1000 + 170};
    auto jwt = sign_jwt(c, opts_.private_key.reveal());
    if (!jwt) co_return jwt.error();
    body = jwt_bearer_body(*jwt);
  }
  Request req{http::verb::post, "/services/oauth2/token", std::move(body), "application/x-www-form-urlencoded"};
  auto r = co_await login_->send(std::move(req));
  ++usage_.calls;
  if (!r) co_return r.error();
  auto t = parse_token_response(r->status, r->body);
  if (!t) co_return t.error();
  token_ = t->access_token;
  log::register_secret(token_);
  // The identity URL ends with the user id (for the permission-set assignment).
  boost::system::error_code ec;
  const auto parsed = json::parse(r->body, ec);
  if (auto* id = !ec && parsed.is_object() ? parsed.as_object().if_contains("id") : nullptr; id && id->is_string()) {
    const std::string url(id->as_string());
    user_id_ = url.substr(url.rfind('/') + 1);
  }
  if (t->instance_url != instance_url_ || !instance_) {
    instance_url_ = t->instance_url;
    auto client = transport::HttpsClient::create(
        ex_, transport::ClientOptions{origin_of(instance_url_), opts_.ca_file, opts_.timeout, 256u << 20, "churnguard"});
    if (!client) co_return client.error();
    instance_ = std::move(*client);
  }
  co_return Result<void>{};
}

// Every data call goes through here: the bearer token, one re-authentication on an expired
// session, Salesforce's own limit signals, and retries of what heals.
awaitable<Result<Response>> SalesforceConnector::call(Request req) {
  bool reauthed = false;
  auto limit_wait = opts_.limit_pause;
  std::chrono::milliseconds waited{0};
  transport::Attempts attempts(backoff_, opts_.max_attempts);
  for (;;) {
    if (token_.empty()) {
      auto a = co_await authenticate();
      if (!a) co_return a.error();
    }
    Request sent = req;
    sent.headers.emplace_back("Authorization", "Bearer " + token_);
    sent.headers.emplace_back("Accept", "application/json");
    auto res = co_await instance_->send(std::move(sent));
    ++usage_.calls;
    if (!res) {
      const bool again = co_await attempts.again_after(res.error(), "salesforce");
      if (!again) co_return res.error();
      ++usage_.retries;
      continue;
    }
    if (auto li = parse_limit_info(res->header("sforce-limit-info"))) usage_.daily_remaining = li->second - li->first;
    const unsigned s = res->status;
    const std::string code = s >= 400 ? error_code(res->body) : std::string();
    if (s == 401 && !reauthed) {
      // Tokens carry no expiry; an expired session is only seen here. Once, then give up.
      log::info("salesforce", "session expired (" + (code.empty() ? std::string("401") : code) + "); re-authenticating");
      token_.clear();
      reauthed = true;
      continue;
    }
    if (s == 401)
      co_return make_error(ErrorKind::auth, "Salesforce refused a fresh session: " + describe_error(s, res->body));
    if (s == 403 && code == "REQUEST_LIMIT_EXCEEDED") {
      ++usage_.rate_limited;
      usage_.daily_remaining = 0;
      if (waited >= opts_.limit_max_wait)
        co_return make_error(ErrorKind::rate_limited, "Salesforce API limit still exceeded after waiting " +
                                                          std::to_string(waited.count() / 1000) +
                                                          " s; the sync resumes from its watermark next run");
      log::info("salesforce", "API request limit exceeded (" + describe_error(s, res->body) + "); pausing " +
                                  std::to_string(limit_wait.count()) + " ms until the rolling window allows");
      co_await transport::sleep_for(limit_wait);
      waited += limit_wait;
      limit_wait = std::min(limit_wait * 2, std::chrono::milliseconds(15 * 60'000));
      continue;
    }
    if (s == 403)
      co_return make_error(ErrorKind::auth, "Salesforce denied access: " + describe_error(s, res->body) +
                                                " (the integration user may lack a permission)");
    if (s == 420 || s == 500 || s == 502 || s == 503 || s == 504) {
      const bool again = co_await attempts.again_after_transient();
      if (!again)
        co_return make_error(ErrorKind::unavailable, "Salesforce " + req.target.substr(0, req.target.find('?')) +
                                                         " kept failing: " + describe_error(s, res->body));
      ++usage_.retries;
      continue;
    }
    co_return res;
  }
}

awaitable<Result<json::array>> SalesforceConnector::query_all_pages(const std::string& soql, bool tooling) {
  json::array out;
  std::string target = base_ + (tooling ? "/tooling/query?q=" : "/query?q=") + url_encode(soql);
  for (;;) {
    Request req{http::verb::get, target};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 200) co_return make_error(ErrorKind::rejected, "Salesforce query: " + describe_error(r->status, r->body));
    auto page = parse_query_page(r->body);
    if (!page) co_return page.error();
    for (auto& rec : page->records) out.push_back(std::move(rec));
    if (!page->next_url) break;
    target = *page->next_url;
  }
  co_return out;
}

crm::Task<void> SalesforceConnector::pull(crm::ObjectKind kind, std::int64_t since_ms, crm::BatchSink sink) {
  const bool contacts_are_customers = opts_.object == "Contact";
  if (kind == crm::ObjectKind::contacts && contacts_are_customers) co_return Result<void>{};
  if (kind == crm::ObjectKind::renewals && opts_.renewal_types.empty()) co_return Result<void>{};
  std::string object, where;
  std::vector<std::string> fields{"Id", "SystemModstamp"};
  bool all_rows = false;  // queryAll: deleted rows too
  const std::string link = contacts_are_customers ? "ContactId" : "AccountId";
  switch (kind) {
    case crm::ObjectKind::customers: {
      object = opts_.object;
      all_rows = true;
      std::set<std::string> f{"CreatedDate", "IsDeleted", "OwnerId"};
      if (contacts_are_customers) f.insert({"FirstName", "LastName", "Email", "AccountId", "Name"});
      else f.insert("Name");
      for (const auto& x : opts_.fields) f.insert(x);
      for (const auto& c : crm::field_contract) f.insert(std::string(c.salesforce));
      fields.insert(fields.end(), f.begin(), f.end());
      break;
    }
    case crm::ObjectKind::tickets:
      object = "Case";
      fields.insert(fields.end(), {link, "Subject", "Description", "Status", "Priority", "Origin", "IsClosed", "ClosedDate",
                                   "CreatedDate"});
      break;
    case crm::ObjectKind::emails:
      object = "EmailMessage";
      fields.insert(fields.end(), {"Subject", "TextBody", "Incoming", "MessageDate", "FirstOpenedDate", "RelatedToId",
                                   "Parent.AccountId", "CreatedDate"});
      break;
    case crm::ObjectKind::contacts:
      object = "Contact";
      fields.insert(fields.end(), {"AccountId", "Email"});
      break;
    case crm::ObjectKind::comments:
      object = "CaseComment";
      fields.insert(fields.end(), {"ParentId", "Parent." + link, "CommentBody", "IsPublished", "CreatedDate"});
      break;
    case crm::ObjectKind::tasks:
      object = "Task";
      fields.insert(fields.end(), {contacts_are_customers ? "WhoId" : "AccountId", "Subject", "TaskSubtype", "Status",
                                   "CreatedDate"});
      break;
    case crm::ObjectKind::renewals:
      // Every opportunity, its Type checked here: one whose type or stage changes must be seen again.
      object = "Opportunity";
      fields.insert(fields.end(), {link, "Name", "Type", "StageName", "Amount", "CloseDate", "IsClosed", "IsWon",
                                   "CreatedDate"});
      break;
  }
  std::string target = base_ + (all_rows ? "/queryAll?q=" : "/query?q=") + url_encode(incremental_soql(object, fields, since_ms, where));
  for (;;) {
    Request req{http::verb::get, target};
    req.headers.emplace_back("Sforce-Query-Options", "batchSize=2000");
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 200)
      co_return make_error(ErrorKind::rejected, "Salesforce " + object + " query: " + describe_error(r->status, r->body));
    auto page = parse_query_page(r->body);
    if (!page) co_return page.error();
    if (page->records.empty()) break;
    crm::PullBatch batch;
    for (const auto& v : page->records) {
      const auto& rec = v.as_object();
      if (field_text(rec, "Id").empty())
        co_return make_error(ErrorKind::bad_response, "Salesforce " + object + " query returned a record without an Id");
      switch (kind) {
        case crm::ObjectKind::customers: {
          auto c = to_customer(rec, "Name");
          if (contacts_are_customers && c.name.empty()) c.name = field_text(rec, "Email");
          batch.watermark_ms = c.modified_ms;
          batch.customers.push_back(std::move(c));
          break;
        }
        case crm::ObjectKind::tickets:
          batch.activities.push_back(to_case(rec, link));
          batch.watermark_ms = batch.activities.back().modified_ms;
          break;
        case crm::ObjectKind::emails:
          batch.activities.push_back(to_email_message(rec));
          batch.watermark_ms = batch.activities.back().modified_ms;
          break;
        case crm::ObjectKind::contacts:
          batch.contacts.push_back(to_contact(rec));
          batch.watermark_ms = batch.contacts.back().modified_ms;
          break;
        case crm::ObjectKind::comments:
          batch.activities.push_back(to_case_comment(rec, link));
          batch.watermark_ms = batch.activities.back().modified_ms;
          break;
        case crm::ObjectKind::tasks:
          batch.activities.push_back(to_task(rec, contacts_are_customers ? "WhoId" : "AccountId"));
          batch.watermark_ms = batch.activities.back().modified_ms;
          break;
        case crm::ObjectKind::renewals: {
          auto a = to_renewal(rec, link);
          batch.watermark_ms = a.modified_ms;
          if (crm::is_renewal_type(field_text(rec, "Type"), opts_.renewal_types)) batch.activities.push_back(std::move(a));
          break;
        }
      }
    }
    if (auto s = sink(std::move(batch)); !s) co_return s.error();
    if (!page->next_url) break;
    target = *page->next_url;
  }
  co_return Result<void>{};
}

crm::Task<std::vector<crm::TaskResult>> SalesforceConnector::create_tasks(const std::vector<crm::TaskRequest>& tasks) {
  std::vector<crm::TaskResult> out;
  const std::string link = opts_.object == "Contact" ? "WhoId" : "WhatId";
  for (std::size_t i = 0; i < tasks.size(); i += collection_limit) {
    const auto end = std::min(tasks.size(), i + collection_limit);
    json::array records;
    for (std::size_t j = i; j < end; ++j) {
      json::object rec{{"attributes", json::object{{"type", "Task"}}}, {link, tasks[j].customer_id},
                       {"Subject", tasks[j].subject.substr(0, 255)}, {"Description", tasks[j].body},
                       {"Priority", "High"}, {"Status", "Not Started"}};
      if (!tasks[j].owner_id.empty()) rec["OwnerId"] = tasks[j].owner_id;  // in that owner's task list
      records.push_back(std::move(rec));
    }
    json::object body{{"allOrNone", false}, {"records", std::move(records)}};
    Request req{http::verb::post, base_ + "/composite/sobjects", json::serialize(body)};
    auto r = co_await call(std::move(req));
    ++usage_.write_calls;
    if (!r) co_return r.error();
    boost::system::error_code ec;
    auto v = json::parse(r->body, ec);
    const bool shaped = r->status == 200 && !ec && v.is_array() && v.as_array().size() == end - i;
    for (std::size_t j = i; j < end; ++j) {
      if (!shaped) {
        out.push_back({tasks[j].key, false, "", describe_error(r->status, r->body)});
        continue;
      }
      const auto& res = v.as_array()[j - i];
      const bool ok = res.is_object() && field_text(res.as_object(), "success") == "true";
      std::string err;
      bool owner = false;
      if (!ok && res.is_object())
        if (auto* errs = res.as_object().if_contains("errors"); errs && errs->is_array() && !errs->as_array().empty() &&
                                                                errs->as_array()[0].is_object()) {
          const auto& e = errs->as_array()[0].as_object();
          const auto code = field_text(e, "statusCode");
          err = code + ": " + field_text(e, "message");
          owner = code == "INACTIVE_OWNER_OR_USER";
          if (auto* fields = e.if_contains("fields"); fields && fields->is_array())
            for (const auto& f : fields->as_array()) owner = owner || (f.is_string() && f.as_string() == "OwnerId");
        }
      out.push_back({tasks[j].key, ok, ok ? field_text(res.as_object(), "id") : "", err, owner});
    }
  }
  co_return out;
}

crm::Task<crm::WriteResult> SalesforceConnector::write_fields(const std::vector<crm::FieldUpdate>& updates) {
  if (updates.empty()) co_return crm::WriteResult{};
  if (updates.size() > collection_limit) {
    auto r = co_await bulk_update(updates);
    co_return r;
  }
  auto body = collection_update_body(opts_.object, updates);
  if (!body) co_return body.error();
  Request req{http::verb::patch, base_ + "/composite/sobjects", json::serialize(*body)};
  auto r = co_await call(std::move(req));
  ++usage_.write_calls;
  if (!r) co_return r.error();
  if (r->status == 200) co_return parse_collection_results(r->body, updates);
  crm::WriteResult out;
  for (const auto& u : updates) out.failed.push_back({u.customer_id, describe_error(r->status, r->body), false});
  co_return out;
}

awaitable<Result<crm::WriteResult>> SalesforceConnector::bulk_update(const std::vector<crm::FieldUpdate>& updates) {
  auto csv = bulk_update_csv(updates);
  if (!csv) co_return csv.error();
  ++usage_.write_calls;  // one job, however many HTTP calls it takes
  json::object job_spec{{"object", opts_.object}, {"operation", "update"}, {"contentType", "CSV"}, {"lineEnding", "LF"}};
  Request create{http::verb::post, base_ + "/jobs/ingest", json::serialize(job_spec)};
  auto c = co_await call(std::move(create));
  if (!c) co_return c.error();
  if (c->status != 200 && c->status != 201)
    co_return make_error(ErrorKind::rejected, "creating a Bulk API job: " + describe_error(c->status, c->body));
  boost::system::error_code ec;
  auto job = json::parse(c->body, ec);
  if (ec || !job.is_object() || !job.as_object().if_contains("id"))
    co_return make_error(ErrorKind::bad_response, "Bulk API job response has no id");
  const std::string id(job.as_object().at("id").as_string());
  const std::string path = base_ + "/jobs/ingest/" + id;
  Request upload{http::verb::put, path + "/batches", std::move(*csv), "text/csv"};
  auto u = co_await call(std::move(upload));
  if (!u) co_return u.error();
  if (u->status != 201) co_return make_error(ErrorKind::rejected, "uploading Bulk API data: " + describe_error(u->status, u->body));
  Request close{http::verb::patch, path, R"({"state":"UploadComplete"})"};
  auto cl = co_await call(std::move(close));
  if (!cl) co_return cl.error();
  if (cl->status != 200) co_return make_error(ErrorKind::rejected, "closing the Bulk API job: " + describe_error(cl->status, cl->body));
  std::string state;
  for (int polls = 0;; ++polls) {
    Request get{http::verb::get, path};
    auto g = co_await call(std::move(get));
    if (!g) co_return g.error();
    auto st = json::parse(g->body, ec);
    if (ec || !st.is_object()) co_return make_error(ErrorKind::bad_response, "Bulk API job status is not JSON");
    state = field_text(st.as_object(), "state");
    if (state == "JobComplete" || state == "Failed" || state == "Aborted") {
      if (state != "JobComplete")
        log::warn("salesforce", "Bulk API job " + id + " ended " + state + ": " + field_text(st.as_object(), "errorMessage"));
      break;
    }
    if (polls > 2000) co_return make_error(ErrorKind::timeout, "Bulk API job " + id + " did not finish");
    co_await transport::sleep_for(opts_.bulk_poll);
  }
  crm::WriteResult out;
  std::set<std::string> pending;
  for (const auto& x : updates) pending.insert(x.customer_id);
  auto ok = co_await bulk_results(path, "successfulResults");
  if (!ok) co_return ok.error();
  for (std::size_t i = 1; i < ok->size(); ++i)
    if (!(*ok)[i].empty() && pending.erase((*ok)[i][0])) out.succeeded.push_back((*ok)[i][0]);
  auto bad = co_await bulk_results(path, "failedResults");
  if (!bad) co_return bad.error();
  for (std::size_t i = 1; i < bad->size(); ++i) {
    const auto& row = (*bad)[i];
    if (row.size() < 2 || !pending.erase(row[0])) continue;
    bool retry = row[1].starts_with("UNABLE_TO_LOCK_ROW");
    out.failed.push_back({row[0], "Salesforce Bulk API: " + row[1], retry});
  }
  // Anything neither succeeded nor failed was not processed (an aborted or failed job): retry later.
  for (const auto& idv : pending) out.failed.push_back({idv, "Salesforce Bulk API job " + id + " ended " + state + " before this row", true});
  Request del{http::verb::delete_, path};
  (void)co_await call(std::move(del));
  co_return out;
}

awaitable<Result<std::vector<std::vector<std::string>>>> SalesforceConnector::bulk_results(std::string path,
                                                                                         std::string which) {
  Request req{http::verb::get, path + "/" + which + "/"};
  auto r = co_await call(std::move(req));
  if (!r) co_return r.error();
  if (r->status != 200)
    co_return make_error(ErrorKind::rejected, "Bulk API " + which + ": " + describe_error(r->status, r->body));
  co_return parse_csv(r->body);
}

crm::Task<std::vector<std::string>> SalesforceConnector::ensure_fields(bool dry_run) {
  std::vector<std::string> changes;
  const auto& defs = churnguard_field_definitions();
  const std::string soql = "SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = '" + opts_.object + "'";
  auto existing_rows = co_await query_all_pages(soql, true);
  if (!existing_rows) co_return existing_rows.error();
  std::set<std::string> existing;
  for (const auto& r : *existing_rows) existing.insert(field_text(r.as_object(), "DeveloperName"));
  for (const auto& f : defs.fields) {
    const std::string dev = f.name.substr(0, f.name.size() - 3);  // DeveloperName has no __c
    if (existing.count(dev)) continue;
    changes.push_back("create field " + opts_.object + "." + f.name);
    if (dry_run) continue;
    json::object body{{"FullName", opts_.object + "." + f.name}, {"Metadata", f.metadata}};
    Request req{http::verb::post, base_ + "/tooling/sobjects/CustomField", json::serialize(body)};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 201 && error_code(r->body) != "DUPLICATE_DEVELOPER_NAME")
      co_return make_error(ErrorKind::rejected, "creating field " + f.name + ": " + describe_error(r->status, r->body));
  }
  // Field-level security: a permission set with read/edit on every field, assigned to us.
  const std::string ps_name(defs.permission_set.at("Name").as_string());
  auto ps = co_await query_all_pages("SELECT Id FROM PermissionSet WHERE Name = '" + ps_name + "'", false);
  if (!ps) co_return ps.error();
  std::string ps_id = ps->empty() ? std::string() : field_text(ps->front().as_object(), "Id");
  if (ps_id.empty()) {
    changes.push_back("create permission set " + ps_name);
    if (dry_run) {
      for (const auto& f : defs.fields) changes.push_back("grant read/edit on " + opts_.object + "." + f.name);
      changes.push_back("assign permission set " + ps_name + " to the integration user");
      co_return changes;
    }
    Request req{http::verb::post, base_ + "/sobjects/PermissionSet", json::serialize(defs.permission_set)};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    if (r->status != 201) co_return make_error(ErrorKind::rejected, "creating the permission set: " + describe_error(r->status, r->body));
    boost::system::error_code ec;
    const auto created = json::parse(r->body, ec);
    if (!ec && created.is_object()) ps_id = field_text(created.as_object(), "id");
    if (ps_id.empty()) co_return make_error(ErrorKind::bad_response, "the permission set was created but no id came back");
  }
  auto perms = co_await query_all_pages("SELECT Field FROM FieldPermissions WHERE ParentId = '" + ps_id + "'", false);
  if (!perms) co_return perms.error();
  std::set<std::string> granted;
  for (const auto& p : *perms) granted.insert(field_text(p.as_object(), "Field"));
  json::array grants;
  for (const auto& f : defs.fields) {
    const std::string full = opts_.object + "." + f.name;
    if (granted.count(full)) continue;
    changes.push_back("grant read/edit on " + full);
    grants.push_back(json::object{{"attributes", json::object{{"type", "FieldPermissions"}}}, {"ParentId", ps_id},
                                  {"SobjectType", opts_.object}, {"Field", full}, {"PermissionsRead", true},
                                  {"PermissionsEdit", true}});
  }
  if (!grants.empty() && !dry_run) {
    json::object body{{"allOrNone", true}, {"records", std::move(grants)}};
    Request req{http::verb::post, base_ + "/composite/sobjects", json::serialize(body)};
    auto r = co_await call(std::move(req));
    if (!r) co_return r.error();
    boost::system::error_code pec;
    auto res = json::parse(r->body, pec);
    bool all_ok = r->status == 200 && res.is_array();
    if (all_ok)
      for (const auto& x : res.as_array()) all_ok = all_ok && x.is_object() && field_text(x.as_object(), "success") == "true";
    if (!all_ok) co_return make_error(ErrorKind::rejected, "granting field permissions: " + describe_error(r->status, r->body));
  }
  if (!user_id_.empty()) {
    auto assigned = co_await query_all_pages("SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = '" + ps_id +
                                                 "' AND AssigneeId = '" + user_id_ + "'",
                                             false);
    if (!assigned) co_return assigned.error();
    if (assigned->empty()) {
      changes.push_back("assign permission set " + ps_name + " to the integration user");
      if (!dry_run) {
        json::object body{{"PermissionSetId", ps_id}, {"AssigneeId", user_id_}};
        Request req{http::verb::post, base_ + "/sobjects/PermissionSetAssignment", json::serialize(body)};
        auto r = co_await call(std::move(req));
        if (!r) co_return r.error();
        if (r->status != 201)
          co_return make_error(ErrorKind::rejected, "assigning the permission set: " + describe_error(r->status, r->body));
      }
    }
  }
  co_return changes;
}

}  // namespace

std::unique_ptr<crm::CrmConnector> make_salesforce_connector(boost::asio::any_io_executor ex, SalesforceOptions opts,
                                                             Result<void>* init_error) {
  auto login = transport::HttpsClient::create(
      ex, transport::ClientOptions{origin_of(opts.login_url), opts.ca_file, opts.timeout, 1u << 20, "churnguard"});
  if (!login) {
    if (init_error) *init_error = login.error();
    return nullptr;
  }
  return std::make_unique<SalesforceConnector>(std::move(ex), std::move(*login), std::move(opts));
}

}  // namespace cg::salesforce
