#include "daemon/app/admin.hpp"

#include "connectors/transport/https_client.hpp"
#include "daemon/app/app.hpp"
#include "daemon/app/run_sync.hpp"
#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/sentiment/sentiment.hpp"

#include <algorithm>
#include <grp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace cg::app {
namespace {

std::string flag(const std::vector<std::string>& args, const std::string& name) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return {};
}

// The flag's value, else (on a terminal) the answer to a prompt, else the fallback.
std::string ask(const std::vector<std::string>& args, const std::string& name, const std::string& prompt,
                const std::string& fallback = "") {
  if (auto v = flag(args, name); !v.empty()) return v;
  if (!::isatty(STDIN_FILENO)) return fallback;
  std::cout << prompt << (fallback.empty() ? "" : " [" + fallback + "]") << ": " << std::flush;
  std::string line;
  std::getline(std::cin, line);
  return line.empty() ? fallback : line;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_line(std::string text, const std::string& pattern, const std::string& replacement) {
  return std::regex_replace(text, std::regex(pattern, std::regex::multiline), replacement,
                            std::regex_constants::format_first_only);
}

}  // namespace

int setup_write_config(const std::string& path, const std::vector<std::string>& args) {
  std::string text = read_text(path);
  if (text.empty()) {
    std::cerr << "churnguard: " << path << " is missing or empty; reinstall the package or copy config/churnguard.yaml\n";
    return 2;
  }
  const std::string crm = ask(args, "--crm", "CRM (hubspot or salesforce)", "hubspot");
  if (crm != "hubspot" && crm != "salesforce") {
    std::cerr << "churnguard: --crm must be hubspot or salesforce, got '" << crm << "'\n";
    return 2;
  }
  text = replace_line(text, "^crm: .*$", "crm: " + crm);
  if (crm == "hubspot") {
    const auto token = ask(args, "--token-file", "HubSpot access token file (0600)", "/etc/churnguard/hubspot.token");
    text = replace_line(text, "^    file: /etc/churnguard/hubspot.token.*$", "    file: " + token);
    text = replace_line(text, "^(  token:\\n    )(file|env): .*$", "$1file: " + token);
    if (auto base = flag(args, "--base-url"); !base.empty()) text = replace_line(text, "^  base_url: .*$", "  base_url: " + base);
    if (auto ca = flag(args, "--ca-file"); !ca.empty())
      text = replace_line(text, "^  properties: \\[\\](.*)$", "  properties: []$1\n  ca_file: " + ca);
  } else {
    std::ostringstream sf;
    sf << "\nsalesforce:\n  login_url: " << ask(args, "--login-url", "Salesforce login URL", "https://login.salesforce.com")
       << "\n  object: " << ask(args, "--object", "Customer object (Account or Contact)", "Account")
       << "\n  client_id: " << ask(args, "--client-id", "Connected app consumer key")
       << "\n  username: " << ask(args, "--username", "Integration user's username")
       << "\n  private_key: {file: " << ask(args, "--key-file", "Connected app private key file (0600)", "/etc/churnguard/salesforce.key")
       << "}\n";
    if (auto ca = flag(args, "--ca-file"); !ca.empty()) sf << "  ca_file: " << ca << "\n";
    if (auto f = flag(args, "--fields"); !f.empty()) sf << "  fields: [" << f << "]\n";
    // Replace a previous salesforce section (up to the next top-level key), else append.
    std::regex old("\\nsalesforce:\\n(  .*\\n)*");
    text = std::regex_search(text, old) ? std::regex_replace(text, old, sf.str(), std::regex_constants::format_first_only)
                                        : text + sf.str();
  }
  auto parsed = config::parse_config(text, path);
  if (!parsed) {
    std::cerr << "churnguard: the new configuration would not load, nothing written:\n" << parsed.error().what() << "\n";
    return 2;
  }
  if (auto s = config::check_secrets(*parsed); !s)
    std::cerr << "warning: " << log::redact(s.error().what()) << " (fix it before starting the service)\n";
  if (std::find(args.begin(), args.end(), "--dry-run") != args.end()) {
    std::cout << "would write " << path << " for " << crm << "\n";
    return 0;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::copy_file(path, path + ".bak", fs::copy_options::overwrite_existing, ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) {
      std::cerr << "churnguard: cannot write " << tmp << " (disk full or read-only?); " << path << " is unchanged\n";
      return 1;
    }
  }
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    ::chmod(tmp.c_str(), st.st_mode & 0777);
    if (::chown(tmp.c_str(), st.st_uid, st.st_gid) != 0) { /* not root: keep ours */ }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::cerr << "churnguard: cannot replace " << path << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "wrote " << path << " for " << crm << " (previous version: " << path << ".bak)\n";
  return 0;
}

