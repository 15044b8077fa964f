#include "daemon/store/store.hpp"

#include "daemon/core/clock.hpp"
#include "daemon/store/bind.hpp"
#include "daemon/store/migrations.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>

namespace cg::store {
static_assert(migrations.size() == schema_version, "one migration per schema version");
namespace json = boost::json;
using detail::bind_all;
using detail::exec_row;

namespace {

std::string to_json(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return json::serialize(o);
}

std::map<std::string, std::string> from_json(const std::string& s) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec || !v.is_object()) return out;
  for (auto& [k, val] : v.as_object())
    if (val.is_string()) out[std::string(k)] = std::string(val.as_string());
  return out;
}

Error store_error(const std::string& during, const std::exception& e) {
  return make_error(ErrorKind::store, during + ": " + e.what());
}

}  // namespace

namespace {
constexpr const char* activity_select =
    "SELECT a.id, a.kind, a.customer_id, a.occurred_ms, a.closed_ms, t.sentiment, a.value FROM activities a "
    "LEFT JOIN texts t ON t.activity_id = a.id ";

Activity read_activity(SQLite::Statement& q) {
  Activity a{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64()};
  if (!q.getColumn(4).isNull()) a.closed_ms = q.getColumn(4).getInt64();
  if (!q.getColumn(5).isNull()) a.sentiment = q.getColumn(5).getDouble();
  if (!q.getColumn(6).isNull()) a.value = q.getColumn(6).getDouble();
  return a;
}

// The columns read_score reads, in its order.
constexpr const char* score_columns =
    "customer_id, scored_ms, model_id, probability, score, tier, reasons, sentiment, engagement";

Score read_score(SQLite::Statement& q) {
  Score s;
  s.customer_id = q.getColumn(0).getString();
  s.scored_ms = q.getColumn(1).getInt64();
  s.model_id = q.getColumn(2).getInt64();
  s.probability = q.getColumn(3).getDouble();
  s.score = q.getColumn(4).getInt();
  s.tier = q.getColumn(5).getString();
  s.reasons = q.getColumn(6).getString();
  if (!q.getColumn(7).isNull()) s.sentiment = q.getColumn(7).getDouble();
  if (!q.getColumn(8).isNull()) s.engagement = q.getColumn(8).getDouble();
  return s;
}

Customer read_customer(SQLite::Statement& q) {
  return {q.getColumn(0).getString(), q.getColumn(1).getString(), from_json(q.getColumn(2).getString()),
          from_json(q.getColumn(3).getString()), q.getColumn(4).getInt64()};
}
}  // namespace

Store::Store(std::unique_ptr<SQLite::Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& path) {
  try {
    if (path != ":memory:") {
      // Create the file 0600 ourselves: SQLite would honour the umask, often 0644.
      int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
      if (fd < 0) return make_error(ErrorKind::store, "cannot open the store " + path + ": " + std::strerror(errno));
      // An older or hand-made file may be readable by others: customer data is not. SQLite
      // gives its -wal and -shm files the same mode.
      if (::fchmod(fd, 0600) != 0) {
        ::close(fd);
        return make_error(ErrorKind::store, "cannot make the store " + path + " private (chmod 600): " + std::strerror(errno));
      }
      ::close(fd);
    }
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    db->setBusyTimeout(5000);
    std::unique_ptr<Store> s(new Store(std::move(db)));
    if (auto m = s->migrate(); !m) return m.error();
    return s;
  } catch (const std::exception& e) {
    return store_error("opening the store " + path, e);
  }
}

int Store::version() const { return db_->execAndGet("PRAGMA user_version").getInt(); }

Result<void> Store::migrate() {
  int v = version();
  if (v > schema_version)
    return make_error(ErrorKind::store, "the store has schema version " + std::to_string(v) +
                                            ", newer than this churnguard (" + std::to_string(schema_version) +
                                            "); upgrade churnguard instead of downgrading");
  for (; v < schema_version; ++v) {
    try {
      SQLite::Transaction tx(*db_);
      db_->exec(std::string(migrations[v]));
      db_->exec("PRAGMA user_version=" + std::to_string(v + 1));
      tx.commit();
    } catch (const std::exception& e) {
      return store_error("migrating the store to version " + std::to_string(v + 1), e);
    }
  }
  return {};
}

