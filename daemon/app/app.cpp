#include "daemon/app/app.hpp"

#include "daemon/app/connector_factory.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/ingest/events.hpp"
#include "daemon/sentiment/sentiment.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

namespace cg::app {

App::App(const config::Config& cfg) : cfg_(cfg) {}
App::~App() = default;

Result<std::unique_ptr<App>> App::create(const config::Config& cfg, boost::asio::io_context& io) {
  std::unique_ptr<App> app(new App(cfg));
  // Credentials first: a config that cannot reach the CRM must not create state on disk.
  auto crm = make_connector(cfg, io);
  if (!crm) return crm.error();
  app->crm_ = std::move(*crm);
  std::error_code ec;
  std::filesystem::create_directories(cfg.state_dir, ec);
  if (ec) return make_error(ErrorKind::io, "cannot create state_dir " + cfg.state_dir + ": " + ec.message());
  std::filesystem::permissions(cfg.state_dir, std::filesystem::perms::owner_all, ec);
  auto st = store::Store::open(cfg.state_path(cfg.store.path));
  if (!st) return st.error();
  app->store_ = std::move(*st);
  if (cfg.api.token.configured()) {
    auto t = config::resolve_secret(cfg.api.token, "api.token");
    if (!t) return t.error();
    app->api_token_ = std::move(*t);
  }
  if (cfg.plays_settings.webhook_secret.configured()) {
    auto t = config::resolve_secret(cfg.plays_settings.webhook_secret, "plays_settings.webhook_secret");
    if (!t) return t.error();
    app->plays_webhook_secret_ = std::move(*t);
  }
  if (cfg.crm == "salesforce" && cfg.salesforce.webhook_token.configured()) {
    auto t = config::resolve_secret(cfg.salesforce.webhook_token, "salesforce.webhook_token");
    if (!t) return t.error();
    app->sf_webhook_token_ = std::move(*t);
  }
  if (cfg.crm == "hubspot" && cfg.hubspot.client_secret.configured()) {
    auto t = config::resolve_secret(cfg.hubspot.client_secret, "hubspot.client_secret");
    if (!t) return t.error();
    app->webhook_secret_ = std::move(*t);
  }
  app->wake_ = std::make_unique<boost::asio::steady_timer>(io);
  return app;
}

Result<void> App::load_sentiment() {
  if (sentiment_) return {};
  auto m = sentiment::SentimentModel::load(cfg_.state_path(cfg_.sentiment.model_path));
  if (!m) return m.error();
  sentiment_ = std::move(*m);
  return {};
}

boost::asio::awaitable<Result<std::vector<std::string>>> App::setup_workflows(bool dry_run) {
  co_return co_await crm_->ensure_workflows(dry_run);
}

boost::asio::awaitable<Result<std::vector<std::string>>> App::setup_fields(bool dry_run) {
  auto c = co_await crm_->check_connection();
  if (!c) co_return c.error();
  co_return co_await crm_->ensure_fields(dry_run);
}

boost::asio::awaitable<Result<sync::PullStats>> App::pull(bool full) { co_return co_await sync::pull(*crm_, *store_, full); }

Result<std::size_t> App::score_texts() {
  if (auto r = load_sentiment(); !r) return r.error();
  std::size_t total = 0;
  for (;;) {
    auto texts = store_->unscored_texts(2000);
    if (texts.empty()) break;
    std::vector<std::pair<std::string, double>> scores;
    for (const auto& t : texts) scores.emplace_back(t.id, sentiment_->predict(t.body).score);
    if (auto r = store_->set_sentiments(scores, sentiment_->version()); !r) return r.error();
    total += texts.size();
  }
  return total;
}

Result<scoring::TrainOutcome> App::train() { return scoring::train(*store_, cfg_.model, SystemClock{}.now_ms()); }
Result<scoring::ScoreOutcome> App::score(const std::set<std::string>* only) {
  return scoring::score_all(*store_, cfg_.model, SystemClock{}.now_ms(), only);
}

Result<plays::RunStats> App::run_plays() {
  return plays::run(*store_, cfg_.plays, cfg_.plays_settings, cfg_.model.label, SystemClock{}.now_ms());
}

std::vector<plays::PlayReport> App::play_report() const { return plays::report(store_->play_tallies(0), cfg_.plays); }

boost::asio::awaitable<Result<App::ActionStats>> App::play_actions() {
  ActionStats stats;
  if (cfg_.plays.empty()) co_return stats;
  const auto now = SystemClock{}.now_ms();
  const auto all = store_->open_treatments(now);  // holdouts get no action
  const auto done = store_->done_actions(now);
  std::set<std::string> ids;
  for (const auto& a : all)
    if (!done.count({a.id, "task"})) ids.insert(a.customer_id);  // a task's body quotes the reasons
  const auto scores = store_->score_history_of(ids, std::numeric_limits<std::int64_t>::max());
  const auto owners = store_->owners_of(ids);  // a task goes to whoever owns the record
  std::set<std::string> owner_ids;
  for (const auto& [customer, owner] : owners) owner_ids.insert(owner);
  const auto owner_details = store_->owner_details(owner_ids);
  // A deactivated owner works no tasks and the CRM would refuse them: such a task is created
  // unassigned at once. An owner the last listing did not know is tried (and refused, if so).
  std::size_t deactivated = 0;
  auto assignee = [&](const std::string& customer) -> std::string {
    const auto o = owners.find(customer);
    if (o == owners.end()) return "";
    const auto d = owner_details.find(o->second);
    if (d == owner_details.end() || d->second.active) return o->second;
    ++deactivated;
    return "";
  };
  std::vector<crm::TaskRequest> tasks;
  std::vector<std::pair<const store::PlayAssignment*, const config::PlayConfig*>> hooks;
  for (const auto& a : all) {
    const auto p = std::find_if(cfg_.plays.begin(), cfg_.plays.end(), [&](const auto& x) { return x.id == a.play_id; });
    if (p == cfg_.plays.end()) continue;
    const auto s = scores.find(a.customer_id);
    const std::string reasons = s == scores.end() ? "" : s->second.back().reasons;
    if (p->create_task && !done.count({a.id, "task"})) {
      std::string subject = "ChurnGuard " + p->kind + ": " + (p->offer_text.empty() ? p->id : p->offer_text);
      std::string body = "Churn risk " + std::to_string(a.score) + ". Why: " + reasons +
                         (p->description.empty() ? "" : "\nPlay: " + p->description);
      tasks.push_back({std::to_string(a.id), a.customer_id, subject, body, assignee(a.customer_id)});
    }
    if (p->call_webhook && !done.count({a.id, "webhook"})) hooks.emplace_back(&a, &*p);
  }
  if (deactivated > 0)
    log::info("plays", std::to_string(deactivated) + " task(s) created unassigned: their record's owner is deactivated in the CRM");
  if (!tasks.empty()) {
    auto r = co_await crm_->create_tasks(tasks);
    if (!r) co_return r.error();
    // An owner the CRM refuses (deactivated, or no longer a user) must not cost the customer its
    // task: those are created once more, unassigned, and the owner's refusal is logged. Other
    // failures (a server error) keep their owner and are retried on a later pass as they were.
    std::map<std::string, crm::TaskResult*> result_of;  // by key
    for (auto& t : *r) result_of[t.key] = &t;
    std::vector<crm::TaskRequest> unowned;
    for (const auto& q : tasks) {
      const auto t = result_of.find(q.key);
      if (q.owner_id.empty() || t == result_of.end() || t->second->ok || !t->second->owner_refused) continue;
      log::warn("plays", "task for assignment " + q.key + " refused with its record's owner (" + t->second->error +
                             "); creating it unassigned");
      unowned.push_back(q);
      unowned.back().owner_id.clear();
    }
    if (!unowned.empty()) {
      auto again = co_await crm_->create_tasks(unowned);
      if (!again) co_return again.error();
      for (const auto& t : *again)
        if (auto at = result_of.find(t.key); at != result_of.end()) *at->second = t;
    }
    for (const auto& t : *r) {
      if (auto rec = store_->record_action(std::stoll(t.key), "task", t.ok, t.ok ? t.task_id : t.error, now); !rec)
        co_return rec.error();
      (t.ok ? stats.tasks : stats.failed) += 1;
      if (!t.ok) log::warn("plays", "task for assignment " + t.key + " failed: " + t.error);
    }
  }
  if (!hooks.empty()) {
    auto sent = co_await send_play_webhooks(hooks);
    if (!sent) co_return sent.error();
    stats.webhooks = sent->first;
    stats.failed += sent->second;
  }
  co_return stats;
}

sync::FieldsOf App::play_fields() const {
  return [this](const std::set<std::string>& ids) { return plays::play_fields(store_->assignments_of(ids), cfg_.plays); };
}

boost::asio::awaitable<Result<sync::FlushStats>> App::write_back() {
  if (!cfg_.writeback.enabled) co_return sync::FlushStats{};
  auto plan = sync::plan_writes(*store_, cfg_.writeback, SystemClock{}.now_ms(), play_fields());
  if (!plan) co_return plan.error();
  co_return co_await sync::flush_outbox(*crm_, *store_, cfg_.writeback);
}

boost::asio::awaitable<Result<PipelineReport>> App::run_pipeline(bool full, std::optional<bool> train) {
  co_return co_await pipeline(full, train, true);
}

boost::asio::awaitable<Result<PipelineReport>> App::pipeline(bool full, std::optional<bool> train, bool ensure,
                                                             bool only_touched) {
  const auto t0 = std::chrono::steady_clock::now();
  PipelineReport rep;
  if (ensure || !fields_ready_) {
    auto fields = co_await crm_->ensure_fields(false);
    if (!fields) co_return fields.error();
    for (const auto& f : *fields) log::info("setup", f);
    fields_ready_ = true;
  }
  auto mark = std::chrono::steady_clock::now();
  auto stage = [&](const char* name) {
    auto now = std::chrono::steady_clock::now();
    rep.stage_seconds[name] = std::chrono::duration<double>(now - mark).count();
    mark = now;
  };
  auto pulled = co_await sync::pull(*crm_, *store_, full);
  if (!pulled) co_return pulled.error();
  rep.pulled = *pulled;
  stage("pull");
  auto texts = score_texts();
  if (!texts) co_return texts.error();
  rep.texts_scored = *texts;
  stage("sentiment");
  auto active = store_->active_model();
  const bool stale = active && SystemClock{}.now_ms() - active->created_ms >
                                   std::int64_t(cfg_.model.retrain_interval_hours) * 3'600'000;
  if (!active || train.value_or(stale)) {
    auto t = this->train();
    if (!t) co_return t.error();
    rep.trained = *t;
    stage("train");
  }
  // An incremental pass re-scores and plans writes only for the customers its pull touched; the
  // scheduled pass does everyone (and so catches fields that change with time alone, such as a
  // play's outcome window closing).
  const std::set<std::string>* touched = only_touched && !rep.trained ? &rep.pulled.touched : nullptr;
  auto s = score(touched);
  if (!s) co_return s.error();
  rep.scored = *s;
  stage("score");
  if (!cfg_.plays.empty()) {
    auto played = run_plays();
    if (!played) co_return played.error();
    rep.plays = *played;
    stage("plays");
  }
  if (cfg_.writeback.enabled) {
    auto plan = sync::plan_writes(*store_, cfg_.writeback, SystemClock{}.now_ms(), play_fields(), touched);
    if (!plan) co_return plan.error();
    rep.planned = *plan;
    auto flushed = co_await sync::flush_outbox(*crm_, *store_, cfg_.writeback);
    if (!flushed) co_return flushed.error();
    rep.flushed = *flushed;
    stage("write-back");
  }
  if (!cfg_.plays.empty()) {
    auto acted = co_await play_actions();
    if (!acted) co_return acted.error();
    rep.tasks_created = acted->tasks;
    rep.webhooks_sent = acted->webhooks;
    rep.actions_failed = acted->failed;
  }
  rep.usage = crm_->usage();
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  co_return rep;
}

void App::request_resync(const std::string& why) {
  log::info("serve", "incremental pass requested: " + why);
  resync_pending_ = true;
  wake_->cancel();
}

boost::asio::awaitable<void> App::serve_loop() {
  namespace asio = boost::asio;
  auto next_scheduled = std::chrono::steady_clock::now();
  for (;;) {
    const bool scheduled = std::chrono::steady_clock::now() >= next_scheduled;
    const bool webhook = resync_pending_;
    resync_pending_ = false;
    if (scheduled) next_scheduled = std::chrono::steady_clock::now() + std::chrono::seconds(cfg_.schedule.interval_seconds);
    // A webhook pass only pulls what changed and re-scores: no field check, no training.
    auto r = co_await pipeline(false, scheduled ? std::nullopt : std::optional<bool>(false), false, !scheduled);
    state_.last_run_ms = SystemClock{}.now_ms();
    ++state_.runs;
    if (webhook && !scheduled) ++state_.webhook_runs;
    if (r) {
      state_.last = *r;
      if (scheduled) state_.tiers = r->scored.tiers;
      state_.last_error.clear();
      std::string stages;
      for (const auto& [name, sec] : r->stage_seconds) stages += (stages.empty() ? "" : ", ") + name + " " + std::to_string(int(sec * 1000)) + " ms";
      log::info("pipeline", std::string(scheduled ? "scheduled" : "webhook") + " pass: scored " +
                                std::to_string(r->scored.scored) + ", wrote " + std::to_string(r->flushed.written) + " (" + stages + ")");
    } else {
      state_.last_error = r.error().what();
      log::error("pipeline", r.error().what());
    }
    ++completed_runs_;
    if (resync_pending_) continue;  // a webhook arrived while we worked
    wake_->expires_at(next_scheduled);
    co_await wake_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

Result<App::IngestReport> App::ingest_events(const std::string& body) {
  auto parsed = ingest::parse_events(body);
  IngestReport rep;
  rep.rejected = std::move(parsed.rejected);
  auto added = store_->add_usage_events(parsed.events);
  if (!added) return added.error();
  rep.accepted = *added;
  rep.duplicates = parsed.events.size() - *added;
  return rep;
}

std::string format_report(const PipelineReport& r, const std::string& url) {
  std::ostringstream o;
  char buf[256];
  auto row = [&](const char* k, const std::string& v) {
    std::snprintf(buf, sizeof buf, "  %-22s %s\n", k, v.c_str());
    o << buf;
  };
  o << "ChurnGuard run against " << url << "\n";
  row("customers synced", std::to_string(r.pulled.customers));
  row("activities synced", std::to_string(r.pulled.activities) + " (tickets and e-mails)");
  row("contacts synced", std::to_string(r.pulled.contacts));
  row("texts scored", std::to_string(r.texts_scored) + " (sentiment, fastText)");
  if (r.trained) {
    std::snprintf(buf, sizeof buf, "%s (%s calibration), test ROC-AUC %.3f PR-AUC %.3f on %zu rows (%zu churned)%s",
                  r.trained->version.c_str(), r.trained->calibration.c_str(), r.trained->roc_auc, r.trained->pr_auc,
                  r.trained->rows, r.trained->positives, r.trained->activated ? "" : " [not activated]");
    row("model trained", buf);
  }
  std::string tiers;
  for (const auto& [t, n] : r.scored.tiers) tiers += (tiers.empty() ? "" : ", ") + t + " " + std::to_string(n);
  row("customers scored", std::to_string(r.scored.scored) + " (" + tiers + ")");
  row("with sentiment", std::to_string(r.scored.with_sentiment) + " customers");
  row("with engagement", std::to_string(r.scored.with_engagement) + " customers");
  if (r.plays.enrolled + r.plays.outcomes + r.tasks_created + r.webhooks_sent > 0)
    row("retention plays", std::to_string(r.plays.enrolled) + " enrolled (" + std::to_string(r.plays.treatment) +
                               " treated, " + std::to_string(r.plays.holdout) + " holdout), " +
                               std::to_string(r.plays.outcomes) + " outcomes, " + std::to_string(r.tasks_created) +
                               " CRM tasks, " + std::to_string(r.webhooks_sent) + " webhooks");
  row("fields written", std::to_string(r.flushed.written) + " records in " + std::to_string(r.flushed.calls) +
                            " batch calls; " + std::to_string(r.planned.unchanged) + " unchanged, " +
                            std::to_string(r.flushed.failed + r.flushed.retry_later) + " failed");
  row("API calls spent", std::to_string(r.usage.calls) + " (" + std::to_string(r.usage.write_calls) + " writes, " +
                             std::to_string(r.usage.rate_limited) + " rate-limited and waited, " +
                             std::to_string(r.usage.retries) + " retried)");
  std::string stages;
  for (const auto& [name, sec] : r.stage_seconds) {
    std::snprintf(buf, sizeof buf, "%s%s %.1f s", stages.empty() ? "" : ", ", name.c_str(), sec);
    stages += buf;
  }
  std::snprintf(buf, sizeof buf, "%.1f s (%s)", r.seconds, stages.c_str());
  row("took", buf);
  return o.str();
}

}  // namespace cg::app
