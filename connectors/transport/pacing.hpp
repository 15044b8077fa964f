#pragma once
// Waiting helpers shared by connectors: jittered exponential backoff, and a pacer that spaces
// requests to a fixed rate (HubSpot search allows 5 per second and sends no headers to steer by).
// Not thread-safe.
#include <boost/asio/awaitable.hpp>

#include <chrono>
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

class Pacer {
 public:
  // A 10% margin keeps us under limits measured over a sliding window on the server side.
  explicit Pacer(double per_second) : interval_(std::chrono::microseconds(std::int64_t(1.1e6 / per_second))) {}
  // Waits until the next request may go.
  boost::asio::awaitable<void> wait();

 private:
  std::chrono::microseconds interval_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace cg::transport
