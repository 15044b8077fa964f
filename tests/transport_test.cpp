// One call's tries (transport::Attempts), as both connectors use them.
#include "connectors/transport/pacing.hpp"
#include "daemon/core/error.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace cg {
namespace {

using std::chrono::milliseconds;

template <class F>
bool run(F&& f) {
  boost::asio::io_context io;
  auto fut = boost::asio::co_spawn(io, std::forward<F>(f)(), boost::asio::use_future);
  io.run();
  return fut.get();
}

TEST(Attempts, WhatDoesNotHealEndsTheCallAtOnce) {
  transport::Backoff backoff(milliseconds(1), milliseconds(2));
  transport::Attempts attempts(backoff, 5);
  const Error tls{ErrorKind::tls, "certificate verify failed"}, config{ErrorKind::config, "no such host"};
  EXPECT_FALSE(run([&] { return attempts.again_after(tls, "test"); }));
  EXPECT_FALSE(run([&] { return attempts.again_after(config, "test"); }));
  // Neither used up a try: a network failure (io) is still tried again.
  EXPECT_TRUE(run([&] { return attempts.again_after(Error{ErrorKind::io, "connection reset"}, "test"); }));
}

TEST(Attempts, FailuresAndTransientAnswersShareOneBudget) {
  transport::Backoff backoff(milliseconds(1), milliseconds(2));
  transport::Attempts attempts(backoff, 3);  // three tries: two more after the first
  EXPECT_TRUE(run([&] { return attempts.again_after(Error{ErrorKind::timeout, "timed out"}, "test"); }));
  EXPECT_TRUE(run([&] { return attempts.again_after_transient(); }));
  EXPECT_FALSE(run([&] { return attempts.again_after_transient(); }));
  EXPECT_FALSE(run([&] { return attempts.again_after(Error{ErrorKind::timeout, "timed out"}, "test"); }));
}

TEST(Attempts, ATransientAnswerWaitsAtLeastTheFloorOrWhatTheServerNamed) {
  transport::Backoff backoff(milliseconds(1), milliseconds(2));
  transport::Attempts attempts(backoff, 10);
  auto waited = [&](milliseconds floor, milliseconds named) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(run([&] { return attempts.again_after_transient(floor, named); }));
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  };
  EXPECT_GE(waited(milliseconds(40), milliseconds(0)), milliseconds(40));  // HubSpot's 423: at least 2 s
  EXPECT_GE(waited(milliseconds(0), milliseconds(60)), milliseconds(60));  // Retry-After
}

}  // namespace
}  // namespace cg