Result<void> Store::store_batch(const std::string& object, const crm::PullBatch& batch) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement cust(*db_,
                           "INSERT INTO customers(id, name, properties, crm_fields, modified_ms, archived, owner_id) "
                           "VALUES(?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET name=excluded.name, "
                           "properties=excluded.properties, crm_fields=excluded.crm_fields, "
                           "modified_ms=excluded.modified_ms, archived=excluded.archived, owner_id=excluded.owner_id");
    for (const auto& c : batch.customers)
      exec_row(cust, c.id, c.name, to_json(c.properties), to_json(c.churnguard), c.modified_ms, c.archived, c.owner_id);
    SQLite::Statement act(*db_,
                          "INSERT INTO activities(id, kind, customer_id, occurred_ms, closed_ms, properties, modified_ms, value) "
                          "VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id, "
                          "occurred_ms=excluded.occurred_ms, closed_ms=excluded.closed_ms, "
                          "properties=excluded.properties, modified_ms=excluded.modified_ms, value=excluded.value");
    // A text keeps its sentiment unless its body changed.
    SQLite::Statement txt(*db_,
                          "INSERT INTO texts(id, activity_id, customer_id, body) VALUES(?,?,?,?) "
                          "ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id, body=excluded.body, "
                          "sentiment=CASE WHEN texts.body=excluded.body THEN texts.sentiment END, "
                          "sentiment_model=CASE WHEN texts.body=excluded.body THEN texts.sentiment_model END");
    for (const auto& a : batch.activities) {
      exec_row(act, a.id, a.kind, a.customer_id, a.occurred_ms, a.closed_ms, to_json(a.properties), a.modified_ms, a.value);
      // The body carries the customer's words; a subject is often a template line.
      const std::string& body = a.body.empty() ? a.subject : a.body;
      // Only what the customer wrote has a sentiment worth scoring: tickets and replies.
      if (body.empty() || (a.kind != "ticket" && a.kind != "email_in" && a.kind != "comment")) continue;
      exec_row(txt, a.kind + ":" + a.id, a.id, a.customer_id, body);
    }
    SQLite::Statement con(*db_,
                          "INSERT INTO contacts(id, customer_id, properties, modified_ms, email_delivered, email_opened) "
                          "VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET customer_id=excluded.customer_id, "
                          "properties=excluded.properties, modified_ms=excluded.modified_ms, "
                          "email_delivered=excluded.email_delivered, email_opened=excluded.email_opened");
    for (const auto& c : batch.contacts)
      exec_row(con, c.id, c.customer_id, to_json(c.properties), c.modified_ms, c.email_delivered, c.email_opened);
    advance(object, batch.watermark_ms);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("storing a page of " + object, e);
  }
}

void Store::advance(const std::string& object, std::int64_t ms) {
  SQLite::Statement wm(*db_,
                       "INSERT INTO sync_state(object, watermark_ms, updated_ms) VALUES(?,?,?) "
                       "ON CONFLICT(object) DO UPDATE SET watermark_ms=max(watermark_ms, excluded.watermark_ms), "
                       "updated_ms=excluded.updated_ms");
  exec_row(wm, object, ms, SystemClock{}.now_ms());
}

Result<void> Store::advance_watermark(const std::string& object, std::int64_t ms) {
  try {
    advance(object, ms);
    return {};
  } catch (const std::exception& e) {
    return store_error("advancing the watermark of " + object, e);
  }
}

