#include "daemon/app/cli.hpp"

#include "churnguard/version.hpp"
#include "daemon/app/admin.hpp"
#include "daemon/app/app.hpp"
#include "daemon/app/routes.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/report/report.hpp"
#include "daemon/sentiment/sentiment.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json.hpp>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>

namespace cg::app {
namespace asio = boost::asio;

namespace {

constexpr const char* usage = R"(usage: churnguard [-c CONFIG] COMMAND [options]

Commands:
  serve                 run the pipeline on a schedule and serve the status page, /healthz, /metrics
  run [--full] [--train|--no-train]   one pass: sync -> sentiment -> train -> score -> write-back, with a
                        summary; trains when there is no model or it is older than model.retrain_interval_hours
  sync [--full]         pull customers and tickets modified since the last sync (all with --full)
  events import FILE    store product-usage events (JSON lines or array) as POST /api/v1/events does
  sentiment score       score new support texts
  sentiment train --out FILE [--epoch N] [--no-quantize] [--training-file FILE] CORPUS...
                        train a fastText model (N passes, default 10); CORPUS is FORMAT:PATH with FORMAT
                        one of uci, xed, xed-neutral, fasttext; --training-file also writes the normalised lines
  sentiment eval --model FILE CORPUS...   accuracy and macro-F1 of a model on labelled texts
  sentiment predict TEXT  print the sentiment of one text
  train [--report FILE] train the candidate churn models on the synced customers, keep the best (calibrated)
                        and activate it if no worse than the active one; --report writes the model report
  models list           every trained model, newest first (* = active)
  models show [MODEL]   a model's training window, candidates and metrics (default: the active one)
  models report [MODEL] --out FILE   the HTML model report (curves, calibration, lift, importance, drift)
  models activate MODEL make MODEL (id or version) the one that scores
  plays                 each retention play's churn by arm, lift with its 95% interval, cost
  score [--only ID,ID]  score every customer (or only these) with the active model
  writeback             queue changed fields and send them to the CRM
  setup [--dry-run] [--workflows]   check the CRM connection and create the ChurnGuard fields (and,
                        on HubSpot, the offer workflow template, disabled for review)
  setup --write-config [--crm hubspot|salesforce] [--token-file F] [--base-url U] [--ca-file F]
        [--login-url U] [--client-id ID] [--username U] [--key-file F] [--object O] [--fields A,B]
                        first write the CRM section of the config (asks for what is missing on a
                        terminal), then check the connection and create the fields
  doctor                check config, state, store, models, CRM access, clock skew, disk and API budget
  check-config          validate the configuration and exit
  --version             print the version

CONFIG defaults to $CHURNGUARD_CONFIG, then /etc/churnguard/churnguard.yaml.
Secrets come from environment variables or 0600 files named in the config, never from the command line.
)";

int fail(const Error& e) {
  std::cerr << "churnguard: " << log::redact(e.what()) << "\n";
  return e.kind == ErrorKind::config ? 2 : 1;
}

// FORMAT:PATH arguments into one labelled corpus.
Result<std::vector<sentiment::LabelledText>> read_corpora(const std::vector<std::string>& specs) {
  std::vector<sentiment::LabelledText> data;
  for (const auto& spec : specs) {
    auto colon = spec.find(':');
    if (colon == std::string::npos) return make_error(ErrorKind::invalid_input, "corpus '" + spec + "' must be FORMAT:PATH");
    auto part = sentiment::read_corpus(spec.substr(colon + 1), spec.substr(0, colon));
    if (!part) return part.error();
    data.insert(data.end(), part->begin(), part->end());
  }
  return data;
}

Result<void> write_report(const store::ModelRecord& m, const std::vector<store::FeatureDrift>& drift,
                          const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return make_error(ErrorKind::io, "cannot write the report to " + path);
  out << report::model_report_html(m, drift);
  out.close();
  if (!out) return make_error(ErrorKind::io, "writing the report to " + path + " failed (disk full?)");
  return {};
}

int models_command(App& a, const std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? args[1] : "list";
  auto& st = a.store();
  auto find = [&](std::size_t at) -> std::optional<store::ModelRecord> {
    for (std::size_t i = at; i < args.size(); ++i)
      if (args[i].rfind("--", 0) != 0 && (i == 0 || args[i - 1] != "--out")) return st.model(args[i]);
    return st.active_model();
  };
  if (sub == "list") {
    std::printf("%-4s %-44s %-20s %8s %8s %8s  %s\n", "id", "version", "algorithm", "ROC-AUC", "PR-AUC", "Brier", "trained");
    for (const auto& m : st.models()) {
      boost::system::error_code ec;
      auto v = boost::json::parse(m.metrics_json, ec);
      auto num = [&](const char* k) {
        auto* p = !ec && v.is_object() ? v.as_object().if_contains(k) : nullptr;
        return p && p->is_number() ? p->to_number<double>() : NAN;
      };
      std::printf("%-4lld %-44s %-20s %8.3f %8.3f %8.4f  %s%s\n", static_cast<long long>(m.id), m.version.c_str(),
                  m.algorithm.c_str(), num("roc_auc"), num("pr_auc"), num("brier"), format_iso8601(m.created_ms).c_str(),
                  m.active ? "  *active" : "");
    }
    return 0;
  }
  if (sub == "show") {
    auto m = find(2);
    if (!m) return fail(make_error(ErrorKind::not_found, args.size() > 2 ? "no model " + args[2] : "no active model"));
    std::cout << "id: " << m->id << "\nversion: " << m->version << "\nactive: " << (m->active ? "yes" : "no")
              << "\ntrained: " << format_iso8601(m->created_ms) << "\nalgorithm: " << m->algorithm
              << "\nmetrics (test rows): " << m->metrics_json << "\ntransform: " << m->transform_json.substr(0, 200)
              << (m->transform_json.size() > 200 ? "..." : "") << "\n";
    boost::system::error_code ec;
    auto d = boost::json::parse(m->details_json, ec);
    if (!ec && d.is_object()) {
      auto& o = d.as_object();
      for (const char* k : {"mode", "note", "window", "horizon_days", "rows", "positives", "split", "chosen", "calibration",
                            "candidates", "comparison"})
        if (auto* p = o.if_contains(k)) std::cout << k << ": " << boost::json::serialize(*p) << "\n";
    }
    auto drift = st.drift(m->id);
    if (!drift.empty()) {
      std::cout << "drift (PSI, highest first):";
      for (std::size_t i = 0; i < drift.size() && i < 5; ++i) std::printf(" %s %.3f;", drift[i].source.c_str(), drift[i].psi);
      std::cout << "\n";
    }
    return 0;
  }
  if (sub == "report") {
    std::string out;
    for (std::size_t i = 2; i + 1 < args.size(); ++i)
      if (args[i] == "--out") out = args[i + 1];
    if (out.empty()) return fail(make_error(ErrorKind::invalid_input, "usage: churnguard models report [MODEL] --out FILE"));
    auto m = find(2);
    if (!m) return fail(make_error(ErrorKind::not_found, "no such model"));
    if (auto w = write_report(*m, st.drift(m->id), out); !w) return fail(w.error());
    std::cout << "report: " << out << "\n";
    return 0;
  }
  if (sub == "activate") {
    if (args.size() < 3) return fail(make_error(ErrorKind::invalid_input, "usage: churnguard models activate MODEL"));
    auto m = st.model(args[2]);
    if (!m) return fail(make_error(ErrorKind::not_found, "no model with id or version '" + args[2] + "'"));
    if (auto r = st.activate_model(m->id); !r) return fail(r.error());
    std::cout << "active model: " << m->version << " (run `churnguard score` to re-score with it)\n";
    return 0;
  }
  return fail(make_error(ErrorKind::invalid_input, "unknown models command '" + sub + "' (list, show, report, activate)"));
}

int sentiment_eval(const std::vector<std::string>& args) {
  std::string model;
  std::vector<std::string> specs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model" && i + 1 < args.size()) model = args[++i];
    else specs.push_back(args[i]);
  }
  if (model.empty() || specs.empty())
    return fail(make_error(ErrorKind::invalid_input, "usage: churnguard sentiment eval --model FILE FORMAT:PATH..."));
  auto m = sentiment::SentimentModel::load(model);
  if (!m) return fail(m.error());
  auto data = read_corpora(specs);
  if (!data) return fail(data.error());
  std::vector<std::string> gold, pred;
  for (const auto& d : *data) {
    gold.push_back(d.label);
    pred.push_back((*m)->predict(d.text).label);
  }
  auto e = sentiment::evaluate(gold, pred);
  std::printf("%zu texts: accuracy %.3f, macro-F1 %.3f\n", e.n, e.accuracy, e.macro_f1);
  for (const auto& [label, r] : e.recall) std::printf("  %-9s recall %.3f  F1 %.3f\n", label.c_str(), r, e.f1[label]);
  return 0;
}

