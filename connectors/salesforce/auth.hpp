#pragma once
// Salesforce OAuth 2.0 for a headless daemon: the JWT bearer assertion (RS256, signed with
// OpenSSL) and the token-request bodies and responses of the JWT bearer and client-credentials
// flows. Pure functions; the connector sends them.
#include "daemon/core/error.hpp"

#include <cstdint>
#include <string>

namespace cg::salesforce {

std::string base64url(const std::string& bytes);
Result<std::string> base64url_decode(const std::string& text);

struct JwtClaims {
  std::string iss;   // the connected app's consumer key
  std::string sub;   // the username to act as
  std::string aud;   // https://login.salesforce.com or https://test.salesforce.com
  std::int64_t exp_s = 0;
};

// header.claims.signature with {"alg":"RS256"}; the key is a PEM private key.
Result<std::string> sign_jwt(const JwtClaims& claims, const std::string& private_key_pem);

// Checks an RS256 JWT against a PEM public key or certificate and returns its claims (the
// simulator's side of the flow; also lets tests check what we sign).
Result<JwtClaims> verify_jwt(const std::string& jwt, const std::string& public_pem);

// application/x-www-form-urlencoded.
std::string form_encode(const std::string& text);
std::string jwt_bearer_body(const std::string& assertion);
std::string client_credentials_body(const std::string& client_id, const std::string& client_secret);

struct Token {
  std::string access_token;
  std::string instance_url;
};
// A token response (200), or the OAuth error shape {"error","error_description"} as an auth error.
Result<Token> parse_token_response(unsigned status, const std::string& body);

}  // namespace cg::salesforce