std::int64_t Store::watermark(const std::string& object) const {
  SQLite::Statement q(*db_, "SELECT watermark_ms FROM sync_state WHERE object=?");
  q.bind(1, object);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

std::vector<Customer> Store::customers() const {
  std::vector<Customer> out;
  SQLite::Statement q(*db_, "SELECT id, name, properties, crm_fields, modified_ms FROM customers WHERE archived=0 ORDER BY id");
  while (q.executeStep()) out.push_back(read_customer(q));
  return out;
}

std::vector<std::string> Store::customer_ids() const {
  std::vector<std::string> out;
  SQLite::Statement q(*db_, "SELECT id FROM customers WHERE archived=0 ORDER BY id");
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::vector<Activity> Store::activities() const {
  std::vector<Activity> out;
  SQLite::Statement q(*db_, std::string(activity_select) + "ORDER BY a.customer_id, a.occurred_ms");
  while (q.executeStep()) out.push_back(read_activity(q));
  return out;
}

std::vector<Activity> Store::activities_of(const std::set<std::string>& ids) const {
  std::vector<Activity> out;
  SQLite::Statement q(*db_, std::string(activity_select) + "WHERE a.customer_id = ? ORDER BY a.occurred_ms");
  for (const auto& id : ids) {
    q.bind(1, id);
    while (q.executeStep()) out.push_back(read_activity(q));
    q.reset();
  }
  return out;
}

std::vector<Customer> Store::customers_of(const std::set<std::string>& ids) const {
  std::vector<Customer> out;
  SQLite::Statement q(*db_, "SELECT id, name, properties, crm_fields, modified_ms FROM customers WHERE archived=0 AND id=?");
  for (const auto& id : ids) {
    q.bind(1, id);
    if (q.executeStep()) out.push_back(read_customer(q));
    q.reset();
  }
  return out;
}

std::map<std::string, std::string> Store::owners_of(const std::set<std::string>& ids) const {
  std::map<std::string, std::string> out;
  SQLite::Statement q(*db_, "SELECT owner_id FROM customers WHERE id=? AND owner_id <> ''");
  for (const auto& id : ids) {
    q.bind(1, id);
    if (q.executeStep()) out[id] = q.getColumn(0).getString();
    q.reset();
  }
  return out;
}

Result<void> Store::replace_owners(const std::vector<crm::Owner>& owners, std::int64_t now_ms) {
  try {
    SQLite::Transaction tx(*db_);
    db_->exec("DELETE FROM owners");
    SQLite::Statement ins(*db_, "INSERT OR REPLACE INTO owners(id, name, active, refreshed_ms) VALUES(?,?,?,?)");
    for (const auto& o : owners) exec_row(ins, o.id, o.name, o.active, now_ms);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("storing the CRM's owners", e);
  }
}

std::map<std::string, crm::Owner> Store::owner_details(const std::set<std::string>& owner_ids) const {
  std::map<std::string, crm::Owner> out;
  SQLite::Statement q(*db_, "SELECT name, active FROM owners WHERE id=?");
  for (const auto& id : owner_ids) {
    q.bind(1, id);
    if (q.executeStep()) out[id] = crm::Owner{id, q.getColumn(0).getString(), q.getColumn(1).getInt() != 0};
    q.reset();
  }
  return out;
}

std::set<std::string> Store::unknown_owners(const std::set<std::string>& owner_ids) const {
  std::set<std::string> out;
  const auto known = owner_details(owner_ids);
  for (const auto& id : owner_ids)
    if (!known.count(id)) out.insert(id);
  return out;
}

std::optional<std::int64_t> Store::owners_refreshed_ms() const {
  SQLite::Statement q(*db_, "SELECT max(refreshed_ms) FROM owners");
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getInt64();
}

std::map<std::string, double> Store::usage_counts_since(std::int64_t since_ms) const {
  std::map<std::string, double> out;
  SQLite::Statement q(*db_, "SELECT customer_id, count(*) FROM activities WHERE kind='usage' AND occurred_ms >= ? GROUP BY customer_id");
  bind_all(q, since_ms);
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getDouble();
  return out;
}

std::map<std::string, MarketingStats> Store::marketing_stats() const {
  std::map<std::string, MarketingStats> out;
  SQLite::Statement q(*db_,
                      "SELECT customer_id, sum(coalesce(email_delivered,0)), sum(coalesce(email_opened,0)) FROM contacts "
                      "WHERE customer_id <> '' GROUP BY customer_id");
  while (q.executeStep()) out[q.getColumn(0).getString()] = {q.getColumn(1).getDouble(), q.getColumn(2).getDouble()};
  return out;
}

std::map<std::string, MarketingStats> Store::marketing_stats_of(const std::set<std::string>& ids) const {
  std::map<std::string, MarketingStats> out;
  SQLite::Statement q(*db_,
                      "SELECT count(*), sum(coalesce(email_delivered,0)), sum(coalesce(email_opened,0)) FROM contacts "
                      "WHERE customer_id = ?");
  for (const auto& id : ids) {
    q.bind(1, id);
    if (q.executeStep() && q.getColumn(0).getInt64() > 0) out[id] = {q.getColumn(1).getDouble(), q.getColumn(2).getDouble()};
    q.reset();
  }
  return out;
}

std::map<std::string, std::int64_t> Store::lost_renewals() const {
  std::map<std::string, std::int64_t> out;
  SQLite::Statement q(*db_,
                      "SELECT customer_id, min(coalesce(closed_ms, occurred_ms)) FROM activities "
                      "WHERE kind = 'renewal' AND value = 0 AND customer_id <> '' GROUP BY customer_id");
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  return out;
}

std::map<std::string, std::int64_t> Store::lost_renewals_of(const std::set<std::string>& ids) const {
  std::map<std::string, std::int64_t> out;
  SQLite::Statement q(*db_,
                      "SELECT min(coalesce(closed_ms, occurred_ms)) FROM activities "
                      "WHERE customer_id = ? AND kind = 'renewal' AND value = 0");
  for (const auto& id : ids) {
    q.bind(1, id);
    if (q.executeStep() && !q.getColumn(0).isNull()) out[id] = q.getColumn(0).getInt64();
    q.reset();
  }
  return out;
}

Result<std::size_t> Store::add_usage_events(const std::vector<crm::ActivityRecord>& events) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement ins(*db_,
                          "INSERT OR IGNORE INTO activities(id, kind, customer_id, occurred_ms, properties, modified_ms, value) "
                          "VALUES(?, 'usage', ?, ?, ?, ?, ?)");
    std::size_t added = 0;
    for (const auto& e : events)
      added += static_cast<std::size_t>(
          exec_row(ins, "usage:" + e.id, e.customer_id, e.occurred_ms, to_json(e.properties), e.occurred_ms, e.value));
    tx.commit();
    return added;
  } catch (const std::exception& e) {
    return store_error("storing usage events", e);
  }
}