namespace {

struct Checker {
  int failed = 0;
  void line(const char* status, const std::string& name, const std::string& detail, const std::string& fix = "") {
    std::cout << status << "  " << name << ": " << log::redact(detail) << (fix.empty() ? "" : " — fix: " + fix) << "\n";
    if (std::string(status) == "FAIL") ++failed;
  }
};

std::optional<std::int64_t> http_date(const std::string& v) {
  std::tm tm{};
  if (!strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

int doctor(const std::string& config_path) {
  Checker c;
  auto cfg = config::load_config(config_path);
  if (!cfg) {
    c.line("FAIL", "config", cfg.error().what(), "edit " + config_path + " (every key is in docs/config.md)");
    return 1;
  }
  if (auto s = config::check_secrets(*cfg); !s)
    c.line("FAIL", "config", s.error().what(), "create the secret file with mode 0600, or run `churnguard setup --write-config`");
  else
    c.line("ok", "config", config_path + " loads; secrets resolve");

  struct stat st{};
  if (::stat(cfg->state_dir.c_str(), &st) != 0)
    c.line("FAIL", "state directory", cfg->state_dir + " does not exist", "install -d -m 0700 -o churnguard " + cfg->state_dir);
  else if (st.st_mode & 077)
    c.line("WARN", "state directory", cfg->state_dir + " is readable by others", "chmod 700 " + cfg->state_dir);
  else
    c.line("ok", "state directory", cfg->state_dir + " (0700)");

  struct statvfs vfs{};
  if (::statvfs(cfg->state_dir.c_str(), &vfs) == 0) {
    const double free_mb = double(vfs.f_bavail) * double(vfs.f_frsize) / (1 << 20);
    const std::string d = std::to_string(static_cast<long long>(free_mb)) + " MiB free under " + cfg->state_dir;
    if (free_mb < 100) c.line("FAIL", "disk", d, "free space: the store needs room for its write-ahead log");
    else if (free_mb < 1024) c.line("WARN", "disk", d, "keep at least 1 GiB free");
    else c.line("ok", "disk", d);
  }

  if (::geteuid() == 0 && ::stat(cfg->state_dir.c_str(), &st) == 0 && st.st_uid != 0) {
    // As root, look at the store as its owner does, and never create root-owned files in it.
    if (::setgroups(0, nullptr) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0)
      c.line("FAIL", "privileges", "cannot switch to the owner of " + cfg->state_dir, "run doctor as that user");
  }
  auto store = store::Store::open(cfg->state_path(cfg->store.path));
  if (!store) {
    c.line("FAIL", "store", store.error().what(), "check the path and permissions, or restore the backup");
  } else {
    auto n = (*store)->counts();
    c.line("ok", "store", "schema v" + std::to_string((*store)->version()) + ", " + std::to_string(n.customers) +
                              " customers, " + std::to_string(n.outbox_pending) + " writes pending, " +
                              std::to_string(n.outbox_failed) + " failed");
    auto active = (*store)->active_model();
    if (active) c.line("ok", "churn model", active->version);
    else c.line("WARN", "churn model", "none trained yet", "run `churnguard run` (it trains on the first pass)");
  }
  auto sentiment = sentiment::SentimentModel::load(cfg->state_path(cfg->sentiment.model_path));
  if (sentiment) c.line("ok", "sentiment model", cfg->state_path(cfg->sentiment.model_path));
  else c.line("FAIL", "sentiment model", sentiment.error().what(), "reinstall the package or set sentiment.model_path");

  if (c.failed == 0) {
    boost::asio::io_context io;
    auto app = App::create(*cfg, io);
    if (!app) {
      c.line("FAIL", "CRM", app.error().what(), "check the CRM section of the config");
    } else {
      const auto t0 = std::chrono::steady_clock::now();
      auto ok = run_sync(io, (*app)->crm().check_connection());
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      if (ok) c.line("ok", "CRM", cfg->crm + " reachable and the credentials work (" + std::to_string(ms) + " ms)");
      else c.line("FAIL", "CRM", ok.error().what(),
                  ok.error().kind == ErrorKind::auth ? "renew the token or key; check the app's scopes or permission set"
                                                     : "check network access and ca_file to the CRM host");
      // The users who own records: named on the dashboard, and a deactivated one gets no task.
      if (ok) {
        auto owners = run_sync(io, (*app)->crm().list_owners());
        if (owners) {
          const auto off = std::count_if(owners->begin(), owners->end(), [](const crm::Owner& o) { return !o.active; });
          c.line("ok", "owners", std::to_string(owners->size()) + " users who can own records (" + std::to_string(off) +
                                     " deactivated)");
        } else {
          c.line("WARN", "owners", owners.error().what(),
                 cfg->crm == "hubspot" ? "add the crm.objects.owners.read scope to the app (tasks and the dashboard work without it)"
                                       : "let the integration user read User records (tasks and the dashboard work without it)");
        }
      }
      if (auto left = (*app)->crm().usage().daily_remaining)
        c.line(*left < 1000 ? "WARN" : "ok", "API budget", std::to_string(*left) + " calls left today",
               *left < 1000 ? "lower schedule.interval_seconds load or raise the CRM's allocation" : "");
      // Clock skew against the CRM's Date header (signatures and windows depend on the clock).
      const std::string base = cfg->crm == "salesforce" ? cfg->salesforce.login_url : cfg->hubspot.base_url;
      const std::string ca = cfg->crm == "salesforce" ? cfg->salesforce.ca_file : cfg->hubspot.ca_file;
      transport::ClientOptions options{base, ca, std::chrono::seconds(10), 1u << 20, "churnguard-doctor"};
      auto client = transport::HttpsClient::create(io.get_executor(), std::move(options));
      if (client) {
        transport::Request req{boost::beast::http::verb::get, "/"};
        auto r = run_sync(io, (*client)->send(std::move(req)));
        auto when = r ? http_date(r->header("date")) : std::nullopt;
        if (when) {
          const auto skew = std::llabs(SystemClock{}.now_ms() - *when) / 1000;
          c.line(skew > 60 ? "FAIL" : skew > 5 ? "WARN" : "ok", "clock", "skew " + std::to_string(skew) + " s against the CRM",
                 skew > 5 ? "enable time sync (timedatectl set-ntp true); webhook signatures allow 5 minutes" : "");
        } else {
          c.line("WARN", "clock", "the CRM sent no Date header to compare with", "make sure NTP is on (timedatectl)");
        }
      }
    }
  }
  std::cout << (c.failed ? std::to_string(c.failed) + " check(s) failed\n" : "all checks passed\n");
  return c.failed ? 1 : 0;
}

}  // namespace cg::app
