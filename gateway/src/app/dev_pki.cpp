#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/node/signature.h"  // nodeTopUnit

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

namespace lienthong::gateway {

namespace {

namespace fs = std::filesystem;

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free_all)>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;

Error opensslError(const std::string& what) {
  return Error{ErrorCode::CryptoFailure, "dev PKI: " + what, 0, {}};
}

Result<EvpPkeyPtr> newKey() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) return std::unexpected(opensslError("cannot generate an EC P-256 key"));
  return key;
}

Result<void> writePem(const std::string& path, bool is_key, EVP_PKEY* key, X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  if (!bio) return std::unexpected(opensslError("BIO_new"));
  const int ok = is_key ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                        : PEM_write_bio_X509(bio.get(), cert);
  if (ok != 1) return std::unexpected(opensslError("cannot encode PEM for " + path));
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(ErrorCode::Io, "dev PKI: cannot write '" + tmp + "'");
    out.write(data, n);
    if (!out) return fail(ErrorCode::Io, "dev PKI: cannot write '" + tmp + "'");
  }
  std::error_code ec;
  if (is_key) fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::Io, "dev PKI: cannot rename '" + tmp + "': " + ec.message());
  return {};
}

Result<X509Ptr> readCert(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"), &BIO_free_all);
  if (!bio) return fail(ErrorCode::Io, "dev PKI: cannot read '" + path + "'");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return std::unexpected(opensslError("'" + path + "' is not a PEM certificate"));
  return cert;
}

Result<EvpPkeyPtr> readKey(const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"), &BIO_free_all);
  if (!bio) return fail(ErrorCode::Io, "dev PKI: cannot read '" + path + "'");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (!key) return std::unexpected(opensslError("'" + path + "' is not a PEM private key"));
  return key;
}

Result<void> addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()), &X509_EXTENSION_free);
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return std::unexpected(opensslError("cannot add extension " + value));
  }
  return {};
}

enum class CertKind { Ca, Tls, Seal };

// A certificate for `key`, signed by `signer_key` (self-signed when `issuer` is null). A seal
// names its organization in O and its OrganId in organizationIdentifier (2.5.4.97).
Result<X509Ptr> makeCert(EVP_PKEY* key, const std::string& cn, const std::string& ou, X509* issuer,
                         EVP_PKEY* signer_key, CertKind kind, const std::string& org = {},
                         const std::string& organ_id = {}, const std::string& policy = {}) {
  const bool ca = kind == CertKind::Ca;
  X509Ptr cert(X509_new(), &X509_free);
  if (!cert) return std::unexpected(opensslError("X509_new"));
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 825);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string o = org.empty() ? std::string("Lienthong dev PKI") : org;
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  if (!organ_id.empty()) {
    X509_NAME_add_entry_by_NID(name, NID_organizationIdentifier, MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(organ_id.c_str()), -1, -1, 0);
  }
  if (!ou.empty()) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(ou.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert.get();
  if (ca) {
    if (auto r = addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE"); !r) return std::unexpected(r.error());
    if (auto r = addExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign"); !r) return std::unexpected(r.error());
  } else if (kind == CertKind::Seal) {
    if (auto r = addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE"); !r) return std::unexpected(r.error());
    if (auto r = addExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,nonRepudiation"); !r) return std::unexpected(r.error());
  } else {
    if (auto r = addExt(cert.get(), iss, NID_basic_constraints, "critical,CA:FALSE"); !r) return std::unexpected(r.error());
    if (auto r = addExt(cert.get(), iss, NID_key_usage, "critical,digitalSignature,nonRepudiation,keyAgreement"); !r) return std::unexpected(r.error());
    if (auto r = addExt(cert.get(), iss, NID_ext_key_usage, "serverAuth,clientAuth"); !r) return std::unexpected(r.error());
    if (auto r = addExt(cert.get(), iss, NID_subject_alt_name, "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"); !r) return std::unexpected(r.error());
    if (!policy.empty()) {
      // Built by hand: the config-string form of certificatePolicies needs an OpenSSL config
      // database.
      CERTIFICATEPOLICIES* pols = CERTIFICATEPOLICIES_new();
      POLICYINFO* info = POLICYINFO_new();
      info->policyid = OBJ_txt2obj(policy.c_str(), 1);
      const bool ok = info->policyid != nullptr && sk_POLICYINFO_push(pols, info) > 0;
      if (!ok) POLICYINFO_free(info);
      const int added = ok ? X509_add1_ext_i2d(cert.get(), NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT) : 0;
      CERTIFICATEPOLICIES_free(pols);
      if (added != 1) return std::unexpected(opensslError("cannot add the certificate policy " + policy));
    }
  }
  if (auto r = addExt(cert.get(), iss, NID_subject_key_identifier, "hash"); !r) return std::unexpected(r.error());
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) <= 0) {
    return std::unexpected(opensslError("cannot sign the certificate for " + cn));
  }
  return cert;
}

std::string safeName(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

}  // namespace

Result<DevPki> DevPki::open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::Io, "dev PKI: cannot create '" + dir + "': " + ec.message());
  DevPki pki;
  pki.dir_ = dir;
  pki.ca_file_ = (fs::path(dir) / "ca.pem").string();
  pki.ca_key_file_ = (fs::path(dir) / "ca.key").string();
  if (fs::exists(pki.ca_file_) && fs::exists(pki.ca_key_file_)) return pki;
  auto key = newKey();
  if (!key) return std::unexpected(key.error());
  auto cert = makeCert(key->get(), "Lienthong dev CA", "", nullptr, key->get(), CertKind::Ca);
  if (!cert) return std::unexpected(cert.error());
  if (auto r = writePem(pki.ca_key_file_, true, key->get(), nullptr); !r) return std::unexpected(r.error());
  if (auto r = writePem(pki.ca_file_, false, nullptr, cert->get()); !r) return std::unexpected(r.error());
  return pki;
}