std::vector<Text> Store::unscored_texts(std::size_t limit) const {
  std::vector<Text> out;
  SQLite::Statement q(*db_, "SELECT id, customer_id, body FROM texts WHERE sentiment IS NULL LIMIT ?");
  bind_all(q, limit);
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
  return out;
}

Result<void> Store::set_sentiments(const std::vector<std::pair<std::string, double>>& scores, const std::string& model) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement u(*db_, "UPDATE texts SET sentiment=?, sentiment_model=? WHERE id=?");
    for (const auto& [id, s] : scores) exec_row(u, s, model, id);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("saving sentiment scores", e);
  }
}

Result<std::int64_t> Store::save_model(const ModelRecord& m) {
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO models(version, created_ms, algorithm, features, metrics, blob, transform, details, "
                        "active) VALUES(?,?,?,?,?,?,?,?,0)");
    exec_row(q, m.version, m.created_ms, m.algorithm, m.features_json, m.metrics_json, detail::Blob{m.blob},
             m.transform_json, m.details_json);
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  } catch (const std::exception& e) {
    return store_error("saving model " + m.version, e);
  }
}

Result<void> Store::activate_model(std::int64_t id) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement check(*db_, "SELECT 1 FROM models WHERE id=?");
    bind_all(check, id);
    if (!check.executeStep()) return make_error(ErrorKind::not_found, "no model with id " + std::to_string(id));
    db_->exec("UPDATE models SET active=0 WHERE active=1");
    SQLite::Statement u(*db_, "UPDATE models SET active=1 WHERE id=?");
    exec_row(u, id);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("activating model " + std::to_string(id), e);
  }
}

namespace {

constexpr const char* kModelColumns = "id, version, created_ms, algorithm, features, metrics, transform, details, active";

ModelRecord model_row(SQLite::Statement& q) {
  ModelRecord m;
  m.id = q.getColumn(0).getInt64();
  m.version = q.getColumn(1).getString();
  m.created_ms = q.getColumn(2).getInt64();
  m.algorithm = q.getColumn(3).getString();
  m.features_json = q.getColumn(4).getString();
  m.metrics_json = q.getColumn(5).getString();
  m.transform_json = q.getColumn(6).getString();
  m.details_json = q.getColumn(7).getString();
  m.active = q.getColumn(8).getInt() != 0;
  if (q.getColumnCount() > 9) {
    auto blob = q.getColumn(9);
    m.blob.assign(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()));
  }
  return m;
}

}  // namespace

