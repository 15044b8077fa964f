#pragma once
// A credential that cannot be printed by accident: no stream operator, no implicit string
// conversion. Every Secret made registers its value with the log redactor.
#include <string>

namespace cg {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value);

  [[nodiscard]] const std::string& reveal() const { return value_; }
  [[nodiscard]] bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

}  // namespace cg