Result<TlsFiles> DevPki::issue(const std::string& subject, Role role, const std::string& name) const {
  const std::string base = safeName(name.empty() ? std::string(roleName(role)) + "-" + subject : name);
  TlsFiles files{(fs::path(dir_) / (base + ".pem")).string(),
                 (fs::path(dir_) / (base + ".key")).string(), ca_file_};
  if (fs::exists(files.cert) && fs::exists(files.key)) {
    // A certificate made before the role policies existed has no role any more: made again.
    auto existing = readCert(files.cert);
    const CertificateRule rule{role, "*", CertificateRule::Match::Policy, rolePolicy(role)};
    if (existing && certificateIdentity(existing->get(), {rule}).role == role) return files;
  }
  auto ca_cert = readCert(ca_file_);
  if (!ca_cert) return std::unexpected(ca_cert.error());
  auto ca_key = readKey(ca_key_file_);
  if (!ca_key) return std::unexpected(ca_key.error());
  auto key = newKey();
  if (!key) return std::unexpected(key.error());
  auto cert = makeCert(key->get(), subject, std::string(roleName(role)), ca_cert->get(),
                       ca_key->get(), CertKind::Tls, {}, {}, rolePolicy(role));
  if (!cert) return std::unexpected(cert.error());
  if (auto r = writePem(files.key, true, key->get(), nullptr); !r) return std::unexpected(r.error());
  if (auto r = writePem(files.cert, false, nullptr, cert->get()); !r) return std::unexpected(r.error());
  return files;
}

std::string DevPki::rolePolicy(Role role) {
  switch (role) {
    case Role::Office: return "2.16.704.1.99.9.1";
    case Role::Node: return "2.16.704.1.99.9.2";
    case Role::Admin: return "2.16.704.1.99.9.3";
    case Role::Auditor: return "2.16.704.1.99.9.4";
    case Role::System:
    case Role::None: break;
  }
  return {};
}

std::vector<CertificateRule> DevPki::certificateRules() {
  std::vector<CertificateRule> rules;
  for (Role role : {Role::Office, Role::Node, Role::Admin, Role::Auditor}) {
    rules.push_back(CertificateRule{role, "*", CertificateRule::Match::Policy, rolePolicy(role)});
  }
  return rules;
}

Result<TlsFiles> DevPki::issueSeal(const std::string& organ_id, const std::string& organization,
                                   const std::string& name) const {
  const std::string base = safeName(name.empty() ? "seal-" + organ_id : name);
  TlsFiles files{(fs::path(dir_) / (base + ".pem")).string(),
                 (fs::path(dir_) / (base + ".key")).string(), ca_file_};
  if (fs::exists(files.cert) && fs::exists(files.key)) return files;
  auto ca_cert = readCert(ca_file_);
  if (!ca_cert) return std::unexpected(ca_cert.error());
  auto ca_key = readKey(ca_key_file_);
  if (!ca_key) return std::unexpected(ca_key.error());
  auto key = newKey();
  if (!key) return std::unexpected(key.error());
  auto cert = makeCert(key->get(), organization, "", ca_cert->get(), ca_key->get(),
                       CertKind::Seal, organization, organ_id);
  if (!cert) return std::unexpected(cert.error());
  if (auto r = writePem(files.key, true, key->get(), nullptr); !r) return std::unexpected(r.error());
  if (auto r = writePem(files.cert, false, nullptr, cert->get()); !r) return std::unexpected(r.error());
  return files;
}

Result<void> useDevPki(NodeConfig& c, const schemas::Directory& directory) {
  const std::string dir = (fs::path(c.data_dir) / "pki").string();
  if (c.name.empty()) {  // as Node::start: the directory's top node
    for (const auto& n : directory.nodes()) {
      if (n.parent.empty()) {
        c.name = n.name;
        break;
      }
    }
  }
  if (c.http.cert_file.empty()) {
    auto pki = DevPki::open(dir);
    if (!pki) return std::unexpected(pki.error());
    auto files = pki->issue(c.name, Role::Node, "node-" + c.name);
    if (!files) return std::unexpected(files.error());
    c.http.cert_file = files->cert;
    c.http.key_file = files->key;
    c.http.ca_file = files->ca;
    if (c.http.certificate_rules.empty()) c.http.certificate_rules = DevPki::certificateRules();
    if (c.trust.empty()) c.trust = files->ca;  // a development node trusts its own dev CA
  }
  if (c.signing_key.empty()) {
    const std::string unit = nodeTopUnit(directory, c.name);
    if (unit.empty()) return {};  // Node::start says signing.key is required
    auto pki = DevPki::open(dir);
    if (!pki) return std::unexpected(pki.error());
    const schemas::Unit* u = directory.find(unit);
    auto files = pki->issueSeal(unit, u != nullptr ? u->name : unit, "seal-node-" + c.name);
    if (!files) return std::unexpected(files.error());
    c.signing_key = files->key;
    c.signing_cert = files->cert;
  }
  return {};
}

}  // namespace lienthong::gateway
