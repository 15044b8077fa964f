#include "connectors/api/types.hpp"

namespace cg::crm {
const char* to_string(ObjectKind k) {
  switch (k) {
    case ObjectKind::customers: return "customers";
    case ObjectKind::tickets: return "tickets";
    case ObjectKind::emails: return "emails";
    case ObjectKind::contacts: return "contacts";
  }
  return "?";
}
}  // namespace cg::crm
