#include "connectors/api/types.hpp"

namespace cg::crm {
const char* to_string(ObjectKind k) {
  switch (k) {
    case ObjectKind::customers: return "customers";
    case ObjectKind::tickets: return "tickets";
    case ObjectKind::emails: return "emails";
    case ObjectKind::contacts: return "contacts";
    case ObjectKind::comments: return "comments";
    case ObjectKind::tasks: return "tasks";
  }
  return "?";
}
}  // namespace cg::crm
