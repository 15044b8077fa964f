#include "config/config.hpp"
#include "config/yaml_reader.hpp"

#include <cmath>
#include <set>
#include <sys/stat.h>

#include <boost/url/parse.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cg::config {
namespace {

void read_secret(YamlReader& r, const std::string& key, SecretSource& out, bool required) {
  auto c = r.child(key, required);
  if (!c) return;
  c->read("env", out.env);
  c->read("file", out.file);
  c->finish();
  if (!out.configured()) r.fail(YAML::Node(), key, "needs 'env' (a variable name) or 'file' (a 0600 file)");
}

void read_hubspot(YamlReader& r, HubspotConfig& h) {
  r.read("base_url", h.base_url);
  r.read("api_version", h.api_version);
  r.read("object", h.object);
  read_secret(r, "token", h.token, true);
  r.read("ca_file", h.ca_file);
  r.read("properties", h.properties);
  r.read("search_requests_per_second", h.search_requests_per_second);
  r.read("webhook_url", h.webhook_url);
  read_secret(r, "client_secret", h.client_secret, false);
  r.read("max_attempts", h.max_attempts);
  r.read("retry_base_ms", h.retry_base_ms);
  r.read("timeout_ms", h.timeout_ms);
  r.finish();
}

void read_salesforce(YamlReader& r, SalesforceConfig& s) {
  r.read("login_url", s.login_url);
  r.read("api_version", s.api_version);
  r.read("object", s.object);
  r.read("auth", s.auth);
  r.read("client_id", s.client_id, true);
  r.read("username", s.username);
  read_secret(r, "private_key", s.private_key, false);
  read_secret(r, "client_secret", s.client_secret, false);
  r.read("ca_file", s.ca_file);
  r.read("fields", s.fields);
  r.read("bulk_threshold", s.bulk_threshold);
  r.read("max_attempts", s.max_attempts);
  r.read("retry_base_ms", s.retry_base_ms);
  r.read("limit_pause_ms", s.limit_pause_ms);
  r.read("limit_max_wait_minutes", s.limit_max_wait_minutes);
  r.read("bulk_poll_ms", s.bulk_poll_ms);
  r.read("timeout_ms", s.timeout_ms);
  read_secret(r, "webhook_token", s.webhook_token, false);
  r.finish();
}

void read_play(YamlReader& r, PlayConfig& p) {
  r.read("id", p.id, true);
  r.read("kind", p.kind, true);
  r.read("description", p.description);
  r.read("priority", p.priority);
  if (auto w = r.child("when")) {
    w->read("tiers", p.when.tiers);
    w->read("min_score", p.when.min_score);
    w->read("max_score", p.when.max_score);
    w->read("reasons_any", p.when.reasons_any);
    w->read("properties", p.when.properties);
    double sb = NAN, eb = NAN;
    w->read("sentiment_below", sb);
    w->read("engagement_below", eb);
    if (!std::isnan(sb)) p.when.sentiment_below = sb;
    if (!std::isnan(eb)) p.when.engagement_below = eb;
    w->finish();
  }
  if (auto o = r.child("offer")) {
    o->read("text", p.offer_text, true);
    o->read("value", p.offer_value);
    o->finish();
  }
  r.read("cooldown_days", p.cooldown_days);
  r.read("weekly_cap", p.weekly_cap);
  r.read("budget", p.budget);
  r.read("holdout", p.holdout);
  r.read("outcome_window_days", p.outcome_window_days);
  r.read("create_task", p.create_task);
  r.read("call_webhook", p.call_webhook);
  r.finish();
}

void read_model(YamlReader& r, ModelConfig& m) {
  if (auto l = r.child("label", true)) {
    l->read("renewal_types", m.label.renewal_types);
    l->read("property", m.label.property, m.label.renewal_types.empty());
    l->read("positive_values", m.label.positive_values);
    l->read("churn_date_property", m.label.churn_date_property);
    l->read("created_property", m.label.created_property);
    l->read("horizon_days", m.label.horizon_days);
    l->read("snapshot_every_days", m.label.snapshot_every_days);
    l->read("snapshots", m.label.snapshots);
    l->finish();
  }
  r.read("numeric_properties", m.numeric_properties);
  r.read("categorical_properties", m.categorical_properties);
  for (auto& d : r.children("derived_properties")) {
    auto& x = m.derived_properties.emplace_back();
    d.read("name", x.name, true);
    std::string one;
    d.read("log", one);
    if (!one.empty()) x = {x.name, "log", {one}};
    for (const char* op : {"sum", "ratio"}) {
      std::vector<std::string> of;
      d.read(op, of);
      if (of.empty()) continue;
      if (!x.op.empty()) d.fail(YAML::Node(YAML::NodeType::Undefined), op, "give one of sum, ratio or log, not two");
      x.op = op;
      x.of = std::move(of);
    }
    if (x.op.empty()) d.fail(YAML::Node(YAML::NodeType::Undefined), "sum", "missing: a derived property needs one of sum: [..], ratio: [a, b] or log: a");
    d.finish();
  }
  r.read("candidates", m.candidates);
  r.read("calibration", m.calibration);
  r.read("validation_share", m.validation_share);
  r.read("test_share", m.test_share);
  r.read("seed", m.seed);
  r.read("rounds", m.rounds);
  r.read("max_training_customers", m.max_training_customers);
  r.read("retrain_interval_hours", m.retrain_interval_hours);
  r.read("max_depth", m.max_depth);
  r.read("learning_rate", m.learning_rate);
  r.read("interactions", m.interactions);
  if (auto t = r.child("tiers")) {
    t->read("medium", m.tiers.medium);
    t->read("high", m.tiers.high);
    t->read("critical", m.tiers.critical);
    t->finish();
  }
  // A phrase is a string, or {one: ..., other: ...} where a value of 1 reads differently.
  if (auto phrases = r.child("reason_phrases")) {
    for (const auto& name : phrases->keys()) {
      auto& phrase = m.reason_phrases[name];
      if (auto forms = phrases->child_if_map(name)) {
        forms->read("other", phrase.other, true);
        forms->read("one", phrase.one);
        forms->finish();
      } else {
        phrases->read(name, phrase.other, true);
      }
    }
    phrases->finish();
  }
  r.finish();
}

// Checks that need the whole struct; each names the key it is about.
void validate(const Config& c, const YAML::Node& root, YamlReader& r) {
  auto bad = [&](const std::string& key, const std::string& msg) { r.fail(root, key, msg); };
  if (c.crm != "hubspot" && c.crm != "salesforce") bad("crm", "must be 'hubspot' or 'salesforce', got '" + c.crm + "'");
  if (c.crm == "salesforce") {
    const auto& s = c.salesforce;
    auto lu = boost::urls::parse_absolute_uri(s.login_url);
    if (!lu || lu->scheme() != "https" || lu->host().empty())
      bad("salesforce.login_url", "must be an https:// URL (login.salesforce.com, test.salesforce.com or My Domain), got '" +
                                      s.login_url + "'");
    if (s.object != "Account" && s.object != "Contact") bad("salesforce.object", "must be Account or Contact");
    if (s.api_version.size() != 4 || s.api_version[2] != '.' || s.api_version < "58.0")
      bad("salesforce.api_version", "must be a version like 62.0 (58.0 or newer), got '" + s.api_version + "'");
    if (s.auth == "jwt") {
      if (s.username.empty()) bad("salesforce.username", "the JWT bearer flow needs the integration user's username");
      if (!s.private_key.configured()) bad("salesforce.private_key", "the JWT bearer flow needs the app's private key (file: or env:)");
    } else if (s.auth == "client_credentials") {
      if (!s.client_secret.configured()) bad("salesforce.client_secret", "client credentials need the app's secret (file: or env:)");
      if (s.login_url.find("login.salesforce.com") != std::string::npos || s.login_url.find("test.salesforce.com") != std::string::npos)
        bad("salesforce.login_url", "the client credentials flow works only on the org's My Domain URL");
    } else {
      bad("salesforce.auth", "must be jwt or client_credentials");
    }
    if (s.bulk_threshold < 201) bad("salesforce.bulk_threshold", "must be more than 200 (below it, collections are cheaper)");
    if (s.max_attempts < 1 || s.max_attempts > 20) bad("salesforce.max_attempts", "must be between 1 and 20");
    if (s.limit_pause_ms < 10) bad("salesforce.limit_pause_ms", "must be at least 10");
  }
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
    bad("log_level", "must be debug, info, warn or error");
  auto url = boost::urls::parse_absolute_uri(c.hubspot.base_url);
  if (!url || url->scheme() != "https" || url->host().empty())
    bad("hubspot.base_url", "must be an https:// URL, got '" + c.hubspot.base_url + "'");
  if (c.hubspot.object != "companies" && c.hubspot.object != "contacts")
    bad("hubspot.object", "must be companies or contacts");
  if (c.hubspot.api_version != "v3" &&
      !(c.hubspot.api_version.size() == 7 && c.hubspot.api_version[4] == '-'))
    bad("hubspot.api_version", "must be v3 or a dated version like 2026-09");
  if (c.hubspot.search_requests_per_second < 1)
    bad("hubspot.search_requests_per_second", "must be at least 1");
  if (c.hubspot.max_attempts < 1 || c.hubspot.max_attempts > 20) bad("hubspot.max_attempts", "must be between 1 and 20");
  if (c.hubspot.retry_base_ms < 1 || c.hubspot.retry_base_ms > 60000) bad("hubspot.retry_base_ms", "must be between 1 and 60000");
  if (c.hubspot.timeout_ms < 100 || c.hubspot.timeout_ms > 600000) bad("hubspot.timeout_ms", "must be between 100 and 600000");
  if (c.salesforce.timeout_ms < 100 || c.salesforce.timeout_ms > 600000)
    bad("salesforce.timeout_ms", "must be between 100 and 600000");
  if (!c.hubspot.webhook_url.empty() != c.hubspot.client_secret.configured())
    bad("hubspot.webhook_url", "webhooks need both hubspot.webhook_url and hubspot.client_secret");
  if (!c.hubspot.webhook_url.empty()) {
    auto wu = boost::urls::parse_absolute_uri(c.hubspot.webhook_url);
    if (!wu || (wu->scheme() != "https" && wu->scheme() != "http"))
      bad("hubspot.webhook_url", "must be the absolute URL HubSpot calls, e.g. https://cg.example.com/webhooks/hubspot");
  }
  if (c.api.max_body_bytes < 1024 || c.api.max_body_bytes > (64 << 20)) bad("api.max_body_bytes", "must be between 1 KiB and 64 MiB");
  const auto& m = c.model;
  std::set<std::string> taken(m.numeric_properties.begin(), m.numeric_properties.end());
  taken.insert(m.categorical_properties.begin(), m.categorical_properties.end());
  for (std::size_t i = 0; i < m.derived_properties.size(); ++i) {
    const auto& d = m.derived_properties[i];
    const std::string key = "model.derived_properties[" + std::to_string(i) + "]";
    if (!taken.insert(d.name).second)
      bad(key + ".name", "'" + d.name + "' is already a property or derived name");
    if (auto e = derived_form_error(d); !e.empty()) bad(key + "." + d.op, e);
    for (const auto& p : d.of)
      if (p.empty()) bad(key + "." + d.op, "has an empty property name");
  }
  if (m.candidates.empty()) bad("model.candidates", "must name at least one algorithm");
  for (const auto& a : m.candidates)
    if (!known_algorithm(a)) bad("model.candidates", "'" + a + "' is not " + algorithm_names());
  if (m.calibration != "auto" && m.calibration != "platt" && m.calibration != "isotonic" && m.calibration != "none")
    bad("model.calibration", "must be auto, platt, isotonic or none");
  if (!(m.validation_share >= 0.05 && m.validation_share <= 0.5)) bad("model.validation_share", "must be in [0.05, 0.5]");
  if (!(m.test_share >= 0.05 && m.test_share <= 0.5)) bad("model.test_share", "must be in [0.05, 0.5]");
  if (!m.label.renewal_types.empty() && !m.label.churn_date_property.empty())
    bad("model.label.renewal_types", "give renewal_types or churn_date_property, not both");
  for (const auto& t : m.label.renewal_types)
    if (t.empty()) bad("model.label.renewal_types", "has an empty type");
  if (m.label.horizon_days < 1 || m.label.horizon_days > 730) bad("model.label.horizon_days", "must be between 1 and 730");
  if (m.label.snapshot_every_days < 1) bad("model.label.snapshot_every_days", "must be at least 1");
  if (m.label.snapshots < 2 || m.label.snapshots > 120) bad("model.label.snapshots", "must be between 2 and 120");
  if (m.rounds < 1 || m.rounds > 5000) bad("model.rounds", "must be between 1 and 5000");
  if (m.max_training_customers < 1000) bad("model.max_training_customers", "must be at least 1000");
  if (m.retrain_interval_hours < 1) bad("model.retrain_interval_hours", "must be at least 1");
  if (m.max_depth < 1 || m.max_depth > 16) bad("model.max_depth", "must be between 1 and 16");
  if (!(m.learning_rate > 0 && m.learning_rate <= 1)) bad("model.learning_rate", "must be in (0, 1]");
  if (m.interactions < 0 || m.interactions > 200) bad("model.interactions", "must be between 0 and 200");
  if (!(0 < m.tiers.medium && m.tiers.medium < m.tiers.high && m.tiers.high < m.tiers.critical &&
        m.tiers.critical <= 100))
    bad("model.tiers", "must satisfy 0 < medium < high < critical <= 100");
  if (c.writeback.min_score_change < 1) bad("writeback.min_score_change", "must be at least 1");
  if (c.writeback.max_attempts < 1) bad("writeback.max_attempts", "must be at least 1");
  if (c.schedule.interval_seconds < 10) bad("schedule.interval_seconds", "must be at least 10");
  std::set<std::string> play_ids;
  for (std::size_t i = 0; i < c.plays.size(); ++i) {
    const auto& p = c.plays[i];
    const std::string at = "plays[" + std::to_string(i) + "]";
    if (p.id.empty() || p.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
      bad(at + ".id", "must be lower-case letters, digits, '-' or '_'");
    if (!play_ids.insert(p.id).second) bad(at + ".id", "'" + p.id + "' is used by another play");
    if (p.kind != "offer" && p.kind != "survey" && p.kind != "proactive_support" && p.kind != "loyalty_reward")
      bad(at + ".kind", "must be offer, survey, proactive_support or loyalty_reward");
    if ((p.kind == "offer" || p.kind == "loyalty_reward") && p.offer_text.empty())
      bad(at + ".offer", "an " + p.kind + " play needs offer.text (and offer.value for its cost)");
    if (!(p.holdout >= 0.01 && p.holdout <= 0.5)) bad(at + ".holdout", "must be between 0.01 and 0.5");
    if (p.cooldown_days < 0) bad(at + ".cooldown_days", "must not be negative");
    if (p.outcome_window_days < 1) bad(at + ".outcome_window_days", "must be at least 1");
    if (p.when.min_score > p.when.max_score) bad(at + ".when", "min_score is above max_score");
    for (const auto& t : p.when.tiers)
      if (t != "low" && t != "medium" && t != "high" && t != "critical") bad(at + ".when.tiers", "'" + t + "' is not a tier");
    if (p.call_webhook && c.plays_settings.webhook_url.empty())
      bad(at + ".call_webhook", "needs plays_settings.webhook_url and plays_settings.webhook_secret");
  }
  if (!c.plays_settings.webhook_url.empty()) {
    auto wu = boost::urls::parse_absolute_uri(c.plays_settings.webhook_url);
    if (!wu || wu->scheme() != "https") bad("plays_settings.webhook_url", "must be an https:// URL");
    if (!c.plays_settings.webhook_secret.configured()) bad("plays_settings.webhook_secret", "signing needs a secret");
  }
}

}  // namespace

std::string Config::state_path(const std::string& p) const {
  if (p.empty() || p[0] == '/') return p;
  return state_dir + "/" + p;
}

Result<Config> parse_config(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::config, source + ":" + std::to_string(e.mark.line + 1) + ":" +
                                             std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) return make_error(ErrorKind::config, source + ": the top level must be a mapping");

