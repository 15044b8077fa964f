#pragma once
// A throwaway CA and a server certificate signed by it, made at run time for the simulators
// and tests (nothing private is ever committed).
#include "daemon/core/error.hpp"

#include <string>
#include <vector>

namespace cg::sim {

struct CertBundle {
  std::string ca_pem;    // trust this
  std::string cert_pem;  // server certificate
  std::string key_pem;   // server private key
};

// The certificate is valid for the given DNS names and IP addresses (subjectAltName).
Result<CertBundle> make_test_certs(const std::vector<std::string>& dns_names, const std::vector<std::string>& ips);

// An RSA-2048 key and a self-signed certificate for it: a connected app's "digital signature"
// (the JWT bearer flow signs with the key; Salesforce verifies with the uploaded certificate).
struct AppKey {
  std::string key_pem, cert_pem;
};
Result<AppKey> make_app_signing_key();

// Writes ca.pem, cert.pem and key.pem (0600) into dir unless they exist; returns the bundle.
Result<CertBundle> ensure_cert_dir(const std::string& dir);

}  // namespace cg::sim
