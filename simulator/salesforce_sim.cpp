#include "simulator/salesforce_sim.hpp"

#include "connectors/salesforce/auth.hpp"
#include "connectors/salesforce/mapping.hpp"
#include "connectors/transport/pacing.hpp"
#include "daemon/core/clock.hpp"
#include "simulator/faults.hpp"
#include "simulator/query.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <tuple>
#include <utility>
#include <variant>

namespace cg::sim {
namespace json = boost::json;
using http::Request;
using http::Response;

namespace {

const std::set<std::string> kVersions{"58.0", "59.0", "60.0", "61.0", "62.0", "63.0", "64.0",
                                      "65.0", "66.0", "67.0", "68.0"};

Response sf_error(const Request& req, unsigned status, const std::string& code, const std::string& message,
                  const std::vector<std::string>& fields = {}) {
  json::object e{{"message", message}, {"errorCode", code}};
  if (!fields.empty()) e["fields"] = json::value_from(fields);
  return http::make_response(req, status, json::serialize(json::array{e}));
}

Response oauth_error(const Request& req, unsigned status, const std::string& error, const std::string& description) {
  return http::make_response(req, status, json::serialize(json::object{{"error", error}, {"error_description", description}}));
}

std::string sf_datetime(std::int64_t ms) {  // 2026-11-24T14:02:11.000+0000
  auto s = format_iso8601(ms);
  return s.substr(0, s.size() - 1) + "+0000";
}


std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// --- SOQL: the subset ChurnGuard sends, parsed strictly -------------------------------------

struct Cond {
  std::string field, op, literal;
  bool quoted = false;
};
struct Soql {
  std::vector<std::string> fields;
  std::string object;
  std::vector<Cond> where;
  std::vector<std::string> order;
};

std::optional<std::vector<std::pair<std::string, bool>>> tokenize(const std::string& q) {
  std::vector<std::pair<std::string, bool>> t;  // text, quoted
  for (std::size_t i = 0; i < q.size();) {
    char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'') {
      std::string s;
      for (++i; i < q.size() && q[i] != '\''; ++i) {
        if (q[i] == '\\' && i + 1 < q.size()) ++i;
        s += q[i];
      }
      if (i >= q.size()) return std::nullopt;
      ++i;
      t.emplace_back(s, true);
    } else if (c == ',' || c == '(' || c == ')') {
      t.emplace_back(std::string(1, c), false);
      ++i;
    } else if (c == '>' || c == '<' || c == '!' || c == '=') {
      std::string op(1, c);
      if (i + 1 < q.size() && q[i + 1] == '=') op += '=';
      if (op == "!") return std::nullopt;
      t.emplace_back(op, false);
      i += op.size();
    } else {
      std::size_t j = i;
      while (j < q.size() && (std::isalnum(static_cast<unsigned char>(q[j])) || std::strchr("_.:+-", q[j]))) ++j;
      if (j == i) return std::nullopt;
      t.emplace_back(q.substr(i, j - i), false);
      i = j;
    }
  }
  return t;
}

std::variant<Soql, std::string> parse_soql(const std::string& q) {
  auto toks = tokenize(q);
  if (!toks) return std::string("unexpected token in '" + q.substr(0, 60) + "'");
  auto& t = *toks;
  std::size_t i = 0;
  auto kw = [&](const char* k) { return i < t.size() && !t[i].second && lower(t[i].first) == k; };
  auto bad = [&](const std::string& what) -> std::variant<Soql, std::string> {
    return std::string("unexpected token: '" + (i < t.size() ? t[i].first : std::string("<end>")) + "' (" + what + ")");
  };
  Soql s;
  if (!kw("select")) return bad("expected SELECT");
  ++i;
  for (;;) {
    if (i >= t.size() || t[i].second || t[i].first == ",") return bad("expected a field");
    s.fields.push_back(t[i++].first);
    if (i < t.size() && t[i].first == ",") { ++i; continue; }
    break;
  }
  if (!kw("from")) return bad("expected FROM");
  ++i;
  if (i >= t.size() || t[i].second) return bad("expected an object");
  s.object = t[i++].first;
  if (kw("where")) {
    ++i;
    for (;;) {
      if (i + 2 >= t.size()) return bad("incomplete condition");
      Cond c{t[i].first, t[i + 1].first, t[i + 2].first, t[i + 2].second};
      if (t[i].second || !(c.op == "=" || c.op == "!=" || c.op == ">" || c.op == ">=" || c.op == "<" || c.op == "<="))
        return bad("expected field operator value");
      s.where.push_back(c);
      i += 3;
      if (kw("and")) { ++i; continue; }
      break;
    }
  }
  if (kw("order")) {
    ++i;
    if (!kw("by")) return bad("expected BY");
    ++i;
    for (;;) {
      if (i >= t.size() || t[i].second) return bad("expected a field to order by");
      s.order.push_back(t[i++].first);
      if (kw("asc")) ++i;
      if (i < t.size() && t[i].first == ",") { ++i; continue; }
      break;
    }
  }
  if (i != t.size()) return bad("unexpected trailing input");
  return s;
}

std::string prefix_of(const std::string& object) {
  static const std::map<std::string, std::string> p{
      {"Account", "001"}, {"Contact", "003"}, {"Case", "500"}, {"EmailMessage", "02s"}, {"CaseComment", "00a"}, {"PermissionSet", "0PS"},
      {"FieldPermissions", "01k"}, {"PermissionSetAssignment", "0Pa"}, {"CustomField", "00N"}, {"Task", "00T"}, {"User", "005"},
      {"Opportunity", "006"}};
  auto it = p.find(object);
  return it == p.end() ? "a00" : it->second;
}

}  // namespace