std::optional<ModelRecord> Store::active_model() const {
  SQLite::Statement q(*db_, std::string("SELECT ") + kModelColumns + ", blob FROM models WHERE active=1");
  if (!q.executeStep()) return std::nullopt;
  return model_row(q);
}

std::vector<ModelRecord> Store::models() const {
  SQLite::Statement q(*db_, std::string("SELECT ") + kModelColumns + " FROM models ORDER BY id DESC");
  std::vector<ModelRecord> out;
  while (q.executeStep()) out.push_back(model_row(q));
  return out;
}

std::optional<ModelRecord> Store::model(const std::string& key) const {
  SQLite::Statement q(*db_, std::string("SELECT ") + kModelColumns +
                                ", blob FROM models WHERE version=? OR CAST(id AS TEXT)=? ORDER BY version=? DESC");
  bind_all(q, key, key, key);
  if (!q.executeStep()) return std::nullopt;
  return model_row(q);
}

Result<void> Store::save_drift(std::int64_t model_id, const std::vector<FeatureDrift>& drift) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement del(*db_, "DELETE FROM drift WHERE model_id=?");
    exec_row(del, model_id);
    SQLite::Statement ins(*db_, "INSERT INTO drift(model_id, source, psi, computed_ms) VALUES(?,?,?,?)");
    for (const auto& d : drift) exec_row(ins, model_id, d.source, d.psi, d.computed_ms);
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("saving feature drift", e);
  }
}

Result<std::int64_t> Store::add_assignment(const PlayAssignment& a) {
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO play_assignments(play_id, customer_id, arm, assigned_ms, ends_ms, score, offer_value) "
                        "VALUES(?,?,?,?,?,?,?)");
    exec_row(q, a.play_id, a.customer_id, a.arm, a.assigned_ms, a.ends_ms, a.score, a.offer_value);
    return static_cast<std::int64_t>(db_->getLastInsertRowid());
  } catch (const std::exception& e) {
    return store_error("saving the assignment of " + a.customer_id + " to play " + a.play_id, e);
  }
}

namespace {
constexpr const char* assignment_select =
    "SELECT id, play_id, customer_id, arm, assigned_ms, ends_ms, score, offer_value, outcome, outcome_ms "
    "FROM play_assignments ";

PlayAssignment read_assignment(SQLite::Statement& q) {
  PlayAssignment a;
  a.id = q.getColumn(0).getInt64();
  a.play_id = q.getColumn(1).getString();
  a.customer_id = q.getColumn(2).getString();
  a.arm = q.getColumn(3).getString();
  a.assigned_ms = q.getColumn(4).getInt64();
  a.ends_ms = q.getColumn(5).getInt64();
  a.score = q.getColumn(6).getInt();
  a.offer_value = q.getColumn(7).getDouble();
  if (!q.getColumn(8).isNull()) a.outcome = q.getColumn(8).getString();
  if (!q.getColumn(9).isNull()) a.outcome_ms = q.getColumn(9).getInt64();
  return a;
}
}  // namespace

std::vector<PlayAssignment> Store::assignments() const {
  SQLite::Statement q(*db_, std::string(assignment_select) + "ORDER BY id");
  std::vector<PlayAssignment> out;
  while (q.executeStep()) out.push_back(read_assignment(q));
  return out;
}