  Config c;
  c.source = source;
  YamlReader r(source, root, "");
  r.read("crm", c.crm);
  r.read("state_dir", c.state_dir);
  r.read("log_level", c.log_level);
  if (auto h = r.child("hubspot", c.crm == "hubspot")) read_hubspot(*h, c.hubspot);
  for (auto& p : r.children("plays")) {
    c.plays.emplace_back();
    read_play(p, c.plays.back());
  }
  if (auto s = r.child("plays_settings")) {
    s->read("salt", c.plays_settings.salt);
    s->read("webhook_url", c.plays_settings.webhook_url);
    read_secret(*s, "webhook_secret", c.plays_settings.webhook_secret, false);
    s->read("webhook_ca_file", c.plays_settings.webhook_ca_file);
    s->finish();
  }
  if (auto s = r.child("salesforce", c.crm == "salesforce")) read_salesforce(*s, c.salesforce);
  if (auto s = r.child("store")) {
    s->read("path", c.store.path);
    s->finish();
  }
  if (auto s = r.child("sentiment")) {
    s->read("model_path", c.sentiment.model_path);
    s->finish();
  }
  if (auto m = r.child("model", true)) read_model(*m, c.model);
  if (auto w = r.child("writeback")) {
    w->read("enabled", c.writeback.enabled);
    w->read("min_score_change", c.writeback.min_score_change);
    w->read("overwrite_human_edits", c.writeback.overwrite_human_edits);
    w->read("max_attempts", c.writeback.max_attempts);
    w->finish();
  }
  if (auto h = r.child("http")) {
    h->read("listen_address", c.http.listen_address);
    int port = c.http.port;
    h->read("port", port);
    if (port < 1 || port > 65535) h->fail(YAML::Node(), "port", "must be 1..65535");
    c.http.port = static_cast<std::uint16_t>(port);
    h->read("dashboard_dir", c.http.dashboard_dir);
    h->read("segment_property", c.http.segment_property);
    h->finish();
  }
  if (auto a = r.child("api")) {
    read_secret(*a, "token", c.api.token, false);
    a->read("max_body_bytes", c.api.max_body_bytes);
    a->finish();
  }
  if (auto s = r.child("schedule")) {
    s->read("interval_seconds", c.schedule.interval_seconds);
    s->finish();
  }
  r.finish();
  if (r.ok()) validate(c, root, r);
  if (!r.ok()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return make_error(ErrorKind::config, all);
  }
  if (c.store.path.empty()) c.store.path = "churnguard.db";
  if (c.sentiment.model_path.empty()) c.sentiment.model_path = "sentiment.ftz";
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::config, path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

Result<Secret> resolve_secret(const SecretSource& src, const std::string& what) {
  if (!src.env.empty()) {
    const char* v = std::getenv(src.env.c_str());
    if (!v || !*v)
      return make_error(ErrorKind::config, what + ": environment variable " + src.env + " is not set");
    return Secret(v);
  }
  if (src.file.empty()) return make_error(ErrorKind::config, what + ": no secret source configured");
  struct stat st{};
  if (::stat(src.file.c_str(), &st) != 0)
    return make_error(ErrorKind::config, what + ": secret file " + src.file + " does not exist");
  if (st.st_mode & 077)
    return make_error(ErrorKind::config, what + ": secret file " + src.file +
                                             " is readable by group or others; chmod 600 it");
  std::ifstream in(src.file);
  std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) value.pop_back();
  if (value.empty()) return make_error(ErrorKind::config, what + ": secret file " + src.file + " is empty");
  return Secret(std::move(value));
}

}  // namespace cg::config

namespace cg::config {

Result<void> check_secrets(const Config& c) {
  std::vector<std::pair<const SecretSource*, std::string>> wanted;
  if (c.crm == "hubspot") {
    wanted.emplace_back(&c.hubspot.token, "hubspot.token");
    if (c.hubspot.client_secret.configured()) wanted.emplace_back(&c.hubspot.client_secret, "hubspot.client_secret");
  } else {
    if (c.salesforce.private_key.configured()) wanted.emplace_back(&c.salesforce.private_key, "salesforce.private_key");
    if (c.salesforce.client_secret.configured()) wanted.emplace_back(&c.salesforce.client_secret, "salesforce.client_secret");
    if (c.salesforce.webhook_token.configured()) wanted.emplace_back(&c.salesforce.webhook_token, "salesforce.webhook_token");
  }
  if (c.api.token.configured()) wanted.emplace_back(&c.api.token, "api.token");
  if (c.plays_settings.webhook_secret.configured())
    wanted.emplace_back(&c.plays_settings.webhook_secret, "plays_settings.webhook_secret");
  for (const auto& [src, what] : wanted)
    if (auto s = resolve_secret(*src, what); !s) return s.error();
  return {};
}

}  // namespace cg::config
