// Test PKI made in-process with the OpenSSL API: a root CA, signer certificates with chosen
// validity, key usage, OCSP and CRL URLs, and CRLs. Also a temp folder and a process runner.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lienthong::signing::test {

enum class KeyKind { Rsa2048, Rsa1024, P256, P384 };

struct CertSpec {
  std::string cn = "Nguyễn Văn An";
  std::string organ_id;  // organizationIdentifier
  std::string organization = "Ủy ban nhân dân tỉnh Nghệ An";  // O, left out when empty
  // Further subject attributes by short name, before CN: {"UID", "CCCD:..."}, {"title", ...}.
  std::vector<std::pair<std::string, std::string>> subject;
  bool ca = false;
  KeyKind key = KeyKind::Rsa2048;
  long not_before_days = -1;  // relative to now
  long not_after_days = 365;
  std::string key_usage = "critical,digitalSignature,nonRepudiation";
  std::string ext_key_usage;  // e.g. "critical,timeStamping"
  std::string ocsp_url;
  std::string crl_url;
  long serial = 0;  // 0: random
};

struct TestCert {
  std::shared_ptr<X509> cert;
  std::shared_ptr<EVP_PKEY> key;
  std::string certPem() const;
  std::string keyPem(const std::string& passphrase) const;  // PKCS#8, AES-256 when non-empty
  std::string pkcs12(const std::string& passphrase, const std::vector<const TestCert*>& chain) const;
  std::string serialHex() const;
};

TestCert makeCert(const CertSpec& spec, const TestCert* issuer);
std::string makeCrl(const TestCert& ca, const std::vector<const TestCert*>& revoked,
                    long next_update_days = 7);

// A fresh folder under /tmp, removed at destruction.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
  std::filesystem::path write(const std::string& name, const std::string& bytes) const;
};

std::string readFile(const std::filesystem::path& p);
// Runs a shell command with a time limit; returns its exit status and output.
struct RunResult {
  int status = -1;
  std::string output;
};
RunResult run(const std::string& command, int timeout_seconds = 60);

// A shared test PKI: root, RSA and EC signers (issued by root), CRL of root (empty).
struct Pki {
  TestCert root;
  TestCert rsa;
  TestCert ec;
  std::string crl;  // PEM, empty revocation list
};
const Pki& pki();

}  // namespace lienthong::signing::test