std::vector<PlayAssignment> Store::assignments_of(const std::set<std::string>& customer_ids) const {
  SQLite::Statement q(*db_, std::string(assignment_select) + "WHERE customer_id = ?");
  std::vector<PlayAssignment> out;
  for (const auto& id : customer_ids) {
    q.bind(1, id);
    while (q.executeStep()) out.push_back(read_assignment(q));
    q.reset();
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

std::vector<PlayAssignment> Store::open_treatments(std::int64_t now_ms) const {
  SQLite::Statement q(*db_, std::string(assignment_select) +
                                "WHERE arm = 'treatment' AND outcome IS NULL AND ends_ms > ? ORDER BY id");
  bind_all(q, now_ms);
  std::vector<PlayAssignment> out;
  while (q.executeStep()) out.push_back(read_assignment(q));
  return out;
}

std::vector<PlayTally> Store::play_tallies(std::int64_t since_ms) const {
  SQLite::Statement q(*db_,
                      "SELECT play_id, arm, outcome, count(*), sum(assigned_ms > ?), total(offer_value) "
                      "FROM play_assignments GROUP BY play_id, arm, outcome");
  bind_all(q, since_ms);
  std::vector<PlayTally> out;
  while (q.executeStep()) {
    PlayTally t{q.getColumn(0).getString(), q.getColumn(1).getString(), std::nullopt,
                static_cast<std::size_t>(q.getColumn(3).getInt64()), static_cast<std::size_t>(q.getColumn(4).getInt64()),
                q.getColumn(5).getDouble()};
    if (!q.getColumn(2).isNull()) t.outcome = q.getColumn(2).getString();
    out.push_back(std::move(t));
  }
  return out;
}

Result<void> Store::set_outcome(std::int64_t id, const std::string& outcome, std::int64_t ms) {
  try {
    SQLite::Statement q(*db_, "UPDATE play_assignments SET outcome=?, outcome_ms=? WHERE id=? AND outcome IS NULL");
    exec_row(q, outcome, ms, id);
    return {};
  } catch (const std::exception& e) {
    return store_error("saving the outcome of assignment " + std::to_string(id), e);
  }
}

Result<void> Store::record_action(std::int64_t id, const std::string& action, bool ok, const std::string& detail,
                                  std::int64_t ms) {
  try {
    SQLite::Statement q(*db_,
                        "INSERT INTO play_actions(assignment_id, action, status, detail, done_ms) VALUES(?,?,?,?,?) "
                        "ON CONFLICT(assignment_id, action) DO UPDATE SET status=excluded.status, detail=excluded.detail, "
                        "done_ms=excluded.done_ms WHERE play_actions.status <> 'done'");
    exec_row(q, id, action, ok ? "done" : "failed", detail, ms);
    return {};
  } catch (const std::exception& e) {
    return store_error("recording action " + action + " of assignment " + std::to_string(id), e);
  }
}

std::set<std::pair<std::int64_t, std::string>> Store::done_actions(std::int64_t now_ms) const {
  SQLite::Statement q(*db_,
                      "SELECT x.assignment_id, x.action FROM play_actions x JOIN play_assignments a ON a.id = x.assignment_id "
                      "WHERE x.status='done' AND a.outcome IS NULL AND a.ends_ms > ?");
  bind_all(q, now_ms);
  std::set<std::pair<std::int64_t, std::string>> out;
  while (q.executeStep()) out.emplace(q.getColumn(0).getInt64(), q.getColumn(1).getString());
  return out;
}

std::vector<FeatureDrift> Store::drift(std::int64_t model_id) const {
  SQLite::Statement q(*db_, "SELECT source, psi, computed_ms FROM drift WHERE model_id=? ORDER BY psi DESC");
  bind_all(q, model_id);
  std::vector<FeatureDrift> out;
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getDouble(), q.getColumn(2).getInt64()});
  return out;
}

