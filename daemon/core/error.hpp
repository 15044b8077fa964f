#pragma once
// Errors a CRM, a user or the environment can cause travel as values: Result<T> carries
// either a T or an Error that names its kind and cause. Exceptions are for bugs and start-up.
#include <boost/system/result.hpp>
#include <boost/assert/source_location.hpp>
#include <stdexcept>
#include <string>

namespace cg {

enum class ErrorKind {
  config,        // the configuration is invalid
  io,            // a file or socket failed
  tls,           // the peer's certificate was refused or the handshake failed
  timeout,       // a deadline passed
  auth,          // the CRM refused our credentials
  rate_limited,  // the CRM's limit is exhausted beyond what we may wait for
  bad_response,  // the CRM (or a peer) answered something we cannot parse
  rejected,      // the CRM rejected the request (4xx other than auth/limits)
  unavailable,   // the CRM kept failing with 5xx after retries
  not_found,
  store,         // SQLite failed
  model,         // a model could not be trained, loaded or applied
  invalid_input, // a caller sent bad data
};

const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;

  [[nodiscard]] std::string what() const { return std::string(to_string(kind)) + ": " + message; }
};

// Thrown only by Result::value() on an error: a bug or an unrecoverable start-up failure.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(const Error& e) : std::runtime_error(e.what()), error_(e) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace cg