int sentiment_train(const std::vector<std::string>& args) {
  std::string out, dump;
  sentiment::TrainOptions opts;
  std::vector<sentiment::LabelledText> data;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out" && i + 1 < args.size()) {
      out = args[++i];
      continue;
    }
    if (args[i] == "--training-file" && i + 1 < args.size()) {  // write the normalised lines too
      dump = args[++i];
      continue;
    }
    if (args[i] == "--no-quantize") {
      opts.quantize = false;
      continue;
    }
    if (args[i] == "--epoch" && i + 1 < args.size()) {
      const auto& v = args[++i];
      auto [at, ec] = std::from_chars(v.data(), v.data() + v.size(), opts.epoch);
      if (v.empty() || ec != std::errc() || at != v.data() + v.size() || opts.epoch < 1 || opts.epoch > 1000)
        return fail(make_error(ErrorKind::invalid_input, "sentiment train --epoch: '" + v + "' is not a whole number in 1..1000"));
      continue;
    }
    auto part = read_corpora({args[i]});
    if (!part) return fail(part.error());
    data.insert(data.end(), part->begin(), part->end());
  }
  if (out.empty()) return fail(make_error(ErrorKind::invalid_input, "sentiment train needs --out FILE"));
  if (!dump.empty())
    if (auto w = sentiment::write_training_file(data, dump); !w) return fail(w.error());
  auto r = sentiment::train(data, out, opts);
  if (!r) return fail(r.error());
  std::cout << "trained sentiment model on " << data.size() << " texts -> " << out << "\n";
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string config_path = std::getenv("CHURNGUARD_CONFIG") ? std::getenv("CHURNGUARD_CONFIG") : "/etc/churnguard/churnguard.yaml";
  if (args.size() >= 2 && (args[0] == "-c" || args[0] == "--config")) {
    config_path = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  auto has = [&](const char* flag) { return std::find(args.begin(), args.end(), flag) != args.end(); };
  auto value_of = [&](const char* flag) {
    auto it = std::find(args.begin(), args.end(), flag);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : std::string();
  };
  if (cmd == "--version" || cmd == "version") {
    std::cout << "churnguard " << churnguard::version << "\n";
    return 0;
  }
  if (cmd == "sentiment" && args.size() >= 2 && args[1] == "train")
    return sentiment_train({args.begin() + 2, args.end()});
  if (cmd == "sentiment" && args.size() >= 2 && args[1] == "eval")
    return sentiment_eval({args.begin() + 2, args.end()});

  if (cmd == "doctor") return doctor(config_path);
  if (cmd == "setup" && has("--write-config")) {
    if (int rc = setup_write_config(config_path, args); rc != 0 || has("--dry-run")) return rc;
  }
  auto cfg = config::load_config(config_path);
  if (!cfg) return fail(cfg.error());
  log::set_level(cfg->log_level == "debug" ? log::Level::debug : cfg->log_level == "warn" ? log::Level::warn
                 : cfg->log_level == "error" ? log::Level::error : log::Level::info);
  if (cmd == "check-config") {
    if (auto s = config::check_secrets(*cfg); !s) return fail(s.error());
    std::cout << config_path << ": OK\n";
    return 0;
  }
  if (cmd == "sentiment" && args.size() >= 3 && args[1] == "predict") {
    auto m = sentiment::SentimentModel::load(cfg->state_path(cfg->sentiment.model_path));
    if (!m) return fail(m.error());
    auto p = (*m)->predict(args[2]);
    std::cout << p.label << " " << p.score << "\n";
    return 0;
  }

  // Run as root (sudo churnguard setup, ...), work as the owner of the state directory (the
  // churnguard user of the package), so that no file of the store ends up owned by root.
  if (::geteuid() == 0) {
    struct stat st{};
    if (::stat(cfg->state_dir.c_str(), &st) == 0 && st.st_uid != 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0)
        return fail(make_error(ErrorKind::config, "cannot switch to the owner of " + cfg->state_dir));
    }
  }
  asio::io_context io;
  auto app = App::create(*cfg, io);
  if (!app) return fail(app.error());
  App& a = **app;
  if (cmd == "run") {
    std::optional<bool> train;
    if (has("--train")) train = true;
    if (has("--no-train")) train = false;
    auto r = run_sync(io, a.run_pipeline(has("--full"), train));
    if (!r) return fail(r.error());
    std::cout << format_report(*r, cfg->crm == "salesforce" ? cfg->salesforce.login_url : cfg->hubspot.base_url);
    return 0;
  }
  if (cmd == "sync") {
    auto r = run_sync(io, a.pull(has("--full")));
    if (!r) return fail(r.error());
    std::cout << "pulled " << r->customers << " customers and " << r->activities << " activities in " << r->pages << " pages\n";
    return 0;
  }
  if (cmd == "sentiment" && args.size() >= 2 && args[1] == "score") {
    auto r = a.score_texts();
    if (!r) return fail(r.error());
    std::cout << "scored " << *r << " texts\n";
    return 0;
  }
  if (cmd == "events" && args.size() >= 3 && args[1] == "import") {
    std::ifstream in(args[2]);
    if (!in) return fail(make_error(ErrorKind::io, "cannot open " + args[2]));
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto r = a.ingest_events(body);
    if (!r) return fail(r.error());
    for (auto& [line, why] : r->rejected) std::cerr << args[2] << ":" << line << ": " << why << "\n";
    std::cout << "imported " << r->accepted << " events (" << r->duplicates << " already stored, "
              << r->rejected.size() << " rejected)\n";
    return r->rejected.empty() ? 0 : 1;
  }
  if (cmd == "train") {
    auto r = a.train();
    if (!r) return fail(r.error());
    std::printf("model %s: %s, %s calibration; test ROC-AUC %.3f, PR-AUC %.3f, Brier %.4f on %zu rows (%zu churned), "
                "%zu features\n%s (%s)\n%s\n",
                r->version.c_str(), r->algorithm.c_str(), r->calibration.c_str(), r->roc_auc, r->pr_auc, r->brier,
                r->rows, r->positives, r->features, r->activated ? "activated" : "NOT activated", r->decision.c_str(),
                r->note.c_str());
    if (auto out = value_of("--report"); !out.empty()) {
      auto m = a.store().model(r->version);
      if (auto w = write_report(*m, a.store().drift(m->id), out); !w) return fail(w.error());
      std::printf("report: %s\n", out.c_str());
    }
    return 0;
  }
  if (cmd == "models") return models_command(a, args);
  if (cmd == "plays") {
    std::printf("%-20s %-18s %9s %9s %8s %8s %22s %10s %9s  %s\n", "play", "kind", "treated", "holdout", "churn T",
                "churn H", "lift (95% CI), points", "cost", "saved/1k", "note");
    for (const auto& r : a.play_report()) {
      const auto& x = r.arms;
      char ci[64];
      std::snprintf(ci, sizeof ci, "%+.1f (%+.1f, %+.1f)", 100 * x.lift, 100 * x.lift_low, 100 * x.lift_high);
      std::printf("%-20s %-18s %4zu+%-4zu %4zu+%-4zu %7.1f%% %7.1f%% %22s %10.0f %9s  %s\n", r.play_id.c_str(),
                  r.kind.c_str(), x.n_treatment, r.active_treatment, x.n_holdout, r.active_holdout, 100 * x.rate_treatment,
                  100 * x.rate_holdout, ci, r.cost, r.saved_per_1000 ? std::to_string(static_cast<int>(*r.saved_per_1000)).c_str() : "-",
                  x.note.c_str());
    }
    std::cout << "(treated/holdout: completed+still in their window; rates and lift over completed ones)\n";
    return 0;
  }
  if (cmd == "score") {
    std::set<std::string> only;
    for (std::size_t i = 1; i + 1 < args.size(); ++i)
      if (args[i] == "--only")
        for (std::size_t p = 0, q; p <= args[i + 1].size(); p = q + 1) {
          q = args[i + 1].find(',', p);
          if (q == std::string::npos) q = args[i + 1].size();
          if (q > p) only.insert(args[i + 1].substr(p, q - p));
        }
    auto r = a.score(only.empty() ? nullptr : &only);
    if (!r) return fail(r.error());
    std::cout << "scored " << r->scored << " customers with " << r->model_version << "\n";
    return 0;
  }
  if (cmd == "writeback") {
    auto r = run_sync(io, a.write_back());
    if (!r) return fail(r.error());
    std::cout << "wrote " << r->written << " records in " << r->calls << " calls; " << r->failed << " failed, "
              << r->retry_later << " to retry\n";
    return 0;
  }
  if (cmd == "setup") {
    auto r = run_sync(io, a.setup_fields(has("--dry-run")));
    if (!r) return fail(r.error());
    if (r->empty()) std::cout << "CRM reachable; every ChurnGuard field already exists\n";
    for (const auto& c : *r) std::cout << (has("--dry-run") ? "would " : "") << c << "\n";
    if (has("--workflows")) {
      auto w = run_sync(io, a.setup_workflows(has("--dry-run")));
      if (!w) return fail(w.error());
      if (w->empty()) std::cout << "the ChurnGuard workflow templates already exist\n";
      for (const auto& c : *w) std::cout << (has("--dry-run") ? "would " : "") << c << "\n";
    }
    return 0;
  }
  if (cmd == "serve") {
    http::Server server(io, {cfg->http.listen_address, cfg->http.port, nullptr,
                             static_cast<std::size_t>(cfg->api.max_body_bytes), std::chrono::seconds(30), "churnguard"},
                        make_routes(a));
    auto port = server.start();
    if (!port) return fail(port.error());
    log::info("http", "serving on http://" + cfg->http.listen_address + ":" + std::to_string(*port));
    asio::co_spawn(io, a.serve_loop(), asio::detached);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
      log::info("serve", "stopping");
      server.stop();
      io.stop();
    });
    io.run();
    return 0;
  }
  std::cerr << "churnguard: unknown command '" << cmd << "'\n" << usage;
  return 2;
}

}  // namespace cg::app
