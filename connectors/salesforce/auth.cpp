#include "connectors/salesforce/auth.hpp"

#include <boost/json.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

namespace cg::salesforce {
namespace json = boost::json;
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bio = std::unique_ptr<BIO, Free<BIO, BIO_free_all>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;

Bio memory_bio(const std::string& pem) { return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))); }

}  // namespace

std::string base64url(const std::string& in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) out += kAlphabet[(buf >> (bits -= 6)) & 63];
  }
  if (bits > 0) out += kAlphabet[(buf << (6 - bits)) & 63];
  return out;  // no padding, as JWTs use
}

Result<std::string> base64url_decode(const std::string& in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kAlphabet, c);
    if (!p || c == '\0') return make_error(ErrorKind::invalid_input, "not base64url");
    buf = (buf << 6) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) out += static_cast<char>((buf >> (bits -= 8)) & 0xff);
  }
  return out;
}

Result<std::string> sign_jwt(const JwtClaims& c, const std::string& pem) {
  auto bio = memory_bio(pem);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return make_error(ErrorKind::config, "the Salesforce private key is not a PEM private key");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return make_error(ErrorKind::config, "the Salesforce private key must be RSA (Salesforce accepts only RS256)");
  const std::string header = base64url(R"({"alg":"RS256"})");
  const std::string claims = base64url(json::serialize(
      json::object{{"iss", c.iss}, {"sub", c.sub}, {"aud", c.aud}, {"exp", c.exp_s}}));
  const std::string input = header + "." + claims;
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return make_error(ErrorKind::auth, "signing the JWT failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return make_error(ErrorKind::auth, "signing the JWT failed");
  sig.resize(len);
  return input + "." + base64url(sig);
}

Result<JwtClaims> verify_jwt(const std::string& jwt, const std::string& pem) {
  auto bad = [](const std::string& why) { return make_error(ErrorKind::auth, "invalid assertion: " + why); };
  auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
  if (d1 == std::string::npos || d1 == d2) return bad("not three parts");
  auto header = base64url_decode(jwt.substr(0, d1));
  auto claims = base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(jwt.substr(d2 + 1));
  if (!header || !claims || !sig) return bad("not base64url");
  boost::system::error_code ec;
  auto h = json::parse(*header, ec);
  if (ec || !h.is_object() || !h.as_object().if_contains("alg") || h.as_object().at("alg") != "RS256")
    return bad("alg must be RS256");
  Key key;
  if (auto bio = memory_bio(pem); pem.find("CERTIFICATE") != std::string::npos) {
    Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert) key.reset(X509_get_pubkey(cert.get()));
  } else {
    key.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  }
  if (!key) return make_error(ErrorKind::config, "the verifying key is not a PEM public key or certificate");
  const std::string input = jwt.substr(0, d2);
  MdCtx ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return bad("signature does not verify");
  auto c = json::parse(*claims, ec);
  if (ec || !c.is_object()) return bad("claims are not a JSON object");
  JwtClaims out;
  auto& o = c.as_object();
  auto str = [&](const char* k) { auto* v = o.if_contains(k); return v && v->is_string() ? std::string(v->as_string()) : std::string(); };
  out.iss = str("iss");
  out.sub = str("prn").empty() ? str("sub") : str("prn");  // prn wins when both are present
  out.aud = str("aud");
  if (auto* e = o.if_contains("exp"); e && e->is_number()) {
    boost::system::error_code ec;
    if (auto v = e->to_number<std::int64_t>(ec); !ec) out.exp_s = v;
  }
  return out;
}

std::string form_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string jwt_bearer_body(const std::string& assertion) {
  return "grant_type=" + form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + form_encode(assertion);
}

std::string client_credentials_body(const std::string& id, const std::string& secret) {
  return "grant_type=client_credentials&client_id=" + form_encode(id) + "&client_secret=" + form_encode(secret);
}

Result<Token> parse_token_response(unsigned status, const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    return make_error(ErrorKind::bad_response, "Salesforce token endpoint answered " + std::to_string(status) +
                                                " with a body that is not a JSON object");
  const auto& o = v.as_object();
  auto str = [&](const char* k) { auto* x = o.if_contains(k); return x && x->is_string() ? std::string(x->as_string()) : std::string(); };
  if (status != 200 || !str("error").empty())
    return make_error(ErrorKind::auth, "Salesforce refused to issue a token: " + str("error") +
                                           (str("error_description").empty() ? "" : " (" + str("error_description") + ")"));
  Token t{str("access_token"), str("instance_url")};
  if (t.access_token.empty() || t.instance_url.empty())
    return make_error(ErrorKind::bad_response, "Salesforce token response has no access_token or instance_url");
  return t;
}

}  // namespace cg::salesforce
