#pragma once
// The typed configuration: parsed and validated once at load, then passed by const reference.
// Nothing downstream re-reads YAML or re-checks what load_config has already checked.
#include "daemon/core/algorithms.hpp"
#include "daemon/core/error.hpp"
#include "daemon/core/secret.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cg::config {

// Where a secret comes from; literal secrets in the YAML are refused.
struct SecretSource {
  std::string env;   // name of an environment variable
  std::string file;  // path of a file with mode 0600 or stricter
  [[nodiscard]] bool configured() const { return !env.empty() || !file.empty(); }
};

struct HubspotConfig {
  std::string base_url = "https://api.hubapi.com";
  std::string api_version = "v3";   // "v3" or a dated version such as "2026-09"
  std::string object = "companies"; // customer object: companies or contacts
  SecretSource token;
  std::string ca_file;              // extra CA to trust (the simulator's); system CAs otherwise
  std::vector<std::string> properties;  // customer properties to sync besides the defaults
  int search_requests_per_second = 5;
  // Webhooks: the URL exactly as configured in the HubSpot app (it is part of the signature),
  // and the app's client secret. Both empty: the webhook endpoint answers 503.
  std::string webhook_url;
  SecretSource client_secret;
  int max_attempts = 8;       // per call, for 5xx, 423 and network failures
  int retry_base_ms = 500;    // first backoff; doubles per attempt (jittered), capped at 30 s
  int timeout_ms = 30'000;    // per call: connect, send and read the whole answer
};

// Salesforce org (crm: salesforce). Auth is the OAuth 2.0 JWT bearer flow (recommended: no
// secret stored, only the app's private key) or client credentials on the My Domain host.
struct SalesforceConfig {
  std::string login_url = "https://login.salesforce.com";  // test.salesforce.com or My Domain
  std::string api_version = "62.0";
  std::string object = "Account";     // customer object: Account or Contact
  std::string auth = "jwt";           // jwt | client_credentials
  std::string client_id;              // the connected app's consumer key
  std::string username;               // jwt: the integration user
  SecretSource private_key;           // jwt: PEM RSA key
  SecretSource client_secret;         // client_credentials
  std::string ca_file;
  std::vector<std::string> fields;    // business fields to sync (API names), e.g. Tenure_Months__c
  int bulk_threshold = 2000;          // at or above this many changed records, one Bulk API 2.0 job
  int max_attempts = 6;
  int retry_base_ms = 500;
  int limit_pause_ms = 60'000;        // first pause after REQUEST_LIMIT_EXCEEDED (doubles, max 15 min)
  int limit_max_wait_minutes = 360;   // then the run stops and resumes from its watermark next time
  int bulk_poll_ms = 2'000;
  int timeout_ms = 60'000;            // per call: connect, send and read the whole answer
  // Near-real-time changes: a Flow HTTP callout or platform-event relay POSTs record ids to
  // /webhooks/salesforce with this bearer token (a Named Credential holds it on the Salesforce
  // side). Unset: the endpoint answers 503.
  SecretSource webhook_token;
};

struct StoreConfig {
  std::string path;  // SQLite file; relative paths are under state_dir
};

struct SentimentConfig {
  std::string model_path;  // fastText .ftz/.bin
};

struct TierThresholds {
  int medium = 30, high = 50, critical = 70;  // scores at or above are that tier
};

// The churn signal. With `churn_date_property` or `renewal_types` set, training is time-aware:
// snapshots at `snapshot_every_days` intervals, features as of each snapshot, label = churned
// within `horizon_days` after it. Without either, the label is the current value of `property`
// and training is cross-sectional (said so in the model report).
struct LabelConfig {
  std::string property;                          // customer property holding the churn outcome
  std::vector<std::string> positive_values{"true", "yes", "1"};
  std::string churn_date_property;               // ISO date/time or epoch ms of the churn
  // Deal types (HubSpot dealtype) or opportunity types (Salesforce Type) that are renewals: a
  // customer churned on the close date of its first renewal that closed lost.
  std::vector<std::string> renewal_types;
  std::string created_property;                  // when the customer started (no row before it)
  int horizon_days = 90;
  int snapshot_every_days = 30;
  int snapshots = 12;
};

// A numeric feature computed from numeric properties: op "sum" (of two or more), "ratio" (of two)
// or "log" (log(1 + x) of one). YAML: `- {name: total_charge, sum: [day_charge, eve_charge]}`.
struct DerivedProperty {
  std::string name, op;
  std::vector<std::string> of;
};

// What is wrong with a derived property's form (its op and how many properties it takes), or ""
// when nothing is. Checked when the config loads and when a stored model's features load.
inline std::string derived_form_error(const DerivedProperty& d) {
  if (d.op == "sum") return d.of.size() < 2 ? "must list at least two properties" : "";
  if (d.op == "ratio") return d.of.size() != 2 ? "must list exactly two properties: [numerator, denominator]" : "";
  if (d.op == "log") return d.of.size() != 1 ? "must name exactly one property" : "";
  return "'" + d.op + "' is not sum, ratio or log";
}

