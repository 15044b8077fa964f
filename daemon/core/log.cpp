#include "daemon/core/log.hpp"

#include "daemon/core/clock.hpp"
#include "daemon/core/secret.hpp"

#include <cstdio>
#include <mutex>
#include <vector>

namespace cg {

Secret::Secret(std::string value) : value_(std::move(value)) { log::register_secret(value_); }

namespace log {
namespace {
std::mutex mutex;
Level min_level = Level::info;
std::vector<std::string> secrets;

const char* name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_level(Level level) {
  std::lock_guard lock(mutex);
  min_level = level;
}

void register_secret(const std::string& value) {
  // Very short values would redact ordinary words; a real credential is never this short.
  if (value.size() < 6) return;
  std::lock_guard lock(mutex);
  secrets.push_back(value);
}

static std::string redact_locked(std::string line) {
  for (const auto& s : secrets) {
    for (auto pos = line.find(s); pos != std::string::npos; pos = line.find(s, pos))
      line.replace(pos, s.size(), "[redacted]");
  }
  return line;
}

std::string redact(std::string line) {
  std::lock_guard lock(mutex);
  return redact_locked(std::move(line));
}

void write(Level level, std::string_view component, std::string_view message) {
  std::lock_guard lock(mutex);
  if (level < min_level) return;
  auto line = redact_locked(format_iso8601(SystemClock{}.now_ms()) + " " + name(level) + " [" +
                            std::string(component) + "] " + std::string(message));
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace log
}  // namespace cg
