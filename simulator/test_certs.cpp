#include "simulator/test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace cg::sim {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;

PKey new_key() { return PKey(EVP_EC_gen("P-256")); }

bool add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

Cert make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, long serial, bool ca,
               const std::string& san) {
  Cert c(X509_new());
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), 60L * 60 * 24 * 30);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : c.get();
  bool ok = ca ? add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:TRUE") &&
                     add_ext(c.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign")
               : add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:FALSE") &&
                     add_ext(c.get(), iss, NID_ext_key_usage, "serverAuth") &&
                     add_ext(c.get(), iss, NID_subject_alt_name, san);
  if (!ok || X509_sign(c.get(), issuer_key, EVP_sha256()) == 0) return nullptr;
  return c;
}

std::string pem_cert(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, n);
  BIO_free(b);
  return s;
}

std::string pem_key(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, n);
  BIO_free(b);
  return s;
}

}  // namespace

Result<CertBundle> make_test_certs(const std::vector<std::string>& dns, const std::vector<std::string>& ips) {
  auto ca_key = new_key();
  auto leaf_key = new_key();
  if (!ca_key || !leaf_key) return make_error(ErrorKind::tls, "cannot generate a test key");
  auto ca = make_cert(ca_key.get(), "ChurnGuard test CA", nullptr, ca_key.get(), 1, true, "");
  std::string san;
  for (const auto& d : dns) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& i : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + i;
  if (!ca) return make_error(ErrorKind::tls, "cannot make the test CA");
  auto leaf = make_cert(leaf_key.get(), dns.empty() ? "localhost" : dns.front(), ca.get(), ca_key.get(), 2, false, san);
  if (!leaf) return make_error(ErrorKind::tls, "cannot make the test server certificate");
  return CertBundle{pem_cert(ca.get()), pem_cert(leaf.get()), pem_key(leaf_key.get())};
}

Result<AppKey> make_app_signing_key() {
  PKey key(EVP_RSA_gen(2048));
  if (!key) return make_error(ErrorKind::tls, "cannot generate an RSA key");
  auto cert = make_cert(key.get(), "ChurnGuard connected app", nullptr, key.get(), 7, false, "DNS:churnguard-app");
  if (!cert) return make_error(ErrorKind::tls, "cannot make the app certificate");
  return AppKey{pem_key(key.get()), pem_cert(cert.get())};
}

Result<CertBundle> ensure_cert_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  auto read = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  fs::path d(dir);
  std::error_code ec;
  fs::create_directories(d, ec);
  if (fs::exists(d / "ca.pem") && fs::exists(d / "cert.pem") && fs::exists(d / "key.pem"))
    return CertBundle{read(d / "ca.pem"), read(d / "cert.pem"), read(d / "key.pem")};
  auto b = make_test_certs({"localhost"}, {"127.0.0.1"});
  if (!b) return b;
  std::ofstream(d / "ca.pem") << b->ca_pem;
  std::ofstream(d / "cert.pem") << b->cert_pem;
  std::ofstream(d / "key.pem") << b->key_pem;
  ::chmod((d / "key.pem").c_str(), 0600);
  return b;
}

}  // namespace cg::sim
