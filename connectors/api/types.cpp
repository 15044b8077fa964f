#include "connectors/api/types.hpp"

namespace cg::crm {
const char* to_string(ObjectKind k) {
  switch (k) {
    case ObjectKind::customers: return "customers";
    case ObjectKind::tickets: return "tickets";
  }
  return "?";
}
}  // namespace cg::crm