Result<void> Store::save_scores(const std::vector<Score>& scores) {
  try {
    // History keeps a row only when something a person would see changed, so it grows with
    // changes, not with runs. Each customer's latest row is looked up by the primary key, so a
    // batch costs its own size, not the whole table.
    SQLite::Statement last(*db_,
                           "SELECT score, tier, reasons, model_id, sentiment, engagement FROM scores "
                           "WHERE customer_id = ? ORDER BY scored_ms DESC LIMIT 1");
    auto r = [](std::optional<double> v) { return v ? std::lround(*v) : LONG_MIN; };
    auto unchanged = [&](const Score& s) {
      last.bind(1, s.customer_id);
      bool same = false;
      if (last.executeStep()) {
        auto opt = [&](int col) { return last.getColumn(col).isNull() ? std::optional<double>() : last.getColumn(col).getDouble(); };
        same = last.getColumn(0).getInt() == s.score && last.getColumn(1).getString() == s.tier &&
               last.getColumn(2).getString() == s.reasons && last.getColumn(3).getInt64() == s.model_id &&
               r(opt(4)) == r(s.sentiment) && r(opt(5)) == r(s.engagement);
      }
      last.reset();
      return same;
    };
    SQLite::Transaction tx(*db_);
    SQLite::Statement q(*db_,
                        "INSERT OR REPLACE INTO scores(customer_id, scored_ms, model_id, probability, score, tier, reasons, "
                        "sentiment, engagement) VALUES(?,?,?,?,?,?,?,?,?)");
    for (const auto& s : scores) {
      if (!unchanged(s))
        exec_row(q, s.customer_id, s.scored_ms, s.model_id, s.probability, s.score, s.tier, s.reasons, s.sentiment,
                 s.engagement);
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("saving scores", e);
  }
}

std::map<std::string, Score> Store::latest_scores() const {
  // The snapshot at the end of time: one query and one row reader for both.
  return score_snapshot(std::numeric_limits<std::int64_t>::max());
}

std::map<std::string, int> Store::scores_as_of(std::int64_t ms) const {
  std::map<std::string, int> out;
  SQLite::Statement q(*db_,
                      "SELECT customer_id, score, max(scored_ms) FROM scores WHERE scored_ms <= ? GROUP BY customer_id");
  bind_all(q, ms);
  while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getInt();
  return out;
}

std::map<std::string, Score> Store::score_snapshot(std::int64_t ms) const {
  std::map<std::string, Score> out;
  SQLite::Statement q(*db_, std::string("SELECT ") + score_columns +
                                " FROM scores s WHERE scored_ms = (SELECT max(scored_ms) FROM scores "
                                "WHERE customer_id = s.customer_id AND scored_ms <= ?)");
  bind_all(q, ms);
  while (q.executeStep()) {
    auto s = read_score(q);
    auto id = s.customer_id;
    out.emplace(std::move(id), std::move(s));
  }
  return out;
}

std::map<std::string, std::vector<Score>> Store::score_history_of(const std::set<std::string>& ids,
                                                                  std::int64_t from_ms) const {
  std::map<std::string, std::vector<Score>> out;
  // Both bounds come from the primary key (customer_id, scored_ms): a customer costs its own rows.
  SQLite::Statement q(*db_, std::string("SELECT ") + score_columns +
                                " FROM scores WHERE customer_id = ?1 AND scored_ms >= coalesce("
                                "(SELECT max(scored_ms) FROM scores WHERE customer_id = ?1 AND scored_ms <= ?2), 0) "
                                "ORDER BY scored_ms");
  for (const auto& id : ids) {
    bind_all(q, id, from_ms);
    std::vector<Score> h;
    while (q.executeStep()) h.push_back(read_score(q));
    q.reset();
    if (!h.empty()) out.emplace(id, std::move(h));
  }
  return out;
}

const Score* score_at(const std::vector<Score>& history, std::int64_t ms) {
  const Score* at = nullptr;
  for (const auto& s : history)
    if (s.scored_ms <= ms) at = &s;
  return at;
}

std::map<std::string, std::map<std::string, std::string>> Store::written_fields() const {
  std::map<std::string, std::map<std::string, std::string>> out;
  SQLite::Statement q(*db_, "SELECT customer_id, fields FROM written_fields");
  while (q.executeStep()) out[q.getColumn(0).getString()] = from_json(q.getColumn(1).getString());
  return out;
}

std::map<std::string, std::map<std::string, std::string>> Store::written_fields_of(const std::set<std::string>& ids) const {
  std::map<std::string, std::map<std::string, std::string>> out;
  SQLite::Statement q(*db_, "SELECT fields FROM written_fields WHERE customer_id=?");
  for (const auto& id : ids) {
    q.bind(1, id);
    if (q.executeStep()) out[id] = from_json(q.getColumn(0).getString());
    q.reset();
  }
  return out;
}

Result<void> Store::enqueue(const std::vector<std::pair<std::string, std::map<std::string, std::string>>>& writes,
                            std::int64_t now_ms) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement drop(*db_, "DELETE FROM outbox WHERE customer_id=? AND status IN ('pending','failed')");
    SQLite::Statement ins(*db_,
                          "INSERT INTO outbox(customer_id, fields, status, attempts, created_ms, updated_ms) "
                          "VALUES(?,?,'pending',0,?,?)");
    for (const auto& [customer, fields] : writes) {
      exec_row(drop, customer);
      exec_row(ins, customer, to_json(fields), now_ms, now_ms);
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("queueing CRM writes", e);
  }
}

