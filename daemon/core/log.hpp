#pragma once
// Structured one-line logs to stderr. Thread-safe. Every registered secret is replaced by
// "[redacted]" before a line is written, whatever code path formatted it.
#include <string>
#include <string_view>

namespace cg::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
void register_secret(const std::string& value);
std::string redact(std::string line);

void write(Level level, std::string_view component, std::string_view message);
inline void debug(std::string_view c, std::string_view m) { write(Level::debug, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::error, c, m); }

}  // namespace cg::log
