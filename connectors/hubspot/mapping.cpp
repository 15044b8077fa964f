#include "connectors/hubspot/mapping.hpp"

#include "connectors/api/fields.hpp"
#include "daemon/core/clock.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <set>

namespace cg::hubspot {
namespace json = boost::json;

std::string ApiPaths::objects(const std::string& t) const {
  return version == "v3" ? "/crm/v3/objects/" + t : "/crm/objects/" + version + "/" + t;
}
std::string ApiPaths::properties(const std::string& t) const {
  return version == "v3" ? "/crm/v3/properties/" + t : "/crm/properties/" + version + "/" + t;
}
std::string ApiPaths::owners() const { return version == "v3" ? "/crm/v3/owners" : "/crm/owners/" + version; }
std::string ApiPaths::associations_batch_read(const std::string& from, const std::string& to) const {
  return version == "v3" ? "/crm/v4/associations/" + from + "/" + to + "/batch/read"
                         : "/crm/associations/" + version + "/" + from + "/" + to + "/batch/read";
}

Result<json::value> parse_json(const std::string& body, const std::string& what) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) {
    auto snippet = body.substr(0, 80);
    return make_error(ErrorKind::bad_response, what + " is not valid JSON (" + ec.message() + "): '" + snippet + "'");
  }
  return v;
}

std::string prop(const json::object& record, const std::string& name) {
  auto* props = record.if_contains("properties");
  if (!props || !props->is_object()) return {};
  auto* v = props->as_object().if_contains(name);
  if (!v || !v->is_string()) return {};
  return std::string(v->as_string());
}

namespace {
// The record's id; parse_search_page guarantees a string, this keeps the mappers total anyway.
std::string record_id(const json::object& r) {
  auto* id = r.if_contains("id");
  return id && id->is_string() ? std::string(id->as_string()) : std::string();
}
}  // namespace

Result<SearchPage> parse_search_page(const std::string& body) {
  auto v = parse_json(body, "HubSpot search response");
  if (!v) return v.error();
  if (!v->is_object()) return make_error(ErrorKind::bad_response, "HubSpot search response is not an object");
  auto& o = v->as_object();
  auto* results = o.if_contains("results");
  if (!results || !results->is_array())
    return make_error(ErrorKind::bad_response, "HubSpot search response has no 'results' array");
  SearchPage page;
  for (auto& r : results->as_array()) {
    if (!r.is_object() || !r.as_object().if_contains("id") || !r.as_object().at("id").is_string())
      return make_error(ErrorKind::bad_response, "HubSpot search result without a string 'id'");
    page.results.push_back(r.as_object());
  }
  if (auto* t = o.if_contains("total"); t && t->is_int64()) page.total = t->as_int64();
  if (auto* p = o.if_contains("paging"); p && p->is_object())
    if (auto* n = p->as_object().if_contains("next"); n && n->is_object())
      if (auto* a = n->as_object().if_contains("after"); a && a->is_string()) page.next_after = std::string(a->as_string());
  return page;
}