std::vector<OutboxEntry> Store::pending_writes(int max_attempts, std::int64_t after_id, std::size_t limit) const {
  std::vector<OutboxEntry> out;
  SQLite::Statement q(*db_,
                      "SELECT id, customer_id, fields, attempts FROM outbox WHERE status='pending' AND attempts < ? "
                      "AND id > ? ORDER BY id LIMIT ?");
  bind_all(q, max_attempts, after_id, std::min<std::size_t>(limit, INT64_MAX));
  while (q.executeStep())
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), from_json(q.getColumn(2).getString()),
                   q.getColumn(3).getInt()});
  return out;
}

Result<void> Store::mark_written(const std::vector<std::int64_t>& ids, std::int64_t now_ms) {
  try {
    SQLite::Transaction tx(*db_);
    SQLite::Statement get(*db_, "SELECT customer_id, fields FROM outbox WHERE id=?");
    SQLite::Statement done(*db_, "UPDATE outbox SET status='done', attempts=attempts+1, updated_ms=? WHERE id=?");
    SQLite::Statement written(*db_,
                              "INSERT INTO written_fields(customer_id, fields, written_ms) VALUES(?,?,?) "
                              "ON CONFLICT(customer_id) DO UPDATE SET fields=excluded.fields, written_ms=excluded.written_ms");
    // What was written before, per customer (reading the whole table here made a write-back of
    // N customers cost N^2/100 JSON parses: found at 200,000 customers).
    SQLite::Statement prior(*db_, "SELECT fields FROM written_fields WHERE customer_id=?");
    for (auto id : ids) {
      bind_all(get, id);
      if (!get.executeStep()) {
        get.reset();
        continue;
      }
      std::string customer = get.getColumn(0).getString();
      std::map<std::string, std::string> merged;
      prior.bind(1, customer);
      if (prior.executeStep()) merged = from_json(prior.getColumn(0).getString());
      prior.reset();
      for (auto& [k, v] : from_json(get.getColumn(1).getString())) merged[k] = v;
      get.reset();
      exec_row(done, now_ms, id);
      exec_row(written, customer, to_json(merged), now_ms);
    }
    tx.commit();
    return {};
  } catch (const std::exception& e) {
    return store_error("marking CRM writes done", e);
  }
}

Result<void> Store::mark_failed(std::int64_t id, const std::string& error, bool retryable, std::int64_t now_ms) {
  try {
    SQLite::Statement u(*db_,
                        "UPDATE outbox SET status=?, attempts=attempts+1, last_error=?, updated_ms=? WHERE id=?");
    exec_row(u, retryable ? "pending" : "failed", error, now_ms, id);
    return {};
  } catch (const std::exception& e) {
    return store_error("recording a failed CRM write", e);
  }
}

Counts Store::counts() const {
  Counts c;
  auto one = [&](const char* sql) { return db_->execAndGet(sql).getInt64(); };
  c.customers = one("SELECT count(*) FROM customers WHERE archived=0");
  c.activities = one("SELECT count(*) FROM activities");
  c.texts = one("SELECT count(*) FROM texts");
  c.texts_scored = one("SELECT count(*) FROM texts WHERE sentiment IS NOT NULL");
  c.models = one("SELECT count(*) FROM models");
  c.scores = one("SELECT count(*) FROM scores");
  c.outbox_pending = one("SELECT count(*) FROM outbox WHERE status='pending'");
  c.outbox_done = one("SELECT count(*) FROM outbox WHERE status='done'");
  c.outbox_failed = one("SELECT count(*) FROM outbox WHERE status='failed'");
  return c;
}

}  // namespace cg::store
