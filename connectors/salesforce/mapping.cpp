#include "connectors/salesforce/mapping.hpp"

#include "churnguard/salesforce_fields_json.hpp"
#include "connectors/api/fields.hpp"
#include "daemon/core/clock.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <cmath>
#include <cstdio>
#include <set>

namespace cg::salesforce {
namespace json = boost::json;

const FieldDefinition* FieldDefinitions::find(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

const FieldDefinitions& churnguard_field_definitions() {
  static const FieldDefinitions defs = [] {
    FieldDefinitions d;
    auto v = json::parse(embedded::salesforce_fields_json);  // checked by tests; a bad file fails the build's tests
    d.permission_set = v.at("permissionSet").as_object();
    for (const auto& f : v.at("fields").as_array()) {
      FieldDefinition fd;
      fd.name = std::string(f.at("name").as_string());
      fd.metadata = f.at("metadata").as_object();
      fd.type = std::string(fd.metadata.at("type").as_string());
      if (auto* l = fd.metadata.if_contains("length")) fd.length = static_cast<int>(l->to_number<double>());
      d.fields.push_back(std::move(fd));
    }
    return d;
  }();
  return defs;
}

std::string property_name(const std::string& api) {
  std::string s = api.ends_with("__c") ? api.substr(0, api.size() - 3) : api;
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string soql_datetime(std::int64_t ms) { return format_iso8601(ms); }

std::string incremental_soql(const std::string& object, const std::vector<std::string>& fields, std::int64_t since_ms,
                             const std::string& extra_where) {
  std::string q = "SELECT ";
  for (std::size_t i = 0; i < fields.size(); ++i) q += (i ? ", " : "") + fields[i];
  q += " FROM " + object + " WHERE SystemModstamp >= " + soql_datetime(since_ms);
  if (!extra_where.empty()) q += " AND " + extra_where;
  return q + " ORDER BY SystemModstamp, Id";
}

std::vector<crm::Owner> to_owners(const json::array& rows) {
  std::vector<crm::Owner> out;
  auto text = [](const json::object& o, const char* k) {
    auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  for (const auto& r : rows) {
    if (!r.is_object() || text(r.as_object(), "Id").empty()) continue;
    const auto& o = r.as_object();
    auto* active = o.if_contains("IsActive");
    auto name = text(o, "Name");
    out.push_back({text(o, "Id"), name.empty() ? text(o, "Email") : name, !(active && active->is_bool() && !active->as_bool())});
  }
  return out;
}

std::string url_encode(const std::string& s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

Result<QueryPage> parse_query_page(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return make_error(ErrorKind::bad_response, "Salesforce query page is not a JSON object");
  const auto& o = v.as_object();
  auto* records = o.if_contains("records");
  auto* done = o.if_contains("done");
  if (!records || !records->is_array() || !done || !done->is_bool())
    return make_error(ErrorKind::bad_response, "Salesforce query page has no records array or done flag");
  QueryPage p;
  p.records = records->as_array();
  for (const auto& r : p.records)
    if (!r.is_object()) return make_error(ErrorKind::bad_response, "Salesforce query page has a record that is not an object");
  if (auto* t = o.if_contains("totalSize"); t && t->is_number()) {
    boost::system::error_code ec;
    if (auto v = t->to_number<std::int64_t>(ec); !ec) p.total = v;
  }
  if (!done->as_bool()) {
    auto* next = o.if_contains("nextRecordsUrl");
    if (!next || !next->is_string() || !next->as_string().starts_with("/services/data/"))
      return make_error(ErrorKind::bad_response, "Salesforce query page is not done but has no nextRecordsUrl");
    p.next_url = std::string(next->as_string());
  }
  return p;
}

namespace {

std::string text_of(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_int64()) return std::to_string(v.as_int64());
  if (v.is_uint64()) return std::to_string(v.as_uint64());
  if (v.is_double()) {
    double d = v.as_double();
    char buf[64];
    if (std::floor(d) == d && std::abs(d) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", d);
    else std::snprintf(buf, sizeof buf, "%.10g", d);
    return buf;
  }
  return {};
}

}  // namespace

std::optional<std::int64_t> parse_datetime(const std::string& t) {
  if (t.empty()) return std::nullopt;
  return parse_timestamp(t);
}

std::string field_text(const json::object& r, const std::string& name) {
  auto* v = r.if_contains(name);
  return v ? text_of(*v) : std::string();
}

std::string nested_text(const json::object& r, const std::string& rel, const std::string& name) {
  auto* v = r.if_contains(rel);
  return v && v->is_object() ? field_text(v->as_object(), name) : std::string();
}

crm::CustomerRecord to_customer(const json::object& r, const std::string& name_field) {
  crm::CustomerRecord c;
  c.id = field_text(r, "Id");
  c.name = field_text(r, name_field);
  for (const auto& [k, v] : r) {
    std::string key(k);
    if (key == "attributes" || key == "Id" || key == "SystemModstamp" || key == "IsDeleted" || v.is_null() || v.is_object())
      continue;
    if (key == "OwnerId") {
      c.owner_id = text_of(v);
      continue;
    }
    bool ours = false;
    for (const auto& f : crm::field_contract)
      if (f.salesforce == key) {
        ours = true;
        std::string text = text_of(v);
        // Datetimes come back as "...+0000": normalise to how we write them, so an unchanged
        // value does not look like a person's edit.
        if (f.logical == "scored_at")
          if (auto ms = parse_datetime(text)) text = format_iso8601(*ms);
        c.churnguard[std::string(f.logical)] = text;
      }
    if (!ours) c.properties[property_name(key)] = text_of(v);
  }
  c.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  if (auto* d = r.if_contains("IsDeleted"); d && d->is_bool()) c.archived = d->as_bool();
  return c;
}

crm::ActivityRecord to_case(const json::object& r, const std::string& customer_field) {
  crm::ActivityRecord a;
  a.id = field_text(r, "Id");
  a.kind = "ticket";
  a.customer_id = field_text(r, customer_field);
  a.subject = field_text(r, "Subject");
  a.body = field_text(r, "Description");
  a.occurred_ms = parse_datetime(field_text(r, "CreatedDate")).value_or(0);
  if (field_text(r, "IsClosed") == "true") a.closed_ms = parse_datetime(field_text(r, "ClosedDate"));
  for (const char* k : {"Status", "Priority", "Origin", "Type", "Reason"})
    if (auto t = field_text(r, k); !t.empty()) a.properties[property_name(k)] = t;
  a.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return a;
}

crm::ActivityRecord to_email_message(const json::object& r) {
  crm::ActivityRecord a;
  a.id = field_text(r, "Id");
  const bool incoming = field_text(r, "Incoming") == "true";
  a.kind = incoming ? "email_in" : "email_out";
  // Enhanced Email relates a message to the account directly; Email-to-Case through its case.
  a.customer_id = field_text(r, "RelatedToId").starts_with("001") ? field_text(r, "RelatedToId")
                                                                 : nested_text(r, "Parent", "AccountId");
  a.subject = field_text(r, "Subject");
  if (incoming) a.body = field_text(r, "TextBody");
  a.occurred_ms = parse_datetime(field_text(r, "MessageDate")).value_or(parse_datetime(field_text(r, "CreatedDate")).value_or(0));
  // Open tracking: FirstOpenedDate is set once the recipient opened it (null when not, or untracked).
  if (!incoming) a.value = field_text(r, "FirstOpenedDate").empty() ? 0.0 : 1.0;
  a.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return a;
}

crm::ContactRecord to_contact(const json::object& r) {
  crm::ContactRecord c;
  c.id = field_text(r, "Id");
  c.customer_id = field_text(r, "AccountId");
  if (auto e = field_text(r, "Email"); !e.empty()) c.properties["email"] = e;
  c.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return c;
}

crm::ActivityRecord to_renewal(const json::object& r, const std::string& customer_field) {
  crm::ActivityRecord a;
  a.id = field_text(r, "Id");
  a.kind = "renewal";
  a.customer_id = field_text(r, customer_field);
  a.subject = field_text(r, "Name");
  // CloseDate is a date (2026-03-31): the day starts at midnight UTC.
  const auto close = parse_datetime(field_text(r, "CloseDate") + "T00:00:00Z");
  a.occurred_ms = close.value_or(parse_datetime(field_text(r, "CreatedDate")).value_or(0));
  if (field_text(r, "IsClosed") == "true") {
    a.closed_ms = a.occurred_ms;
    a.value = field_text(r, "IsWon") == "true" ? 1.0 : 0.0;
  }
  for (const char* k : {"Type", "StageName", "Amount"})
    if (auto t = field_text(r, k); !t.empty()) a.properties[property_name(k)] = t;
  a.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return a;
}

crm::ActivityRecord to_case_comment(const json::object& r, const std::string& customer_field) {
  crm::ActivityRecord a;
  a.id = field_text(r, "Id");
  a.kind = "comment";
  a.customer_id = nested_text(r, "Parent", customer_field);
  a.body = field_text(r, "CommentBody");
  a.occurred_ms = parse_datetime(field_text(r, "CreatedDate")).value_or(0);
  a.properties["is_published"] = field_text(r, "IsPublished");
  a.properties["case_id"] = field_text(r, "ParentId");
  a.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return a;
}

crm::ActivityRecord to_task(const json::object& r, const std::string& customer_field) {
  crm::ActivityRecord a;
  a.id = field_text(r, "Id");
  const auto subtype = field_text(r, "TaskSubtype");
  a.kind = subtype == "Email" ? "email_out" : subtype == "Call" ? "call" : "task";
  a.customer_id = field_text(r, customer_field);
  a.subject = field_text(r, "Subject");
  a.occurred_ms = parse_datetime(field_text(r, "CreatedDate")).value_or(0);
  if (auto s = field_text(r, "Status"); !s.empty()) a.properties["status"] = s;
  a.modified_ms = parse_datetime(field_text(r, "SystemModstamp")).value_or(0);
  return a;
}

namespace {

Result<json::value> typed(const FieldDefinition& f, const std::string& v) {
  if (v.empty()) return json::value(nullptr);
  if (f.type == "Number") {
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (!end || *end != '\0' || !std::isfinite(d))
      return make_error(ErrorKind::invalid_input, f.name + ": '" + v + "' is not a number");
    return json::value(d);
  }
  if (f.type == "Checkbox") return json::value(v == "true");
  if (f.length > 0 && static_cast<int>(v.size()) > f.length) {
    // Cut at a UTF-8 boundary rather than be refused with STRING_TOO_LONG.
    std::size_t n = static_cast<std::size_t>(f.length);
    while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
    return json::value(v.substr(0, n));
  }
  return json::value(v);
}

}  // namespace

Result<json::object> collection_update_body(const std::string& object, const std::vector<crm::FieldUpdate>& updates) {
  const auto& defs = churnguard_field_definitions();
  json::array records;
  for (const auto& u : updates) {
    json::object rec{{"attributes", json::object{{"type", object}}}, {"id", u.customer_id}};
    for (const auto& [logical, value] : u.values) {
      const auto* spec = crm::find_field_by_logical(logical);
      const auto* def = spec ? defs.find(std::string(spec->salesforce)) : nullptr;
      if (!def) return make_error(ErrorKind::invalid_input, "no Salesforce field for '" + logical + "'");
      auto t = typed(*def, value);
      if (!t) return t.error();
      rec[def->name] = std::move(*t);
    }
    records.push_back(std::move(rec));
  }
  return json::object{{"allOrNone", false}, {"records", std::move(records)}};
}

crm::WriteResult parse_collection_results(const std::string& body, const std::vector<crm::FieldUpdate>& updates) {
  crm::WriteResult out;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_array() || v.as_array().size() != updates.size()) {
    for (const auto& u : updates)
      out.failed.push_back({u.customer_id, "Salesforce collection response is not one result per record", true});
    return out;
  }
  const auto& results = v.as_array();
  for (std::size_t i = 0; i < updates.size(); ++i) {
    const auto* r = results[i].is_object() ? &results[i].as_object() : nullptr;
    auto* ok = r ? r->if_contains("success") : nullptr;
    if (ok && ok->is_bool() && ok->as_bool()) {
      out.succeeded.push_back(updates[i].customer_id);
      continue;
    }
    std::string msg = "Salesforce", code;
    if (auto* errs = r ? r->if_contains("errors") : nullptr; errs && errs->is_array() && !errs->as_array().empty()) {
      const auto& e = errs->as_array()[0];
      if (e.is_object()) {
        code = field_text(e.as_object(), "statusCode");
        msg += " " + code + ": " + field_text(e.as_object(), "message");
      }
    }
    // Lock contention and rollbacks caused by other rows heal on a retry.
    bool retryable = code == "UNABLE_TO_LOCK_ROW" || code == "ALL_OR_NONE_OPERATION_ROLLED_BACK";
    out.failed.push_back({updates[i].customer_id, msg, retryable});
  }
  return out;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

Result<std::string> bulk_update_csv(const std::vector<crm::FieldUpdate>& updates) {
  const auto& defs = churnguard_field_definitions();
  std::vector<const FieldDefinition*> cols;
  std::set<std::string> seen;
  for (const auto& u : updates)
    for (const auto& [logical, _] : u.values) {
      const auto* spec = crm::find_field_by_logical(logical);
      const auto* def = spec ? defs.find(std::string(spec->salesforce)) : nullptr;
      if (!def) return make_error(ErrorKind::invalid_input, "no Salesforce field for '" + logical + "'");
      if (seen.insert(def->name).second) cols.push_back(def);
    }
  std::string csv = "Id";
  for (auto* c : cols) csv += "," + c->name;
  csv += "\n";
  for (const auto& u : updates) {
    csv += csv_field(u.customer_id);
    for (auto* c : cols) {
      const auto* spec = crm::field_contract.begin();
      for (const auto& f : crm::field_contract)
        if (f.salesforce == c->name) spec = &f;
      auto it = u.values.find(std::string(spec->logical));
      csv += ",";
      if (it == u.values.end()) continue;  // empty cell: field left as it is
      if (it->second.empty()) {
        csv += "#N/A";  // Bulk 2.0's null
        continue;
      }
      auto t = typed(*c, it->second);
      if (!t) return t.error();
      csv += csv_field(t->is_string() ? std::string(t->as_string()) : text_of(*t));
    }
    csv += "\n";
  }
  return csv;
}

std::string describe_error(unsigned status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) return out + (body.empty() ? "" : " with a non-JSON body");
  if (v.is_array() && !v.as_array().empty() && v.as_array()[0].is_object()) {
    const auto& e = v.as_array()[0].as_object();
    return out + " " + field_text(e, "errorCode") + ": " + field_text(e, "message");
  }
  if (v.is_object()) {  // the OAuth shape
    const auto& e = v.as_object();
    return out + " " + field_text(e, "error") + ": " + field_text(e, "error_description");
  }
  return out;
}

std::string error_code(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_array() || v.as_array().empty() || !v.as_array()[0].is_object()) return {};
  return field_text(v.as_array()[0].as_object(), "errorCode");
}

std::optional<std::pair<std::int64_t, std::int64_t>> parse_limit_info(const std::string& h) {
  auto p = h.find("api-usage=");
  if (p == std::string::npos) return std::nullopt;
  long long used = 0, max = 0;
  if (std::sscanf(h.c_str() + p + 10, "%lld/%lld", &used, &max) != 2 || max <= 0) return std::nullopt;
  return std::pair<std::int64_t, std::int64_t>{used, max};
}

}  // namespace cg::salesforce
