#include "daemon/core/error.hpp"

namespace cg {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::config: return "config";
    case ErrorKind::io: return "io";
    case ErrorKind::tls: return "tls";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::auth: return "auth";
    case ErrorKind::rate_limited: return "rate-limited";
    case ErrorKind::bad_response: return "bad-response";
    case ErrorKind::rejected: return "rejected";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::not_found: return "not-found";
    case ErrorKind::store: return "store";
    case ErrorKind::model: return "model";
    case ErrorKind::invalid_input: return "invalid-input";
  }
  return "unknown";
}

void throw_exception_from_error(const Error& e, const boost::source_location&) { throw ErrorException(e); }

}  // namespace cg