SalesforceSim::SalesforceSim(SalesforceSimOptions opts) : opts_(std::move(opts)) {
  fault_rng_.seed(opts_.fault_seed);
  using F = FieldDef;
  auto std_fields = [](std::map<std::string, F> extra) {
    extra.emplace("Id", F{"Id"});
    extra.emplace("CreatedDate", F{"DateTime"});
    extra.emplace("SystemModstamp", F{"DateTime"});
    extra.emplace("LastModifiedDate", F{"DateTime"});
    extra.emplace("IsDeleted", F{"Checkbox"});
    return extra;
  };
  schema_["Account"] = std_fields({{"Name", F{"Text", 255}}, {"OwnerId", F{"Reference"}}, {"Industry", F{"Text", 255}}});
  schema_["Contact"] = std_fields({{"FirstName", F{"Text", 40}}, {"LastName", F{"Text", 80}}, {"Name", F{"Text", 121}},
                                   {"Email", F{"Text", 80}}, {"AccountId", F{"Reference"}}, {"OwnerId", F{"Reference"}}});
  schema_["User"] = std_fields({{"Name", F{"Text", 121}}, {"Email", F{"Text", 80}}, {"Username", F{"Text", 80}},
                                {"IsActive", F{"Checkbox"}}});
  schema_["Case"] = std_fields({{"AccountId", F{"Reference"}}, {"ContactId", F{"Reference"}}, {"Subject", F{"Text", 255}},
                                {"Description", F{"LongTextArea", 32000}}, {"Status", F{"Text", 40}},
                                {"Priority", F{"Text", 40}}, {"Origin", F{"Text", 40}}, {"IsClosed", F{"Checkbox"}},
                                {"ClosedDate", F{"DateTime"}}});
  schema_["EmailMessage"] = std_fields({{"ParentId", F{"Reference"}}, {"RelatedToId", F{"Reference"}},
                                        {"Subject", F{"Text", 3000}}, {"TextBody", F{"LongTextArea", 32000}},
                                        {"Incoming", F{"Checkbox"}}, {"MessageDate", F{"DateTime"}},
                                        {"FirstOpenedDate", F{"DateTime"}}});
  schema_["CaseComment"] = std_fields({{"ParentId", F{"Reference"}}, {"CommentBody", F{"LongTextArea", 4000}},
                                       {"IsPublished", F{"Checkbox"}}});
  schema_["Task"] = std_fields({{"WhatId", F{"Reference"}}, {"WhoId", F{"Reference"}}, {"AccountId", F{"Reference"}},
                                {"Subject", F{"Text", 255}}, {"TaskSubtype", F{"Text", 40}}, {"Status", F{"Text", 40}},
                                {"Description", F{"LongTextArea", 32000}},
                                {"Priority", F{"Text", 40}}, {"OwnerId", F{"Reference"}}});
  // Type's values are the org's: "Renewal" is the one orgs commonly add to the defaults.
  schema_["Opportunity"] = std_fields(
      {{"AccountId", F{"Reference"}}, {"ContactId", F{"Reference"}}, {"Name", F{"Text", 120}},
       {"StageName", F{"Picklist", 255, {"Prospecting", "Qualification", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"}}},
       {"Type", F{"Picklist", 255, {"New Customer", "Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "Renewal"}}},
       {"Amount", F{"Number"}}, {"CloseDate", F{"Date"}}, {"IsClosed", F{"Checkbox"}}, {"IsWon", F{"Checkbox"}}});
  schema_["PermissionSet"] = std_fields({{"Name", F{"Text", 80}}, {"Label", F{"Text", 80}}, {"Description", F{"Text", 255}}});
  schema_["FieldPermissions"] = std_fields({{"ParentId", F{"Reference"}}, {"SobjectType", F{"Text", 80}},
                                            {"Field", F{"Text", 255}}, {"PermissionsRead", F{"Checkbox"}},
                                            {"PermissionsEdit", F{"Checkbox"}}});
  schema_["PermissionSetAssignment"] = std_fields({{"PermissionSetId", F{"Reference"}}, {"AssigneeId", F{"Reference"}}});
  schema_["CustomField"] = std_fields({{"DeveloperName", F{"Text", 40}}, {"TableEnumOrId", F{"Text", 40}},
                                       {"FullName", F{"Text", 255}}});
  // The integration user: owns what the API creates without an owner, and what the seed leaves unowned.
  Record me;
  me.f["Name"] = "ChurnGuard Integration";
  me.f["Username"] = me.f["Email"] = json::value(opts_.username);
  me.f["IsActive"] = true;
  objects_["User"][user_id_] = std::move(me);
  next_id_ = 2;  // past user_id_
}

void SalesforceSim::set_instance_url(std::string url) {
  std::lock_guard lock(mutex_);
  instance_url_ = std::move(url);
}
void SalesforceSim::add_fault(SfFault f) {
  std::lock_guard lock(mutex_);
  faults_.push_back(std::move(f));
}
std::size_t SalesforceSim::faults_left() const {
  std::lock_guard lock(mutex_);
  return faults_.size();
}
void SalesforceSim::lock_next_rows(int n) {
  std::lock_guard lock(mutex_);
  lock_rows_ += n;
}
void SalesforceSim::reject_record(const std::string& id) {
  std::lock_guard lock(mutex_);
  rejected_.insert(id);
}
void SalesforceSim::expire_sessions() {
  std::lock_guard lock(mutex_);
  tokens_.clear();
}
std::map<std::string, std::int64_t> SalesforceSim::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}
std::int64_t SalesforceSim::total_calls() const {
  std::lock_guard lock(mutex_);
  return total_;
}
std::int64_t SalesforceSim::records_updated() const {
  std::lock_guard lock(mutex_);
  return updated_;
}
std::int64_t SalesforceSim::bulk_jobs() const {
  std::lock_guard lock(mutex_);
  return bulk_jobs_;
}
std::int64_t SalesforceSim::tokens_issued() const {
  std::lock_guard lock(mutex_);
  return tokens_issued_;
}
std::size_t SalesforceSim::count(const std::string& object) const {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(object);
  return it == objects_.end() ? 0 : it->second.size();
}
std::string SalesforceSim::nth_id(const std::string& object, std::size_t n) const {
  std::lock_guard lock(mutex_);
  auto& m = objects_.at(object);
  auto it = m.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(std::min(n, m.size() - 1)));
  return it->first;
}
bool SalesforceSim::field_exists(const std::string& object, const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto o = schema_.find(object);
  return o != schema_.end() && o->second.count(name);
}

std::vector<std::string> SalesforceSim::ids(const std::string& object) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  if (auto o = objects_.find(object); o != objects_.end())
    for (const auto& [id, _] : o->second) out.push_back(id);
  return out;
}

std::optional<std::string> SalesforceSim::field(const std::string& object, const std::string& id,
                                                const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto o = objects_.find(object);
  if (o == objects_.end()) return std::nullopt;
  auto r = o->second.find(id);
  if (r == o->second.end()) return std::nullopt;
  auto f = r->second.f.find(name);
  if (f == r->second.f.end() || f->second.is_null()) return std::nullopt;
  json::object tmp{{name, f->second}};
  return salesforce::field_text(tmp, name);
}

std::int64_t SalesforceSim::tick() {
  // Server time, as Salesforce stamps it: records saved in the same millisecond share a stamp
  // (clients page by SystemModstamp then Id). Never behind the last stamp, never ahead of the clock.
  last_tick_ = std::max(last_tick_, SystemClock{}.now_ms());
  return last_tick_;
}

std::string SalesforceSim::new_id(const std::string& object) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%012lldAAA", prefix_of(object).c_str(), static_cast<long long>(next_id_++));
  return buf;
}

std::string SalesforceSim::create(const std::string& object, std::map<std::string, json::value> fields) {
  std::lock_guard lock(mutex_);
  std::string id = new_id(object);
  Record r;
  r.f = std::move(fields);
  r.created_ms = r.modstamp_ms = tick();
  objects_[object][id] = std::move(r);
  return id;
}

void SalesforceSim::remove(const std::string& object, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& r = objects_.at(object).at(id);
  r.deleted = true;
  r.modstamp_ms = tick();
}

Result<void> SalesforceSim::load_seed(const std::string& text, std::int64_t now) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::invalid_input, "seed is not a JSON object: " + ec.message());
  std::lock_guard lock(mutex_);
  try {
    auto& o = v.as_object();
    // Business properties become readable custom fields: tenure_months -> Tenure_Months__c.
    auto api_name = [](const std::string& prop) {
      std::string out;
      bool up = true;
      for (char c : prop) {
        if (c == '_') { out += '_'; up = true; continue; }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
      }
      return out + "__c";
    };
    std::map<std::string, std::string> field_of;  // property -> API name
    if (auto* p = o.if_contains("properties"); p && p->as_object().if_contains("companies"))
      for (auto& d : p->as_object().at("companies").as_array()) {
        std::string name(d.at("name").as_string()), type(d.at("type").as_string());
        auto api = api_name(name);
        schema_["Account"][api] = FieldDef{type == "number" ? "Number" : "Text", type == "number" ? 0 : 255, {}, true};
        fls_.insert("Account." + api);
        field_of[name] = api;
      }
    auto at = [&](const json::object& r, const char* key) -> std::optional<std::int64_t> {
      auto* a = r.if_contains(key);
      if (!a || a->is_null()) return std::nullopt;
      return now - static_cast<std::int64_t>(a->to_number<double>() * ms_per_day);
    };
    auto prop = [](const json::object& r, const char* k) {
      auto& p = r.at("properties").as_object();
      auto* x = p.if_contains(k);
      return x && x->is_string() ? std::string(x->as_string()) : std::string();
    };
    std::map<std::string, std::string> user_of;  // seed owner id -> User Id
    if (auto* owners = o.if_contains("owners"))
      for (auto& w : owners->as_array()) {
        auto& wo = w.as_object();
        Record r;
        r.f["Name"] = std::string(wo.at("firstName").as_string()) + " " + std::string(wo.at("lastName").as_string());
        r.f["Email"] = r.f["Username"] = wo.at("email");
        r.f["IsActive"] = !wo.if_contains("active") || wo.at("active").as_bool();
        r.created_ms = r.modstamp_ms = now - 400 * ms_per_day;
        auto id = new_id("User");
        user_of[std::string(wo.at("id").as_string())] = id;
        objects_["User"][id] = std::move(r);
      }
    std::map<std::string, std::string> account_of;  // seed company id -> Account Id
    for (auto& c : o.at("companies").as_array()) {
      auto& co = c.as_object();
      Record r;
      r.f["Name"] = prop(co, "name");
      auto* owner = co.if_contains("owner");
      auto user = owner ? user_of.find(std::string(owner->as_string())) : user_of.end();
      r.f["OwnerId"] = user == user_of.end() ? user_id_ : user->second;
      for (auto& [k, val] : co.at("properties").as_object()) {
        auto it = field_of.find(std::string(k));
        if (it == field_of.end() || !val.is_string()) continue;
        std::string s(val.as_string());
        if (schema_["Account"][it->second].type == "Number") {
          char* end = nullptr;
          double d = std::strtod(s.c_str(), &end);
          r.f[it->second] = s.empty() || *end ? json::value(nullptr) : json::value(d);
        } else {
          r.f[it->second] = s;
        }
      }
      r.created_ms = at(co, "created_days_ago").value_or(now - 400 * ms_per_day);
      r.modstamp_ms = std::max(r.created_ms, at(co, "modified_days_ago").value_or(now - ms_per_day));
      auto id = new_id("Account");
      account_of[std::string(co.at("id").as_string())] = id;
      objects_["Account"][id] = std::move(r);
    }
    for (auto& t : o.at("tickets").as_array()) {
      auto& to = t.as_object();
      Record r;
      auto created = at(to, "created_days_ago").value_or(now);
      auto closed = at(to, "closed_days_ago");
      r.f["Subject"] = prop(to, "subject");
      r.f["Description"] = prop(to, "content");
      auto pr = prop(to, "hs_ticket_priority");
      r.f["Priority"] = pr == "HIGH" || pr == "URGENT" ? "High" : pr == "LOW" ? "Low" : "Medium";
      r.f["Status"] = closed ? "Closed" : "New";
      r.f["IsClosed"] = closed.has_value();
      r.f["ClosedDate"] = closed ? json::value(sf_datetime(*closed)) : json::value(nullptr);
      r.f["Origin"] = "Email";
      if (auto* c = to.if_contains("company"); c && account_of.count(std::string(c->as_string())))
        r.f["AccountId"] = account_of[std::string(c->as_string())];
      r.created_ms = created;
      r.modstamp_ms = std::max(created, closed.value_or(created));
      objects_["Case"][new_id("Case")] = std::move(r);
    }
    if (auto* emails = o.if_contains("emails"))
      for (auto& e : emails->as_array()) {
        auto& eo = e.as_object();
        Record r;
        auto created = at(eo, "created_days_ago").value_or(now);
        bool incoming = prop(eo, "hs_email_direction") == "INCOMING_EMAIL";
        r.f["Incoming"] = incoming;
        r.f["Subject"] = prop(eo, "hs_email_subject");
        r.f["TextBody"] = prop(eo, "hs_email_text");
        r.f["MessageDate"] = sf_datetime(created);
        auto opens = prop(eo, "hs_email_open_count");
        r.f["FirstOpenedDate"] = !incoming && !opens.empty() && opens != "0" ? json::value(sf_datetime(created + 3600'000))
                                                                           : json::value(nullptr);
        if (auto* c = eo.if_contains("company"); c && account_of.count(std::string(c->as_string())))
          r.f["RelatedToId"] = account_of[std::string(c->as_string())];
        r.created_ms = r.modstamp_ms = created;
        objects_["EmailMessage"][new_id("EmailMessage")] = std::move(r);
      }
    // Deals in the HubSpot seed's shape become opportunities: existingbusiness -> Type Renewal.
    if (auto* deals = o.if_contains("deals"))
      for (auto& d : deals->as_array()) {
        auto& dO = d.as_object();
        Record r;
        const auto stage = prop(dO, "dealstage");
        const auto close = at(dO, "closed_days_ago").value_or(now);
        r.f["Name"] = prop(dO, "dealname");
        r.f["Type"] = prop(dO, "dealtype") == "existingbusiness" ? "Renewal" : "New Customer";
        r.f["StageName"] = stage == "closedwon" ? "Closed Won" : stage == "closedlost" ? "Closed Lost" : "Proposal/Price Quote";
        r.f["IsClosed"] = stage == "closedwon" || stage == "closedlost";
        r.f["IsWon"] = stage == "closedwon";
        r.f["CloseDate"] = sf_datetime(close).substr(0, 10);
        if (auto amount = prop(dO, "amount"); !amount.empty()) r.f["Amount"] = std::strtod(amount.c_str(), nullptr);
        if (auto* c = dO.if_contains("company"); c && account_of.count(std::string(c->as_string())))
          r.f["AccountId"] = account_of[std::string(c->as_string())];
        r.created_ms = at(dO, "created_days_ago").value_or(now);
        r.modstamp_ms = std::max(r.created_ms, std::min(close, now));
        objects_["Opportunity"][new_id("Opportunity")] = std::move(r);
      }
    if (auto* contacts = o.if_contains("contacts"))
      for (auto& c : contacts->as_array()) {
        auto& co = c.as_object();
        Record r;
        r.f["Email"] = prop(co, "email");
        r.f["LastName"] = prop(co, "email").substr(0, prop(co, "email").find('@'));
        r.f["OwnerId"] = user_id_;
        if (auto a = account_of.find(prop(co, "associatedcompanyid")); a != account_of.end()) {
          r.f["AccountId"] = a->second;
          r.f["OwnerId"] = objects_["Account"][a->second].f["OwnerId"];
        }
        r.created_ms = at(co, "created_days_ago").value_or(now);
        r.modstamp_ms = std::max(r.created_ms, at(co, "modified_days_ago").value_or(r.created_ms));
        objects_["Contact"][new_id("Contact")] = std::move(r);
      }
  } catch (const std::exception& e) {
    return make_error(ErrorKind::invalid_input, std::string("seed is malformed: ") + e.what());
  }
  return {};
}

// ----------------------------------------------------------------------------------------------

boost::asio::awaitable<Response> SalesforceSim::handle(Request req) {
  std::string target(req.target());
  auto q = target.find('?');
  std::string path = target.substr(0, q), query = q == std::string::npos ? "" : target.substr(q + 1);
  std::unique_lock lock(mutex_);
  ++total_;
  const auto wire = take_fault(faults_, path, [](const SfFault& f) { return f.delay_ms > 0 || f.cut; });
  if (wire && wire->delay_ms > 0) {
    lock.unlock();
    const std::chrono::milliseconds late(wire->delay_ms);  // named: GCC 12 coroutine temporaries
    co_await transport::sleep_for(late);
    lock.lock();
  }
  auto res = route(req, path, query);
  if (wire && wire->cut) {
    // Announce more body than is sent, then close: the client sees the connection end mid-body.
    res.content_length(res.body().size() + 4096);
    res.keep_alive(false);
  }
  co_return res;
}

Response SalesforceSim::with_limits(const Request& req, Response res) const {
  (void)req;
  res.set("Sforce-Limit-Info", "api-usage=" + std::to_string(usage_.size()) + "/" + std::to_string(opts_.daily_limit));
  return res;
}

Response SalesforceSim::route(const Request& req, const std::string& path, const std::string& query) {
  using boost::beast::http::verb;
  if (path == "/services/oauth2/token" && req.method() == verb::post) return token(req);
  if (path == "/services/data" || path == "/services/data/") {
    json::array versions;
    for (const auto& v : kVersions)
      versions.push_back(json::object{{"label", "v" + v}, {"url", "/services/data/v" + v}, {"version", v}});
    return http::make_response(req, 200, json::serialize(versions));
  }
  if (auto f = take_fault(faults_, path, [](const SfFault& x) { return x.delay_ms <= 0 && !x.cut; }))
    return sf_error(req, f->status, f->error_code, "simulated failure");
  const std::string prefix = "/services/data/v";
  if (!path.starts_with(prefix)) return sf_error(req, 404, "NOT_FOUND", "The requested resource does not exist");
  auto slash = path.find('/', prefix.size());
  std::string version = path.substr(prefix.size(), slash == std::string::npos ? std::string::npos : slash - prefix.size());
  if (!kVersions.count(version)) return sf_error(req, 404, "NOT_FOUND", "The requested resource does not exist");
  std::string rest = slash == std::string::npos ? "" : path.substr(slash + 1);

  // Session.
  std::string auth(req[boost::beast::http::field::authorization]);
  auto tok = auth.starts_with("Bearer ") ? tokens_.find(auth.substr(7)) : tokens_.end();
  if (tok == tokens_.end()) return sf_error(req, 401, "INVALID_SESSION_ID", "Session expired or invalid");
  if (opts_.session_calls > 0 && tok->second >= opts_.session_calls) {
    tokens_.erase(tok);
    return sf_error(req, 401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  ++tok->second;
  // The rolling allocation.
  const auto now = SystemClock{}.now_ms();
  while (!usage_.empty() && usage_.front() <= now - opts_.limit_window_ms) usage_.pop_front();
  if (static_cast<std::int64_t>(usage_.size()) >= opts_.daily_limit)
    return with_limits(req, sf_error(req, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
  usage_.push_back(now);

  if (opts_.fault_rate > 0 && std::uniform_real_distribution<double>(0, 1)(fault_rng_) < opts_.fault_rate) {
    ++random_faults_;
    return with_limits(req, sf_error(req, 503, "SERVER_UNAVAILABLE", "simulated transient failure"));
  }
  std::string key = std::string(req.method_string()) + " ";
  auto count_as = [&](const std::string& k) { ++calls_[key + k]; };
  Response res;
  if (rest == "query" || rest == "queryAll" || rest == "tooling/query") {
    count_as(rest);
    const auto params = sim::parse_params(query);
    res = req.method() != verb::get ? sf_error(req, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed")
          : !params ? sf_error(req, 400, "MALFORMED_QUERY", "invalid percent-encoding in the query string")
                    : this->query(req, sim::param(*params, "q"), rest == "queryAll", rest == "tooling/query");
  } else if (rest.starts_with("query/") || rest.starts_with("queryAll/")) {
    count_as(rest.substr(0, rest.find('/')) + "/<locator>");
    res = page(req, rest.substr(rest.find('/') + 1));
  } else if (rest == "limits") {
    count_as(rest);
    res = limits(req);
  } else if (rest == "composite/sobjects") {
    count_as(rest);
    res = req.method() == verb::patch  ? collections(req, false)
          : req.method() == verb::post ? collections(req, true)
                                       : sf_error(req, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed");
  } else if (rest == "tooling/sobjects/CustomField" && req.method() == verb::post) {
    count_as(rest);
    res = tooling_create_field(req);
  } else if (rest.starts_with("sobjects/") && req.method() == verb::post && rest.find('/', 9) == std::string::npos) {
    count_as(rest);
    res = create_one(req, rest.substr(9));
  } else if (rest.starts_with("jobs/ingest")) {
    count_as("jobs/ingest");
    res = bulk(req, rest.substr(11));
  } else {
    res = sf_error(req, 404, "NOT_FOUND", "The requested resource does not exist");
  }
  return with_limits(req, std::move(res));
}

Response SalesforceSim::token(const Request& req) {
  if (req[boost::beast::http::field::content_type].find("application/x-www-form-urlencoded") == std::string::npos)
    return oauth_error(req, 400, "invalid_request", "unsupported content type");
  const auto body = sim::parse_params(req.body());
  if (!body) return oauth_error(req, 400, "invalid_request", "malformed form body");
  std::map<std::string, std::string> f(body->begin(), body->end());
  const auto now = SystemClock{}.now_ms();
  json::object ok{{"scope", "api"}, {"instance_url", instance_url_}, {"token_type", "Bearer"},
                  {"id", "https://login.salesforce.com/id/" + org_id_ + "/" + user_id_}};
  if (f["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    auto claims = salesforce::verify_jwt(f["assertion"], opts_.certificate_pem);
    if (!claims) return oauth_error(req, 400, "invalid_grant", "invalid assertion");
    if (claims->iss != opts_.client_id) return oauth_error(req, 400, "invalid_client_id", "client identifier invalid");
    if (claims->aud != "https://login.salesforce.com" && claims->aud != "https://test.salesforce.com")
      return oauth_error(req, 400, "invalid_grant", "audience is invalid");
    if (claims->exp_s * 1000 <= now || claims->exp_s * 1000 > now + 185'000)
      return oauth_error(req, 400, "invalid_grant", "invalid assertion: exp must be in the next 3 minutes");
    if (claims->sub != opts_.username) return oauth_error(req, 400, "invalid_grant", "user hasn't approved this consumer");
  } else if (f["grant_type"] == "client_credentials") {
    std::string host(req[boost::beast::http::field::host]);
    if (host.starts_with("login.salesforce.com") || host.starts_with("test.salesforce.com"))
      return oauth_error(req, 400, "invalid_grant", "request not supported on this domain");
    if (opts_.client_secret.empty()) return oauth_error(req, 400, "invalid_grant", "no client credentials user enabled");
    if (f["client_id"] != opts_.client_id || f["client_secret"] != opts_.client_secret)
      return oauth_error(req, 400, "invalid_client", "invalid client credentials");
    ok["issued_at"] = std::to_string(now);
    ok["signature"] = "c2lt";
    ok["token_format"] = "opaque";
  } else {
    return oauth_error(req, 400, "unsupported_grant_type", "grant type not supported");
  }
  static std::mt19937_64 rng{std::random_device{}()};
  std::string t = org_id_.substr(0, 15) + "!AQ8AQsim" + std::to_string(rng());
  tokens_[t] = 0;
  ++tokens_issued_;
  ok["access_token"] = t;
  return http::make_response(req, 200, json::serialize(ok));
}

std::optional<std::string> SalesforceSim::readable(const std::string& object, const std::string& field) const {
  auto dot = field.find('.');
  if (dot != std::string::npos) {  // Parent.AccountId: the parent's field through its reference
    std::string rel = field.substr(0, dot), target = field.substr(dot + 1);
    if (!((object == "EmailMessage" || object == "CaseComment") && rel == "Parent") && !(rel == "Account"))
      return "Didn't understand relationship '" + rel + "' in field path.";
    std::string parent = rel == "Parent" ? "Case" : "Account";
    return readable(parent, target);
  }
  auto o = schema_.find(object);
  if (o == schema_.end()) return "sObject type '" + object + "' is not supported.";
  auto f = o->second.find(field);
  if (f == o->second.end() || (f->second.custom && !fls_.count(object + "." + field)))
    return "No such column '" + field + "' on entity '" + object + "'. If you are attempting to use a custom field, be sure "
           "to append the '__c' after the custom field name.";
  return std::nullopt;
}

json::object SalesforceSim::record_json(const std::string& object, const std::string& id, const Record& r,
                                        const std::vector<std::string>& fields) const {
  json::object o{{"attributes", json::object{{"type", object}, {"url", "/services/data/v62.0/sobjects/" + object + "/" + id}}}};
  for (const auto& f : fields) {
    if (f == "Id") o["Id"] = id;
    else if (f == "CreatedDate") o[f] = sf_datetime(r.created_ms);
    else if (f == "SystemModstamp" || f == "LastModifiedDate") o[f] = sf_datetime(r.modstamp_ms);
    else if (f == "IsDeleted") o[f] = r.deleted;
    else if (auto dot = f.find('.'); dot != std::string::npos) {
      std::string rel = f.substr(0, dot), target = f.substr(dot + 1);
      auto ref = r.f.find(rel + "Id");
      std::string parent_type = rel == "Parent" ? "Case" : "Account";
      const Record* p = nullptr;
      if (ref != r.f.end() && ref->second.is_string())
        if (auto po = objects_.find(parent_type); po != objects_.end())
          if (auto pr = po->second.find(std::string(ref->second.as_string())); pr != po->second.end()) p = &pr->second;
      if (!p) {
        o[rel] = nullptr;
      } else {
        auto nested = record_json(parent_type, std::string(ref->second.as_string()), *p, {target});
        o[rel] = std::move(nested);
      }
    } else {
      auto it = r.f.find(f);
      o[f] = it == r.f.end() ? json::value(nullptr) : it->second;
    }
  }
  return o;
}

Response SalesforceSim::query(const Request& req, const std::string& soql, bool all, bool tooling) {
  if (soql.empty()) return sf_error(req, 400, "MALFORMED_QUERY", "A query string has to be specified");
  auto parsed = parse_soql(soql);
  if (auto* why = std::get_if<std::string>(&parsed)) return sf_error(req, 400, "MALFORMED_QUERY", *why);
  auto& s = std::get<Soql>(parsed);
  if (tooling != (s.object == "CustomField"))
    return sf_error(req, 400, "INVALID_TYPE", "sObject type '" + s.object + "' is not supported.");
  if (!schema_.count(s.object)) return sf_error(req, 400, "INVALID_TYPE", "sObject type '" + s.object + "' is not supported.");
  for (const auto& f : s.fields)
    if (auto why = readable(s.object, f)) return sf_error(req, 400, "INVALID_FIELD", *why);
  for (const auto& c : s.where)
    if (auto why = readable(s.object, c.field)) return sf_error(req, 400, "INVALID_FIELD", *why);
  for (const auto& f : s.order)
    if (auto why = readable(s.object, f)) return sf_error(req, 400, "INVALID_FIELD", *why);
  // Type-check the literals as Salesforce does.
  for (const auto& c : s.where) {
    const auto& def = schema_.at(s.object).at(c.field);
    if (def.type == "DateTime") {
      if (c.quoted || !salesforce::parse_datetime(c.literal))
        return sf_error(req, 400, "INVALID_FIELD", "value of filter criterion for field '" + c.field +
                                                       "' must be of type dateTime and should not be enclosed in quotes");
    } else if (def.type == "Checkbox") {
      if (c.quoted || (lower(c.literal) != "true" && lower(c.literal) != "false"))
        return sf_error(req, 400, "INVALID_FIELD", "value of filter criterion for field '" + c.field + "' must be true or false");
    } else if (def.type == "Number") {
      if (c.quoted) return sf_error(req, 400, "INVALID_FIELD", "value of filter criterion for field '" + c.field + "' must be a number");
    } else if (!c.quoted && lower(c.literal) != "null") {
      return sf_error(req, 400, "MALFORMED_QUERY", "unexpected token: '" + c.literal + "'");
    }
  }
  auto& table = objects_[s.object];
  auto value_of = [&](const std::string& id, const Record& r, const std::string& f) -> json::value {
    if (f == "Id") return json::value(id);
    if (f == "SystemModstamp" || f == "LastModifiedDate") return json::value(r.modstamp_ms);
    if (f == "CreatedDate") return json::value(r.created_ms);
    if (f == "IsDeleted") return json::value(r.deleted);
    auto it = r.f.find(f);
    return it == r.f.end() ? json::value(nullptr) : it->second;
  };
  std::vector<std::string> ids;
  for (const auto& [id, r] : table) {
    if (r.deleted && !all) continue;
    bool match = true;
    for (const auto& c : s.where) {
      const auto& def = schema_.at(s.object).at(c.field);
      json::value v = value_of(id, r, c.field);
      int cmp = 0;
      if (def.type == "DateTime") {
        std::int64_t a = v.is_int64() ? v.as_int64() : v.is_string() ? salesforce::parse_datetime(std::string(v.as_string())).value_or(0) : 0;
        std::int64_t b = *salesforce::parse_datetime(c.literal);
        cmp = a < b ? -1 : a > b ? 1 : 0;
      } else if (def.type == "Checkbox") {
        bool a = v.is_bool() && v.as_bool(), b = lower(c.literal) == "true";
        cmp = a == b ? 0 : (a ? 1 : -1);
      } else if (def.type == "Number") {
        double a = v.is_number() ? v.to_number<double>() : NAN, b = std::atof(c.literal.c_str());
        cmp = a < b ? -1 : a > b ? 1 : 0;
      } else {
        std::string a = v.is_string() ? std::string(v.as_string()) : std::string();
        cmp = a.compare(c.literal);
        cmp = cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
      }
      const auto& op = c.op;
      match = (op == "=" && cmp == 0) || (op == "!=" && cmp != 0) || (op == ">" && cmp > 0) || (op == ">=" && cmp >= 0) ||
              (op == "<" && cmp < 0) || (op == "<=" && cmp <= 0);
      if (!match) break;
    }
    if (match) ids.push_back(id);
  }
  std::stable_sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    for (const auto& f : s.order) {
      auto va = value_of(a, table.at(a), f), vb = value_of(b, table.at(b), f);
      std::string sa = json::serialize(va), sb = json::serialize(vb);
      if (va.is_int64() && vb.is_int64()) {
        if (va.as_int64() != vb.as_int64()) return va.as_int64() < vb.as_int64();
      } else if (sa != sb) {
        return sa < sb;
      }
    }
    return false;
  });
  int batch = opts_.page_size;
  std::string qo(req["Sforce-Query-Options"]);
  if (auto p = qo.find("batchSize="); p != std::string::npos) batch = std::clamp(std::atoi(qo.c_str() + p + 10), 200, 2000);
  batch = std::min(batch, opts_.page_size);  // a hint, not a promise: wide rows get smaller pages
  static std::int64_t next_locator = 1;
  std::string loc = "01gSIM" + std::to_string(next_locator++);
  locators_[loc] = Locator{s.object, s.fields, std::move(ids), 0, all, batch};
  return page(req, loc + "-0");
}

Response SalesforceSim::page(const Request& req, const std::string& locator) {
  auto dash = locator.rfind('-');
  auto it = dash == std::string::npos ? locators_.end() : locators_.find(locator.substr(0, dash));
  if (it == locators_.end()) return sf_error(req, 400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  auto& l = it->second;
  std::size_t offset = std::strtoull(locator.c_str() + dash + 1, nullptr, 10);
  const auto& table = objects_[l.object];
  json::array records;
  std::size_t end = std::min(l.ids.size(), offset + static_cast<std::size_t>(l.batch));
  for (std::size_t i = offset; i < end; ++i)
    if (auto r = table.find(l.ids[i]); r != table.end()) records.push_back(record_json(l.object, l.ids[i], r->second, l.fields));
  json::object body{{"totalSize", l.ids.size()}, {"done", end >= l.ids.size()}, {"records", std::move(records)}};
  if (end < l.ids.size())
    body["nextRecordsUrl"] = "/services/data/v62.0/" + std::string(l.all ? "queryAll/" : "query/") + it->first + "-" +
                             std::to_string(end);
  return http::make_response(req, 200, json::serialize(body));
}

Response SalesforceSim::limits(const Request& req) {
  auto remaining = opts_.daily_limit - static_cast<std::int64_t>(usage_.size());
  json::object body{{"DailyApiRequests", json::object{{"Max", opts_.daily_limit}, {"Remaining", remaining}}},
                    {"DailyBulkV2QueryJobs", json::object{{"Max", 10000}, {"Remaining", 10000}}}};
  return http::make_response(req, 200, json::serialize(body));
}

std::string SalesforceSim::update_record(const std::string& object, const std::string& id,
                                         const std::map<std::string, json::value>& values) {
  if (id.size() != 15 && id.size() != 18) return "MALFORMED_ID: bad id " + id;
  auto& table = objects_[object];
  auto it = table.find(id);
  if (it == table.end()) return "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id";
  if (it->second.deleted) return "ENTITY_IS_DELETED: entity is deleted";
  for (const auto& [name, v] : values) {
    auto& schema = schema_[object];
    auto f = schema.find(name);
    if (f == schema.end() || (f->second.custom && !fls_.count(object + "." + name)))
      return "INVALID_FIELD_FOR_INSERT_UPDATE: Unable to create/update fields: " + name +
             ". Please check the security settings of this field and verify that it is read/write for your profile or permission set.";
    const auto& d = f->second;
    if (v.is_null()) continue;
    if (d.type == "Number" && !v.is_number()) return "JSON_PARSER_ERROR: Cannot deserialize instance of double from " + json::serialize(v);
    if (d.type == "Checkbox" && !v.is_bool()) return "JSON_PARSER_ERROR: Cannot deserialize instance of boolean from " + json::serialize(v);
    if ((d.type == "Text" || d.type == "LongTextArea" || d.type == "Picklist" || d.type == "DateTime") && !v.is_string())
      return "JSON_PARSER_ERROR: Cannot deserialize instance of string from " + json::serialize(v);
    if (d.length > 0 && v.is_string() && static_cast<int>(v.as_string().size()) > d.length)
      return "STRING_TOO_LONG: " + name + ": data value too large";
    if (d.type == "Picklist" && !d.values.empty() &&
        std::find(d.values.begin(), d.values.end(), std::string(v.as_string())) == d.values.end())
      return "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: " + name + ": bad value for restricted picklist field: " +
             std::string(v.as_string());
    if (d.type == "DateTime" && !salesforce::parse_datetime(std::string(v.as_string())))
      return "INVALID_TYPE_ON_FIELD_IN_RECORD: " + name + ": value not of required type";
  }
  if (rejected_.count(id)) return "FIELD_CUSTOM_VALIDATION_EXCEPTION: Blocked by a validation rule on this record";
  if (lock_rows_ > 0) {
    --lock_rows_;
    return "UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record";
  }
  for (const auto& [name, v] : values) {
    const auto& d = schema_[object][name];
    // Date-times are stored and returned in Salesforce's own form, whatever offset was sent.
    it->second.f[name] = d.type == "DateTime" && v.is_string()
                             ? json::value(sf_datetime(*salesforce::parse_datetime(std::string(v.as_string()))))
                             : v;
  }
  it->second.modstamp_ms = tick();
  ++updated_;
  return {};
}

Response SalesforceSim::collections(const Request& req, bool create) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object() || !v.as_object().if_contains("records") || !v.as_object().at("records").is_array())
    return sf_error(req, 400, "JSON_PARSER_ERROR", "Unexpected or missing records array");
  const auto& records = v.as_object().at("records").as_array();
  bool all_or_none = false;
  if (auto* a = v.as_object().if_contains("allOrNone"); a && a->is_bool()) all_or_none = a->as_bool();
  if (records.size() > 200)
    return sf_error(req, 400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call");
  struct Item {
    std::string type, id;
    std::map<std::string, json::value> values;
  };
  std::vector<Item> items;
  for (const auto& r : records) {
    if (!r.is_object()) return sf_error(req, 400, "JSON_PARSER_ERROR", "records must be objects");
    Item it;
    for (const auto& [k, val] : r.as_object()) {
      if (k == "attributes") {
        if (auto* t = val.is_object() ? val.as_object().if_contains("type") : nullptr; t && t->is_string())
          it.type = std::string(t->as_string());
      } else if (k == "id" || k == "Id") {
        it.id = val.is_string() ? std::string(val.as_string()) : std::string();
      } else {
        it.values[std::string(k)] = val;
      }
    }
    if (it.type.empty())
      return sf_error(req, 400, "INVALID_TYPE", "When the sObject type is not specified in attributes, the request is invalid");
    if (!schema_.count(it.type)) return sf_error(req, 400, "INVALID_TYPE", "sObject type '" + it.type + "' is not supported.");
    for (const auto& [name, _] : it.values)
      if (!schema_[it.type].count(name))
        return sf_error(req, 400, "INVALID_FIELD", "No such column '" + name + "' on sobject of type " + it.type);
    if (!create && it.id.empty()) return sf_error(req, 400, "MISSING_ARGUMENT", "Id not specified in an update call");
    if (create && !it.id.empty()) return sf_error(req, 400, "INVALID_FIELD", "Cannot specify Id in an insert call");
    items.push_back(std::move(it));
  }
  json::array results;
  if (create) {
    // Creates (FieldPermissions from setup): validate, then commit unless allOrNone and one fails.
    std::vector<std::string> errors, error_fields;  // "CODE: message", and the field it is about
    for (const auto& it : items) {
      std::string err, field;
      if (it.type == "FieldPermissions") {
        auto field = it.values.count("Field") ? std::string(it.values.at("Field").as_string()) : std::string();
        auto dot = field.find('.');
        if (dot == std::string::npos || !schema_.count(field.substr(0, dot)) || !schema_[field.substr(0, dot)].count(field.substr(dot + 1)))
          err = "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Field: bad value for restricted picklist field: " + field;
        auto ps = it.values.count("ParentId") ? std::string(it.values.at("ParentId").as_string()) : std::string();
        if (err.empty() && !objects_["PermissionSet"].count(ps)) err = "INVALID_CROSS_REFERENCE_KEY: invalid cross reference id";
      } else if (it.type == "Task") {
        std::tie(err, field) = task_error(it.values);
      }
      errors.push_back(err);
      error_fields.push_back(field);
    }
    bool any = std::any_of(errors.begin(), errors.end(), [](auto& e) { return !e.empty(); });
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!errors[i].empty() || (all_or_none && any)) {
        std::string e = errors[i].empty() ? "ALL_OR_NONE_OPERATION_ROLLED_BACK: Record rolled back because not all records were valid and the request was using AllOrNone header" : errors[i];
        auto colon = e.find(": ");
        json::array fields;
        if (!errors[i].empty() && !error_fields[i].empty()) fields.emplace_back(error_fields[i]);
        results.push_back(json::object{{"success", false}, {"errors", json::array{json::object{
            {"statusCode", e.substr(0, colon)}, {"message", e.substr(colon + 2)}, {"fields", std::move(fields)}}}}});
        continue;
      }
      std::string id = new_id(items[i].type);
      Record r;
      r.f = items[i].values;
      if (items[i].type == "Task" && !r.f.count("OwnerId")) r.f["OwnerId"] = user_id_;  // as create_one
      r.created_ms = r.modstamp_ms = tick();
      objects_[items[i].type][id] = std::move(r);
      results.push_back(json::object{{"id", id}, {"success", true}, {"errors", json::array{}}});
    }
    // Field-level security follows the permission sets assigned to the integration user.
    for (const auto& [fid, fp] : objects_["FieldPermissions"]) {
      auto parent = std::string(fp.f.at("ParentId").as_string());
      bool assigned = false;
      for (const auto& [aid, a] : objects_["PermissionSetAssignment"])
        assigned = assigned || (a.f.at("PermissionSetId").as_string() == parent && a.f.at("AssigneeId").as_string() == user_id_);
      if (assigned && fp.f.count("PermissionsRead") && fp.f.at("PermissionsRead").is_bool() && fp.f.at("PermissionsRead").as_bool())
        fls_.insert(std::string(fp.f.at("Field").as_string()));
    }
    return http::make_response(req, 200, json::serialize(results));
  }
  if (all_or_none) return sf_error(req, 400, "INVALID_OPERATION", "the simulator supports allOrNone updates only as false");
  for (const auto& it : items) {
    auto err = update_record(it.type, it.id, it.values);
    if (err.empty()) {
      results.push_back(json::object{{"id", it.id}, {"success", true}, {"errors", json::array{}}});
      continue;
    }
    auto colon = err.find(": ");
    json::array fields;
    for (const auto& [name, _] : it.values)
      if (err.find(name) != std::string::npos) fields.push_back(json::value(name));
    results.push_back(json::object{{"id", it.id}, {"success", false},
                                   {"errors", json::array{json::object{{"statusCode", err.substr(0, colon)},
                                                                       {"message", err.substr(colon + 2)},
                                                                       {"fields", std::move(fields)}}}}});
  }
  return http::make_response(req, 200, json::serialize(results));
}

std::pair<std::string, std::string> SalesforceSim::task_error(const std::map<std::string, json::value>& values) {
  for (const char* ref : {"WhatId", "WhoId"})
    if (values.count(ref)) {
      const auto& v = values.at(ref);
      const std::string id = v.is_string() ? std::string(v.as_string()) : "";
      const std::string obj = id.starts_with("003") ? "Contact" : "Account";
      if (!objects_[obj].count(id)) return {std::string("INVALID_CROSS_REFERENCE_KEY: ") + ref + ": id value of incorrect type: " + id, ref};
    }
  if (!values.count("Subject")) return {"REQUIRED_FIELD_MISSING: Required fields are missing: [Subject]", "Subject"};
  if (!values.count("OwnerId")) return {};
  const auto& v = values.at("OwnerId");
  const std::string id = v.is_string() ? std::string(v.as_string()) : "";
  auto u = objects_["User"].find(id);
  if (u == objects_["User"].end()) return {"INVALID_CROSS_REFERENCE_KEY: invalid cross reference id", "OwnerId"};
  if (auto a = u->second.f.find("IsActive"); a != u->second.f.end() && a->second.is_bool() && !a->second.as_bool())
    return {"INACTIVE_OWNER_OR_USER: operation performed with inactive user [" + id + "] as owner of task", "OwnerId"};
  return {};
}

Response SalesforceSim::create_one(const Request& req, const std::string& object) {
  if (object != "PermissionSet" && object != "PermissionSetAssignment" && object != "Case" && object != "CaseComment" &&
      object != "Task")
    return sf_error(req, 404, "NOT_FOUND", "The simulator creates Case, CaseComment, Task, PermissionSet and PermissionSetAssignment records only");
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return sf_error(req, 400, "JSON_PARSER_ERROR", "body is not a JSON object");
  std::map<std::string, json::value> values;
  for (const auto& [k, val] : v.as_object()) {
    if (!schema_[object].count(std::string(k)))
      return sf_error(req, 400, "INVALID_FIELD", "No such column '" + std::string(k) + "' on sobject of type " + object);
    values[std::string(k)] = val;
  }
  if (object == "Case" || object == "CaseComment" || object == "Task") {
    for (const auto& [k, val] : values) {
      const auto& d = schema_[object][k];
      bool ok = val.is_null() || (d.type == "Checkbox" ? val.is_bool() : d.type == "Number" ? val.is_number() : val.is_string());
      if (!ok) return sf_error(req, 400, "JSON_PARSER_ERROR", "Cannot deserialize " + k + " from " + json::serialize(val));
    }
    auto acct = values.count("AccountId") && values["AccountId"].is_string() ? std::string(values["AccountId"].as_string()) : "";
    if (!acct.empty() && !objects_["Account"].count(acct))
      return sf_error(req, 400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", {"AccountId"});
    if (object == "Task") {
      auto [err, field] = task_error(values);
      if (!err.empty()) {
        auto colon = err.find(": ");
        return sf_error(req, 400, err.substr(0, colon), err.substr(colon + 2),
                        field.empty() ? std::vector<std::string>{} : std::vector<std::string>{field});
      }
    }
    if (object != "CaseComment" && !values.count("OwnerId")) values["OwnerId"] = user_id_;  // the caller owns it
    if (object == "Case" && !values.count("Status")) values["Status"] = "New";
    if (object == "Case" && !values.count("IsClosed")) values["IsClosed"] = false;
    if (object == "CaseComment" && !(values.count("ParentId") && values["ParentId"].is_string() &&
                                     objects_["Case"].count(std::string(values["ParentId"].as_string()))))
      return sf_error(req, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [ParentId]", {"ParentId"});
  } else if (object == "PermissionSet") {
    if (!values.count("Name") || !values.count("Label"))
      return sf_error(req, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name, Label]", {"Name", "Label"});
    for (const auto& [id, r] : objects_["PermissionSet"])
      if (r.f.at("Name") == values["Name"]) return sf_error(req, 400, "DUPLICATE_VALUE", "duplicate value found: Name");
  } else {
    auto ps = values.count("PermissionSetId") && values["PermissionSetId"].is_string() ? std::string(values["PermissionSetId"].as_string()) : "";
    if (!objects_["PermissionSet"].count(ps)) return sf_error(req, 400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
    for (const auto& [id, r] : objects_["PermissionSetAssignment"])
      if (r.f.at("PermissionSetId") == values["PermissionSetId"] && r.f.at("AssigneeId") == values["AssigneeId"])
        return sf_error(req, 400, "DUPLICATE_VALUE", "Duplicate PermissionSetAssignment");
  }
  std::string id = new_id(object);
  Record r;
  r.f = std::move(values);
  r.created_ms = r.modstamp_ms = tick();
  objects_[object][id] = std::move(r);
  if (object == "PermissionSetAssignment")
    for (const auto& [fid, fp] : objects_["FieldPermissions"])
      if (fp.f.at("ParentId") == objects_[object][id].f.at("PermissionSetId") && fp.f.count("PermissionsRead") &&
          fp.f.at("PermissionsRead").is_bool() && fp.f.at("PermissionsRead").as_bool())
        fls_.insert(std::string(fp.f.at("Field").as_string()));
  return http::make_response(req, 201, json::serialize(json::object{{"id", id}, {"success", true}, {"errors", json::array{}}}));
}

Response SalesforceSim::tooling_create_field(const Request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec);
  if (ec || !v.is_object()) return sf_error(req, 400, "JSON_PARSER_ERROR", "body is not a JSON object");
  auto& o = v.as_object();
  auto* full = o.if_contains("FullName");
  auto* meta = o.if_contains("Metadata");
  if (!full || !full->is_string() || !meta || !meta->is_object())
    return sf_error(req, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [FullName, Metadata]");
  std::string fn(full->as_string());
  auto dot = fn.find('.');
  std::string object = fn.substr(0, dot), name = dot == std::string::npos ? "" : fn.substr(dot + 1);
  if (!schema_.count(object) || !name.ends_with("__c"))
    return sf_error(req, 400, "INVALID_FIELD", "FullName must be Object.Field__c, got " + fn);
  if (schema_[object].count(name))
    return sf_error(req, 400, "DUPLICATE_DEVELOPER_NAME", "There is already a field named " + name.substr(0, name.size() - 3) + " on " + object);
  const auto& m = meta->as_object();
  std::string type = m.if_contains("type") && m.at("type").is_string() ? std::string(m.at("type").as_string()) : "";
  FieldDef d{type, 0, {}, true};
  auto num = [&](const char* k) { auto* x = m.if_contains(k); return x && x->is_number() ? x->to_number<int>() : -1; };
  if (!m.if_contains("label")) return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Field label is required");
  if (type == "Number") {
    if (num("precision") < 1 || num("precision") > 18 || num("scale") < 0)
      return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Number fields need precision 1-18 and scale");
  } else if (type == "Text") {
    d.length = num("length");
    if (d.length < 1 || d.length > 255) return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Text length must be 1-255");
  } else if (type == "LongTextArea") {
    d.length = num("length");
    if (d.length < 256 && d.length != 1000 && d.length < 1) return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Length required");
    if (num("visibleLines") < 1) return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "visibleLines is required for long text");
  } else if (type == "Picklist") {
    try {
      for (const auto& val : m.at("valueSet").at("valueSetDefinition").at("value").as_array())
        d.values.emplace_back(val.at("fullName").as_string());
    } catch (const std::exception&) {
      return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Picklist fields need valueSet.valueSetDefinition.value");
    }
  } else if (type == "Checkbox") {
    if (!m.if_contains("defaultValue")) return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "Checkbox fields need a defaultValue");
  } else if (type != "DateTime") {
    return sf_error(req, 400, "FIELD_INTEGRITY_EXCEPTION", "unsupported field type '" + type + "'");
  }
  schema_[object][name] = d;
  std::string id = new_id("CustomField");
  Record r;
  r.f = {{"DeveloperName", json::value(name.substr(0, name.size() - 3))}, {"TableEnumOrId", json::value(object)}, {"FullName", json::value(fn)}};
  r.created_ms = r.modstamp_ms = tick();
  objects_["CustomField"][id] = std::move(r);
  if (type == "Checkbox")
    for (auto& [rid, rec] : objects_[object]) rec.f[name] = false;
  return http::make_response(req, 201, json::serialize(json::object{{"id", id}, {"success", true}, {"errors", json::array{}},
                                                                  {"warnings", json::array{}}, {"infos", json::array{}}}));
}

void SalesforceSim::run_bulk(BulkJob& job) {
  auto rows = cg::parse_csv(job.csv);
  if (rows.empty()) {
    job.state = "Failed";
    return;
  }
  job.header = rows[0];
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::map<std::string, json::value> values;
    std::string id;
    for (std::size_t c = 0; c < job.header.size() && c < row.size(); ++c) {
      const auto& col = job.header[c];
      if (col == "Id") { id = row[c]; continue; }
      if (row[c].empty()) continue;  // empty cell: unchanged
      if (row[c] == "#N/A") { values[col] = nullptr; continue; }
      auto& schema = schema_[job.object];
      auto f = schema.find(col);
      std::string type = f == schema.end() ? "Text" : f->second.type;
      if (type == "Number") values[col] = std::atof(row[c].c_str());
      else if (type == "Checkbox") values[col] = row[c] == "true";
      else values[col] = row[c];
    }
    auto err = update_record(job.object, id, values);
    std::vector<std::string> out{id, err.empty() ? "false" : err};
    out.insert(out.end(), row.begin(), row.end());
    (err.empty() ? job.ok : job.failed).push_back(std::move(out));
  }
  job.state = "JobComplete";
}

Response SalesforceSim::bulk(const Request& req, const std::string& rest) {
  using boost::beast::http::verb;
  auto job_json = [&](const std::string& id, const BulkJob& j) {
    return json::object{{"id", id}, {"state", j.state}, {"object", j.object}, {"operation", j.operation},
                        {"contentType", "CSV"}, {"apiVersion", 62.0}, {"concurrencyMode", "Parallel"},
                        {"contentUrl", "services/data/v62.0/jobs/ingest/" + id + "/batches"},
                        {"numberRecordsProcessed", j.ok.size() + j.failed.size()}, {"numberRecordsFailed", j.failed.size()}};
  };
  if (rest.empty() || rest == "/") {
    if (req.method() != verb::post) return sf_error(req, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed");
    boost::system::error_code ec;
    auto v = json::parse(req.body(), ec);
    if (ec || !v.is_object()) return sf_error(req, 400, "JSON_PARSER_ERROR", "body is not a JSON object");
    auto& o = v.as_object();
    auto str = [&](const char* k) { auto* x = o.if_contains(k); return x && x->is_string() ? std::string(x->as_string()) : std::string(); };
    if (!schema_.count(str("object"))) return sf_error(req, 400, "INVALIDENTITY", "Entity '" + str("object") + "' is not supported");
    if (str("operation") != "update") return sf_error(req, 400, "INVALIDJOB", "the simulator runs update jobs only");
    if (!str("contentType").empty() && str("contentType") != "CSV") return sf_error(req, 400, "INVALIDJOB", "contentType must be CSV");
    std::string id = "750SIM" + std::to_string(++bulk_jobs_) + "AAAAAAAAAA";
    id = id.substr(0, 18);
    BulkJob j;
    j.object = str("object");
    j.operation = "update";
    jobs_[id] = j;
    return http::make_response(req, 200, json::serialize(job_json(id, jobs_[id])));
  }
  auto parts = rest.substr(1);
  auto slash = parts.find('/');
  std::string id = parts.substr(0, slash), sub = slash == std::string::npos ? "" : parts.substr(slash + 1);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return sf_error(req, 404, "NOT_FOUND", "The requested resource does not exist");
  auto& j = it->second;
  if (sub == "batches") {
    if (req.method() != verb::put) return sf_error(req, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed");
    if (req[boost::beast::http::field::content_type].find("text/csv") == std::string::npos)
      return sf_error(req, 415, "UNSUPPORTEDCONTENTTYPE", "Content-Type must be text/csv");
    if (j.state != "Open") return sf_error(req, 409, "INVALIDJOBSTATE", "Job is not open for uploads");
    j.csv += req.body();
    return http::make_response(req, 201, "");
  }
  if (sub.empty()) {
    if (req.method() == verb::patch) {
      boost::system::error_code ec;
      auto v = json::parse(req.body(), ec);
      auto* st = !ec && v.is_object() ? v.as_object().if_contains("state") : nullptr;
      if (!st || !st->is_string()) return sf_error(req, 400, "INVALIDJOBSTATE", "state is required");
      if (*st == "UploadComplete") {
        if (j.state != "Open") return sf_error(req, 409, "INVALIDJOBSTATE", "Job is not open");
        j.state = "UploadComplete";
      } else if (*st == "Aborted") {
        j.state = "Aborted";
      } else {
        return sf_error(req, 400, "INVALIDJOBSTATE", "unknown state");
      }
      return http::make_response(req, 200, json::serialize(job_json(id, j)));
    }
    if (req.method() == verb::get) {
      // Nothing runs before UploadComplete; then one poll sees it in progress, the next done.
      if (j.state == "InProgress") run_bulk(j);
      else if (j.state == "UploadComplete") j.state = "InProgress";
      return http::make_response(req, 200, json::serialize(job_json(id, j)));
    }
    if (req.method() == verb::delete_) {
      jobs_.erase(it);
      return http::make_response(req, 204, "");
    }
    return sf_error(req, 405, "METHOD_NOT_ALLOWED", "HTTP Method not allowed");
  }
  if (sub == "successfulResults/" || sub == "failedResults/" || sub == "successfulResults" || sub == "failedResults") {
    if (j.state != "JobComplete" && j.state != "Failed" && j.state != "Aborted")
      return sf_error(req, 409, "INVALIDJOBSTATE", "Job is not complete");
    bool ok = sub.starts_with("successful");
    std::string csv = std::string("\"sf__Id\",") + (ok ? "\"sf__Created\"" : "\"sf__Error\"");
    for (const auto& h : j.header) csv += ",\"" + h + "\"";
    csv += "\n";
    for (const auto& row : ok ? j.ok : j.failed) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        std::string cell = row[i];
        std::string q;
        for (char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        csv += (i ? ",\"" : "\"") + q + "\"";
      }
      csv += "\n";
    }
    return http::make_response(req, 200, csv, "text/csv");
  }
  return sf_error(req, 404, "NOT_FOUND", "The requested resource does not exist");
}

}  // namespace cg::sim
