#pragma once
// Waiting helpers shared by connectors: jittered exponential backoff, one call's tries, and a
// pacer that spaces requests to a fixed rate (HubSpot search allows 5 per second and sends no
// headers to steer by). Not thread-safe.
#include "daemon/core/error.hpp"

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <cstdint>
#include <random>

namespace cg::transport {

// Sleeps on the calling coroutine's executor.
boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d);

// "Full jitter": a uniform delay in [base, min(cap, base * 2^attempt)].
class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint32_t seed = 0x5eed)
      : base_(base), cap_(cap), rng_(seed) {}
  std::chrono::milliseconds delay(int attempt);

 private:
  std::chrono::milliseconds base_, cap_;
  std::minstd_rand rng_;
};

// One call's tries: a failed exchange or a transient answer (a 5xx, a lock) is tried again after
// a backoff, up to `max_attempts` tries in all. TLS and configuration failures do not heal by
// retrying, so they end the call at once.
class Attempts {
 public:
  Attempts(Backoff& backoff, int max_attempts) : backoff_(backoff), max_(max_attempts) {}
  // Whether to try again after `failure`; if so, logs it under `source` and waits the backoff.
  boost::asio::awaitable<bool> again_after(Error failure, const char* source);  // by value: a coroutine outlives a temporary
  // Whether to try again after a transient answer; if so, waits the backoff but at least `floor`,
  // or `retry_after` where the server named a wait (> 0).
  boost::asio::awaitable<bool> again_after_transient(std::chrono::milliseconds floor = {},
                                                     std::chrono::milliseconds retry_after = {});

 private:
  Backoff& backoff_;
  int max_, attempt_ = 0;
};

// At most `per_second` requests in any sliding window of 1.1 s (a 10% margin under a server that
// counts per second), so short bursts go at once and long runs settle at the rate.
class Pacer {
 public:
  explicit Pacer(int per_second) : limit_(static_cast<std::size_t>(std::max(1, per_second))) {}
  // Waits until the next request may go.
  boost::asio::awaitable<void> wait();

 private:
  std::size_t limit_;
  std::deque<std::chrono::steady_clock::time_point> sent_;
};

}  // namespace cg::transport
