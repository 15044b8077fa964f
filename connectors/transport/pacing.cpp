#include "connectors/transport/pacing.hpp"

#include "daemon/core/log.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace cg::transport {

namespace asio = boost::asio;

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

std::chrono::milliseconds Backoff::delay(int attempt) {
  auto hi = base_.count() << std::min(attempt, 16);
  hi = std::min<std::int64_t>(hi, cap_.count());
  std::uniform_int_distribution<std::int64_t> d(base_.count(), std::max<std::int64_t>(base_.count(), hi));
  return std::chrono::milliseconds(d(rng_));
}

asio::awaitable<bool> Attempts::again_after(Error failure, const char* source) {
  if (failure.kind == ErrorKind::tls || failure.kind == ErrorKind::config || ++attempt_ >= max_) co_return false;
  log::warn(source, failure.what() + "; retrying");
  co_await sleep_for(backoff_.delay(attempt_));
  co_return true;
}

asio::awaitable<bool> Attempts::again_after_transient(std::chrono::milliseconds floor, std::chrono::milliseconds retry_after) {
  if (++attempt_ >= max_) co_return false;
  const auto wait = retry_after.count() > 0 ? retry_after : std::max(backoff_.delay(attempt_), floor);
  co_await sleep_for(wait);
  co_return true;
}

asio::awaitable<void> Pacer::wait() {
  constexpr auto window = std::chrono::milliseconds(1100);
  auto now = std::chrono::steady_clock::now();
  while (!sent_.empty() && now - sent_.front() >= window) sent_.pop_front();
  if (sent_.size() >= limit_) {
    asio::steady_timer t(co_await asio::this_coro::executor, sent_.front() + window);
    co_await t.async_wait(asio::use_awaitable);
    now = std::chrono::steady_clock::now();
    sent_.pop_front();
  }
  sent_.push_back(now);
}

}  // namespace cg::transport
