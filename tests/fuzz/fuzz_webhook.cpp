// HubSpot webhook verifier and event parser, as /webhooks/hubspot runs them on untrusted input.
// Input: timestamp header \0 signature header \0 request URI \0 body.
#include "connectors/hubspot/webhook.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto f = cg::fuzz::split_input(data, size, 4);
  const std::int64_t now_ms = 1'764'000'000'000;
  auto uri = cg::hubspot::decode_signed_uri(f[2]);
  (void)cg::hubspot::verify_v3("fuzz-client-secret", "POST", uri, f[3], f[0], f[1], now_ms);
  // A forged signature must never pass: the secret is not in the input's reach.
  if (auto ok = cg::hubspot::verify_v3("fuzz-client-secret", "POST", uri, f[3], f[0], f[1], now_ms); ok &&
      f[1] != cg::hubspot::sign_v3("fuzz-client-secret", "POST", uri, f[3], f[0]))
    __builtin_trap();
  if (auto evs = cg::hubspot::parse_webhook_events(f[3]); evs && evs->size() > 100) __builtin_trap();
  return 0;
}