// How one reason reads. "{value}" in it is the customer's value. `one`, when given, is the form
// for a value of exactly 1 ("Customer for only 1 month"), `other` the form for every other value.
struct ReasonPhrase {
  std::string other, one;
  ReasonPhrase() = default;
  ReasonPhrase(std::string other_form, std::string one_form = {})  // NOLINT: a plain string is a phrase
      : other(std::move(other_form)), one(std::move(one_form)) {}
  ReasonPhrase(const char* other_form) : other(other_form) {}  // NOLINT
  bool operator==(const ReasonPhrase&) const = default;
};

struct ModelConfig {
  LabelConfig label;
  std::vector<std::string> numeric_properties;
  std::vector<std::string> categorical_properties;
  std::vector<DerivedProperty> derived_properties;
  // trained and compared on the same validation rows; the best PR-AUC (then log loss) wins
  std::vector<std::string> candidates = all_algorithms();
  std::string calibration = "auto";  // auto | platt | isotonic | none
  double validation_share = 0.2;     // early stopping, model choice and calibration
  double test_share = 0.2;           // untouched until the final report and the active-model comparison
  int seed = 42;
  int rounds = 500;                  // upper bound for boosting; early stopping picks the count
  // Larger books are trained on a seeded random sample of this many customers, which bounds the
  // memory and time of training; every customer is still scored.
  int max_training_customers = 20'000;
  int retrain_interval_hours = 24;  // `run` and `serve` retrain when the active model is older
  int max_depth = 4;
  double learning_rate = 0.05;
  int interactions = 10;  // explainable_boosting: the most column pairs it models
  TierThresholds tiers;
  // feature or property name -> how its reason reads
  std::map<std::string, ReasonPhrase> reason_phrases;
};

struct WritebackConfig {
  bool enabled = true;
  int min_score_change = 1;
  bool overwrite_human_edits = false;
  int max_attempts = 5;
};

struct HttpConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 8787;
  // The dashboard's static files (built from ui_extension/dashboard); absent: `/` shows the
  // plain status page. The dashboard reads /api/v1 with the api.token the user types in.
  std::string dashboard_dir = "/usr/share/churnguard/dashboard";
  std::string segment_property;  // risk by segment; default: the first categorical model property
};

// The daemon's own JSON API (product-usage events). No token configured: the API answers 503.
struct ApiConfig {
  SecretSource token;
  int max_body_bytes = 4 << 20;
};

// A retention play: who it targets, what it does, how often, and its control group.
struct PlayCondition {
  std::vector<std::string> tiers;            // any of; empty = any tier
  int min_score = 0, max_score = 100;
  std::vector<std::string> reasons_any;      // a reason containing any of these (case-insensitive)
  std::optional<double> sentiment_below;     // support sentiment under this
  std::optional<double> engagement_below;    // engagement index under this
  std::map<std::string, std::string> properties;  // customer property equals value
};

struct PlayConfig {
  std::string id;                            // stable: it salts the arm hash and keys the records
  std::string kind;                          // offer | survey | proactive_support | loyalty_reward
  std::string description;
  int priority = 0;                          // higher wins when several match
  PlayCondition when;
  std::string offer_text;                    // offer, loyalty_reward: what the customer is offered
  double offer_value = 0;                    // its cost, counted against the budget
  int cooldown_days = 30;                    // no re-enrolment in this play within
  int weekly_cap = 0;                        // enrolments per rolling 7 days (0 = none)
  double budget = 0;                         // total offer value for treated customers (0 = none)
  double holdout = 0.10;                     // share kept as the control group
  int outcome_window_days = 90;              // churned or retained, counted at the end of it
  bool create_task = true;                   // a CRM task for the record owner (treatment only)
  bool call_webhook = false;                 // POST plays.webhook_url (treatment only)
};

struct PlaysSettings {
  std::string salt = "churnguard";           // change it only to start every experiment afresh
  std::string webhook_url;                   // https; body signed with HMAC-SHA256
  SecretSource webhook_secret;
  std::string webhook_ca_file;               // extra CA for the webhook receiver (a private CA)
};

struct ScheduleConfig {
  int interval_seconds = 900;  // serve: full pipeline every interval
};

struct Config {
  std::string source;     // file the config was read from, for messages
  std::string crm = "hubspot";
  std::string state_dir = "/var/lib/churnguard";
  std::string log_level = "info";
  HubspotConfig hubspot;
  SalesforceConfig salesforce;
  StoreConfig store;
  SentimentConfig sentiment;
  ModelConfig model;
  WritebackConfig writeback;
  HttpConfig http;
  ApiConfig api;
  ScheduleConfig schedule;
  std::vector<PlayConfig> plays;
  PlaysSettings plays_settings;

  // A path from the config, resolved against state_dir when relative.
  [[nodiscard]] std::string state_path(const std::string& p) const;
};

// Reads and validates a YAML file. Errors read "file:line:column: key.path: what is wrong".
[[nodiscard]] Result<Config> load_config(const std::string& path);
[[nodiscard]] Result<Config> parse_config(const std::string& yaml_text, const std::string& source_name);

// Resolves a secret from its source; the file must not be readable by group or others.
[[nodiscard]] Result<Secret> resolve_secret(const SecretSource& src, const std::string& what);
// Resolves every secret the configured CRM and API need (files exist, are 0600, are not empty).
[[nodiscard]] Result<void> check_secrets(const Config& c);

}  // namespace cg::config
