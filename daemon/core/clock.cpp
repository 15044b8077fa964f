#include "daemon/core/clock.hpp"

#include <chrono>
#include <cstdio>

namespace cg {

std::int64_t SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_iso8601(std::int64_t epoch_ms) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{epoch_ms}};
  auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss hms{tp - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()),
                long(hms.subseconds().count()));
  return buf;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  using namespace std::chrono;
  if (s.empty()) return std::nullopt;
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    if (s.size() > 15) return std::nullopt;
    return std::stoll(std::string(s));
  }
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  std::size_t pos = 10;
  std::int64_t frac_ms = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || s.size() < pos + 6 || s[pos + 3] != ':' || !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec)) return std::nullopt;
      pos += 3;
    }
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int scale = 100, n = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (n++ < 3) frac_ms += (s[pos] - '0') * scale, scale /= 10;
        ++pos;
      }
    }
  }
  std::int64_t offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      int sign = s[pos] == '-' ? -1 : 1;
      if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
      std::size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      if (!digits(s, mpos, 2, om)) return std::nullopt;
      offset_min = sign * (oh * 60 + om);
      pos = mpos + 2;
    }
  }
  if (pos != s.size()) return std::nullopt;
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + milliseconds{frac_ms} - minutes{offset_min};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

}  // namespace cg
