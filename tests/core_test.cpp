#include "daemon/core/clock.hpp"
#include "daemon/core/log.hpp"
#include "daemon/core/secret.hpp"

#include <gtest/gtest.h>

using namespace cg;

TEST(Clock, ParsesHubSpotAndSalesforceTimestamps) {
  EXPECT_EQ(parse_timestamp("2026-11-24T14:02:11.123Z"), 1795528931123);
  EXPECT_EQ(parse_timestamp("2026-11-24T14:02:11.123+0000"), 1795528931123);
  EXPECT_EQ(parse_timestamp("2026-11-24T16:02:11.123+02:00"), 1795528931123);
  EXPECT_EQ(parse_timestamp("1795528931123"), 1795528931123);
  EXPECT_EQ(parse_timestamp("2026-11-24"), 1795478400000);
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp("2026-13-40T00:00:00Z"));
  EXPECT_FALSE(parse_timestamp(""));
}

TEST(Clock, FormatRoundTrips) {
  EXPECT_EQ(format_iso8601(1795528931123), "2026-11-24T14:02:11.123Z");
  EXPECT_EQ(parse_timestamp(format_iso8601(1795528931123)), 1795528931123);
}

TEST(Log, RedactsEverySecretWhereverItAppears) {
  Secret s("pat-na1-super-secret-value");
  auto line = log::redact("token pat-na1-super-secret-value sent; again pat-na1-super-secret-value");
  EXPECT_EQ(line.find("super-secret"), std::string::npos);
  EXPECT_NE(line.find("[redacted]"), std::string::npos);
}
