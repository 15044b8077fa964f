#include "connectors/api/types.hpp"

#include <algorithm>
#include <cctype>

namespace cg::crm {
const char* to_string(ObjectKind k) {
  switch (k) {
    case ObjectKind::customers: return "customers";
    case ObjectKind::tickets: return "tickets";
    case ObjectKind::emails: return "emails";
    case ObjectKind::contacts: return "contacts";
    case ObjectKind::comments: return "comments";
    case ObjectKind::tasks: return "tasks";
    case ObjectKind::renewals: return "renewals";
  }
  return "?";
}

bool is_renewal_type(const std::string& type, const std::vector<std::string>& renewal_types) {
  auto same = [&](const std::string& t) {
    return t.size() == type.size() && std::equal(t.begin(), t.end(), type.begin(), [](unsigned char a, unsigned char b) {
             return std::tolower(a) == std::tolower(b);
           });
  };
  return !type.empty() && std::any_of(renewal_types.begin(), renewal_types.end(), same);
}
}  // namespace cg::crm
