#include "simulator/cli.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace cg::sim {

bool Args::next(std::string& flag) {
  if (++i_ >= argc_) return false;
  flag = flag_ = argv_[i_];
  return true;
}

Result<std::string> Args::text() {
  if (i_ + 1 >= argc_) return make_error(ErrorKind::config, flag_ + " needs a value");
  return std::string(argv_[++i_]);
}

namespace {

template <class T>
std::string shown(T v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

template <class T>
Result<T> parse(const std::string& flag, const Result<std::string>& v, T min, T max, const char* what) {
  if (!v) return v.error();
  T out{};
  const auto* end = v->data() + v->size();
  auto [at, ec] = std::from_chars(v->data(), end, out);
  if (ec != std::errc() || at != end || v->empty())
    return make_error(ErrorKind::config, flag + ": '" + *v + "' is not " + what);
  if (out < min || out > max)
    return make_error(ErrorKind::config,
                      flag + ": " + *v + " is out of range [" + shown(min) + ", " + shown(max) + "]");
  return out;
}

}  // namespace

Result<long long> Args::integer(long long min, long long max) {
  return parse<long long>(flag_, text(), min, max, "a whole number");
}

Result<double> Args::decimal(double min, double max) { return parse<double>(flag_, text(), min, max, "a number"); }

Result<std::string> read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::config, "cannot open " + what + " " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cg::sim
