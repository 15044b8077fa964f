#pragma once
// Wall-clock time in epoch milliseconds, injectable so that logic over dates is testable.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cg {

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] std::int64_t now_ms() const override;
};

// A clock that stays where a test puts it. Not thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t ms) : ms_(ms) {}
  [[nodiscard]] std::int64_t now_ms() const override { return ms_; }
  void advance_ms(std::int64_t d) { ms_ += d; }

 private:
  std::int64_t ms_;
};

inline constexpr std::int64_t ms_per_day = 86'400'000;

// "2026-11-24T14:02:11.123Z"
std::string format_iso8601(std::int64_t epoch_ms);
// Accepts ISO-8601 with 'Z' or +hh:mm/+hhmm offsets and optional fraction, or epoch ms digits.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

}  // namespace cg
