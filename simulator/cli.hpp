#pragma once
// The simulators' command lines: flags with values, numbers read whole (a typo such as
// "--port 84a3" is an error naming the flag, never a silent 0), and the files they read.
#include "daemon/core/error.hpp"

#include <cstdlib>
#include <iostream>
#include <string>

namespace cg::sim {

class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}
  // The next flag into `flag`; false when there are no more.
  bool next(std::string& flag);
  // The current flag's value; an error when it has none.
  Result<std::string> text();
  // The current flag's value as a whole number or a decimal, in [min, max].
  Result<long long> integer(long long min, long long max);
  Result<double> decimal(double min, double max);

 private:
  int argc_, i_ = 0;
  char** argv_;
  std::string flag_;
};

// The value, or the error printed and the process ended with status 2 (a bad command line).
template <class T>
T or_exit(Result<T> r) {
  if (!r) {
    std::cerr << r.error().message << "\n";
    std::exit(2);
  }
  return std::move(*r);
}

// A file's text; an error naming it ("cannot open seed x.json") when it cannot be read.
Result<std::string> read_file(const std::string& path, const std::string& what);

}  // namespace cg::sim
