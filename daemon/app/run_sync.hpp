#pragma once
// Runs one coroutine to completion on an io_context and returns its result; for the CLI's
// one-shot commands and for tests. An exception escaping the coroutine becomes an error.
#include "daemon/core/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

namespace cg::app {

template <class T>
Result<T> run_sync(boost::asio::io_context& io, boost::asio::awaitable<Result<T>> task) {
  std::optional<Result<T>> out;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr ep, Result<T> r) {
    if (!ep) {
      out = std::move(r);
      return;
    }
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      out = make_error(ErrorKind::io, std::string("unexpected failure: ") + e.what());
    }
  });
  io.run();
  io.restart();
  if (!out) return make_error(ErrorKind::io, "the task did not finish");
  return std::move(*out);
}

}  // namespace cg::app