Result<OwnerPage> parse_owner_page(const std::string& body, bool archived) {
  auto v = parse_json(body, "HubSpot owners response");
  if (!v) return v.error();
  auto* results = v->is_object() ? v->as_object().if_contains("results") : nullptr;
  if (!results || !results->is_array())
    return make_error(ErrorKind::bad_response, "HubSpot owners response has no 'results' array");
  OwnerPage page;
  auto text = [](const json::object& o, const char* k) {
    auto* x = o.if_contains(k);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  for (const auto& r : results->as_array()) {
    if (!r.is_object() || text(r.as_object(), "id").empty())
      return make_error(ErrorKind::bad_response, "HubSpot owner without a string 'id'");
    const auto& o = r.as_object();
    std::string name = text(o, "firstName");
    if (auto last = text(o, "lastName"); !last.empty()) name += (name.empty() ? "" : " ") + last;
    page.owners.push_back({text(o, "id"), name.empty() ? text(o, "email") : name, !archived});
  }
  if (auto* p = v->as_object().if_contains("paging"); p && p->is_object())
    if (auto* n = p->as_object().if_contains("next"); n && n->is_object())
      if (auto* a = n->as_object().if_contains("after"); a && a->is_string()) page.after = std::string(a->as_string());
  return page;
}

json::object search_body(const std::string& modified_property, std::int64_t since_ms,
                         const std::vector<std::string>& properties, int limit,
                         const std::optional<std::string>& after) {
  json::object filter{{"propertyName", modified_property}, {"operator", "GTE"}, {"value", std::to_string(since_ms)}};
  json::object body{
      {"filterGroups", json::array{json::object{{"filters", json::array{filter}}}}},
      {"sorts", json::array{json::object{{"propertyName", modified_property}, {"direction", "ASCENDING"}}}},
      {"limit", limit}};
  json::array props;
  for (const auto& p : properties) props.emplace_back(p);
  body["properties"] = std::move(props);
  if (after) body["after"] = *after;
  return body;
}

json::object tie_search_body(const std::string& modified_property, std::int64_t stamp_ms, const std::string& after_id,
                             const std::vector<std::string>& properties, int limit,
                             const std::optional<std::string>& after) {
  json::array filters{
      json::object{{"propertyName", modified_property}, {"operator", "EQ"}, {"value", std::to_string(stamp_ms)}},
      json::object{{"propertyName", "hs_object_id"}, {"operator", "GT"}, {"value", after_id}}};
  json::object body{{"filterGroups", json::array{json::object{{"filters", std::move(filters)}}}},
                    {"sorts", json::array{json::object{{"propertyName", "hs_object_id"}, {"direction", "ASCENDING"}}}},
                    {"limit", limit}};
  body["properties"] = json::array(properties.begin(), properties.end());
  if (after) body["after"] = *after;
  return body;
}

crm::CustomerRecord to_customer(const json::object& r, const std::string& modified_property,
                                const std::string& name_property) {
  crm::CustomerRecord c;
  c.id = record_id(r);
  if (auto* props = r.if_contains("properties"); props && props->is_object()) {
    for (auto& [k, v] : props->as_object()) {
      if (!v.is_string()) continue;
      std::string key(k);
      if (key == "hubspot_owner_id")
        c.owner_id = std::string(v.as_string());
      else if (auto* f = crm::find_field_by_hubspot(key))
        c.churnguard[std::string(f->logical)] = std::string(v.as_string());
      else
        c.properties[key] = std::string(v.as_string());
    }
  }
  c.name = prop(r, name_property);
  c.modified_ms = parse_timestamp(prop(r, modified_property)).value_or(0);
  if (auto* a = r.if_contains("archived"); a && a->is_bool()) c.archived = a->as_bool();
  return c;
}

crm::ActivityRecord to_ticket(const json::object& r) {
  crm::ActivityRecord a;
  a.id = record_id(r);
  a.kind = "ticket";
  a.subject = prop(r, "subject");
  a.body = prop(r, "content");
  a.occurred_ms = parse_timestamp(prop(r, "createdate")).value_or(0);
  if (auto closed = parse_timestamp(prop(r, "closed_date"))) a.closed_ms = *closed;
  a.modified_ms = parse_timestamp(prop(r, "hs_lastmodifieddate")).value_or(0);
  for (const char* k : {"hs_pipeline_stage", "hs_ticket_priority", "hs_pipeline", "hs_ticket_category"})
    if (auto v = prop(r, k); !v.empty()) a.properties[k] = v;
  return a;
}

crm::ActivityRecord to_email(const json::object& r) {
  crm::ActivityRecord a;
  a.id = record_id(r);
  const auto dir = prop(r, "hs_email_direction");
  a.kind = dir == "INCOMING_EMAIL" ? "email_in" : "email_out";
  a.subject = prop(r, "hs_email_subject");
  if (a.kind == "email_in") a.body = prop(r, "hs_email_text");  // only the customer's words get a sentiment
  a.occurred_ms = parse_timestamp(prop(r, "hs_timestamp")).value_or(parse_timestamp(prop(r, "createdate")).value_or(0));
  a.modified_ms = parse_timestamp(prop(r, "hs_lastmodifieddate")).value_or(0);
  if (a.kind == "email_out")
    if (auto opens = prop(r, "hs_email_open_count"); !opens.empty()) a.value = std::atof(opens.c_str()) > 0 ? 1.0 : 0.0;
  if (auto st = prop(r, "hs_email_status"); !st.empty()) a.properties["hs_email_status"] = st;
  return a;
}

crm::ActivityRecord to_renewal(const json::object& r) {
  crm::ActivityRecord a;
  a.id = "deal:" + record_id(r);
  a.kind = "renewal";
  a.subject = prop(r, "dealname");
  const auto close = parse_timestamp(prop(r, "closedate"));
  a.occurred_ms = close.value_or(parse_timestamp(prop(r, "createdate")).value_or(0));
  if (prop(r, "hs_is_closed") == "true") {
    a.closed_ms = a.occurred_ms;
    a.value = prop(r, "hs_is_closed_won") == "true" ? 1.0 : 0.0;
  }
  a.modified_ms = parse_timestamp(prop(r, "hs_lastmodifieddate")).value_or(0);
  for (const char* k : {"dealtype", "dealstage", "pipeline", "amount"})
    if (auto v = prop(r, k); !v.empty()) a.properties[k] = v;
  return a;
}

crm::ContactRecord to_contact(const json::object& r) {
  crm::ContactRecord c;
  c.id = record_id(r);
  c.customer_id = prop(r, "associatedcompanyid");
  auto num = [&](const char* k) -> std::optional<double> {
    auto v = prop(r, k);
    if (v.empty()) return std::nullopt;
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    return end && *end == '\0' ? std::optional<double>(d) : std::nullopt;
  };
  c.email_delivered = num("hs_email_delivered");
  c.email_opened = num("hs_email_open");
  c.modified_ms = parse_timestamp(prop(r, "lastmodifieddate")).value_or(0);
  if (auto e = prop(r, "email"); !e.empty()) c.properties["email"] = e;
  return c;
}

Result<std::map<std::string, std::string>> parse_association_batch(const std::string& body) {
  auto v = parse_json(body, "HubSpot associations response");
  if (!v) return v.error();
  std::map<std::string, std::string> out;
  auto* results = v->is_object() ? v->as_object().if_contains("results") : nullptr;
  if (!results || !results->is_array())
    return make_error(ErrorKind::bad_response, "HubSpot associations response has no 'results' array");
  for (auto& r : results->as_array()) {
    if (!r.is_object()) continue;
    auto* from = r.as_object().if_contains("from");
    auto* to = r.as_object().if_contains("to");
    if (!from || !from->is_object() || !to || !to->is_array() || to->as_array().empty()) continue;
    auto* fid = from->as_object().if_contains("id");
    if (!fid || !fid->is_string()) continue;
    auto& first = to->as_array().front();
    if (!first.is_object()) continue;
    auto* tid = first.as_object().if_contains("toObjectId");
    if (!tid) continue;
    // The spec types toObjectId as a string; the docs show numbers. Accept both.
    std::string id = tid->is_string() ? std::string(tid->as_string())
                     : tid->is_int64() ? std::to_string(tid->as_int64())
                     : tid->is_uint64() ? std::to_string(tid->as_uint64()) : "";
    if (!id.empty()) out[std::string(fid->as_string())] = id;
  }
  return out;
}

json::object batch_update_body(const std::vector<crm::FieldUpdate>& updates) {
  json::array inputs;
  for (const auto& u : updates) {
    json::object props;
    for (const auto& [logical, value] : u.values)
      if (auto* f = crm::find_field_by_logical(logical)) props[f->hubspot] = value;
    inputs.emplace_back(json::object{{"id", u.customer_id}, {"properties", std::move(props)}});
  }
  return json::object{{"inputs", std::move(inputs)}};
}

crm::WriteResult parse_batch_update(unsigned status, const std::string& body,
                                    const std::vector<crm::FieldUpdate>& updates) {
  crm::WriteResult out;
  std::set<std::string> pending;
  for (const auto& u : updates) pending.insert(u.customer_id);
  if (status == 200 || status == 207) {
    boost::system::error_code ec;
    auto parsed = json::parse(body, ec);
    if (!ec && parsed.is_object()) {
      auto& o = parsed.as_object();
      if (auto* results = o.if_contains("results"); results && results->is_array())
        for (auto& r : results->as_array())
          if (r.is_object())
            if (auto* id = r.as_object().if_contains("id"); id && id->is_string()) {
              std::string s(id->as_string());
              if (pending.erase(s)) out.succeeded.push_back(s);
            }
      if (auto* errors = o.if_contains("errors"); errors && errors->is_array())
        for (auto& e : errors->as_array()) {
          if (!e.is_object()) continue;
          auto& eo = e.as_object();
          std::string msg = "HubSpot " + (eo.if_contains("category") && eo.at("category").is_string()
                                              ? std::string(eo.at("category").as_string()) : std::string("error"));
          if (auto* m = eo.if_contains("message"); m && m->is_string()) msg += ": " + std::string(m->as_string());
          auto* ctx = eo.if_contains("context");
          auto* ids = ctx && ctx->is_object() ? ctx->as_object().if_contains("ids") : nullptr;
          if (ids && ids->is_array())
            for (auto& id : ids->as_array())
              if (id.is_string() && pending.erase(std::string(id.as_string())))
                out.failed.push_back({std::string(id.as_string()), msg, false});
        }
    }
  }
  for (const auto& id : pending)
    out.failed.push_back({id, "HubSpot did not confirm this record in a " + std::to_string(status) + " response", true});
  return out;
}

std::string describe_error(unsigned status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return out + (body.empty() ? "" : " with a non-JSON body");
  auto& o = v.as_object();
  if (auto* c = o.if_contains("category"); c && c->is_string()) out += " " + std::string(c->as_string());
  if (auto* m = o.if_contains("message"); m && m->is_string()) out += ": " + std::string(m->as_string());
  return out;
}

std::string rate_limit_policy(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto* p = v.as_object().if_contains("policyName");
  return p && p->is_string() ? std::string(p->as_string()) : std::string();
}

}  // namespace cg::hubspot
