#include "pki.h"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lienthong::signing::test {

namespace {

std::shared_ptr<EVP_PKEY> makeKey(KeyKind k) {
  EVP_PKEY* key = nullptr;
  switch (k) {
    case KeyKind::Rsa2048: key = EVP_RSA_gen(2048); break;
    case KeyKind::Rsa1024: key = EVP_RSA_gen(1024); break;
    case KeyKind::P256: key = EVP_EC_gen("P-256"); break;
    case KeyKind::P384: key = EVP_EC_gen("P-384"); break;
  }
  if (key == nullptr) throw std::runtime_error("key generation failed");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (value.empty()) return;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string bioText(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::string TestCert::certPem() const {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert.get());
  std::string s = bioText(b);
  BIO_free(b);
  return s;
}

std::string TestCert::keyPem(const std::string& pass) const {
  BIO* b = BIO_new(BIO_s_mem());
  if (pass.empty()) {
    PEM_write_bio_PKCS8PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(b, key.get(), EVP_aes_256_cbc(), pass.data(),
                                  static_cast<int>(pass.size()), nullptr, nullptr);
  }
  std::string s = bioText(b);
  BIO_free(b);
  return s;
}

std::string TestCert::pkcs12(const std::string& pass,
                             const std::vector<const TestCert*>& chain) const {
  STACK_OF(X509)* ca = sk_X509_new_null();
  for (const auto* c : chain) sk_X509_push(ca, c->cert.get());
  PKCS12* p12 = PKCS12_create(pass.c_str(), "signer", key.get(), cert.get(), ca, 0, 0, 0, 0, 0);
  sk_X509_free(ca);
  if (p12 == nullptr) throw std::runtime_error("PKCS12_create");
  unsigned char* der = nullptr;
  int n = i2d_PKCS12(p12, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  PKCS12_free(p12);
  return out;
}

std::string TestCert::serialHex() const {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr);
  char* h = BN_bn2hex(bn);
  std::string s = h;
  OPENSSL_free(h);
  BN_free(bn);
  return s;
}

TestCert makeCert(const CertSpec& spec, const TestCert* issuer) {
  TestCert out;
  out.key = makeKey(spec.key);
  X509* c = X509_new();
  out.cert = std::shared_ptr<X509>(c, X509_free);
  X509_set_version(c, 2);
  if (spec.serial != 0) {
    ASN1_INTEGER_set(X509_get_serialNumber(c), spec.serial);
  } else {
    unsigned char b[12];
    RAND_bytes(b, sizeof b);
    b[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(b, sizeof b, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
    BN_free(bn);
  }
  X509_gmtime_adj(X509_getm_notBefore(c), spec.not_before_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(c), spec.not_after_days * 86400L);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("VN"), -1, -1, 0);
  if (!spec.organization.empty())
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.organization.c_str()), -1, -1, 0);
  if (!spec.organ_id.empty()) {
    X509_NAME_add_entry_by_NID(name, NID_organizationIdentifier, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.organ_id.c_str()), -1, -1, 0);
  }
  for (const auto& [sn, value] : spec.subject) {
    if (X509_NAME_add_entry_by_txt(name, sn.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1)
      throw std::runtime_error("subject attribute " + sn);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : c;
  X509_set_issuer_name(c, X509_get_subject_name(issuer_cert));
  X509_set_pubkey(c, out.key.get());
  addExt(c, issuer_cert, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  addExt(c, issuer_cert, NID_key_usage, spec.ca ? "critical,keyCertSign,cRLSign" : spec.key_usage);
  addExt(c, issuer_cert, NID_ext_key_usage, spec.ext_key_usage);
  addExt(c, issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) addExt(c, issuer_cert, NID_authority_key_identifier, "keyid:always");
  if (!spec.ocsp_url.empty()) addExt(c, issuer_cert, NID_info_access, "OCSP;URI:" + spec.ocsp_url);
  if (!spec.crl_url.empty()) addExt(c, issuer_cert, NID_crl_distribution_points, "URI:" + spec.crl_url);
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
  if (X509_sign(c, signing_key, EVP_sha256()) == 0) throw std::runtime_error("X509_sign");
  return out;
}

std::string makeCrl(const TestCert& ca, const std::vector<const TestCert*>& revoked,
                    long next_update_days) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.cert.get()));
  ASN1_TIME* t = ASN1_TIME_adj(nullptr, time(nullptr), -1, 0);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME* n = ASN1_TIME_adj(nullptr, time(nullptr), static_cast<int>(next_update_days), 0);
  X509_CRL_set1_nextUpdate(crl, n);
  for (const auto* r : revoked) {
    X509_REVOKED* rev = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(r->cert.get()));
    X509_REVOKED_set_revocationDate(rev, t);
    X509_CRL_add0_revoked(crl, rev);
  }
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, ca.key.get(), EVP_sha256());
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(b, crl);
  std::string s = bioText(b);
  BIO_free(b);
  X509_CRL_free(crl);
  return s;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "lienthong-sign-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& bytes) const {
  auto p = path / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run(const std::string& command, int timeout_seconds) {
  RunResult r;
  std::string cmd = "timeout " + std::to_string(timeout_seconds) + " " + command + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.output.append(buf.data(), n);
  int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const Pki& pki() {
  static const Pki p = [] {
    Pki out;
    CertSpec root;
    root.cn = "Lienthong Test Root CA";
    root.ca = true;
    root.not_before_days = -365;
    root.not_after_days = 3650;
    out.root = makeCert(root, nullptr);
    CertSpec rsa;
    rsa.organ_id = "000.00.00.H41";
    out.rsa = makeCert(rsa, &out.root);
    CertSpec ec;
    ec.key = KeyKind::P256;
    ec.cn = "Văn phòng UBND tỉnh Nghệ An";
    ec.organ_id = "H41.01";
    out.ec = makeCert(ec, &out.root);
    out.crl = makeCrl(out.root, {});
    return out;
  }();
  return p;
}

}  // namespace lienthong::signing::test
