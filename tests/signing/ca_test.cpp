// Certificate-authority engine: profiles and their exact extensions, refusals with reasons,
// PKCS#12, CRL, the root's ARL and OCSP, checked with the openssl command on files in a temporary
// folder.
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "lienthong/signing/ca.h"

namespace fs = std::filesystem;
using namespace lienthong;
using namespace lienthong::signing;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("lienthong-ca-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, std::string_view bytes) const {
    fs::path p = path / name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
  std::string at(const std::string& name) const { return (path / name).string(); }
};

std::string readAll(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; returns exit status and stdout+stderr.
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return {-1, ""};
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int rc = pclose(f);
  return {WEXITSTATUS(rc), out};
}

CaSettings settings() {
  CaSettings s;
  s.province_name = "UBND tinh Lao Cai";
  s.organ_id = "000.00.00.H41";
  s.crl_url = "http://127.0.0.1:8080/crl";
  s.ocsp_url = "http://127.0.0.1:8080/ocsp";
  s.ca_key_type = KeyType::P256;
  return s;
}

constexpr std::string_view kPass = "correct horse battery";

// One CA for the whole file: key generation is the slow part.
const CaBundle& bundle() {
  static const CaBundle b = [] {
    auto r = createCa(settings(), kPass);
    if (!r) FAIL(r.error().describe());
    return *r;
  }();
  return b;
}

const CertificateAuthority& authority() {
  static const CertificateAuthority ca = [] {
    auto r = CertificateAuthority::load(settings(), bundle(), kPass);
    if (!r) FAIL(r.error().describe());
    return std::move(*r);
  }();
  return ca;
}

SubjectFields signerSubject() {
  SubjectFields s;
  s.common_name = "Nguyen Van An";
  s.title = "Pho Chu tich";
  s.organ_id = "000.00.31.H41";
  s.personal_id = "CCCD:001099000123";
  return s;
}

SubjectFields sealSubject() {
  SubjectFields s;
  s.organization = "UBND huyen Bat Xat";
  s.common_name = "UBND huyen Bat Xat";
  s.organ_id = "000.00.31.H41";
  return s;
}

SubjectFields nodeSubject() {
  SubjectFields s;
  s.common_name = "node.batxat.laocai.gov.vn";
  s.organ_id = "000.00.31.H41";
  return s;
}

struct Ext {
  std::string oid;
  bool critical;
  std::string value;
  bool operator==(const Ext&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ext& e) {
  return os << "{" << e.oid << (e.critical ? " critical " : " ") << "'" << e.value << "'}";
}

std::vector<Ext> extensions(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(cert);
  std::vector<Ext> out;
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* e = X509_get_ext(cert, i);
    char oid[128];
    OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(e), 1);
    BIO* mem = BIO_new(BIO_s_mem());
    X509V3_EXT_print(mem, e, 0, 0);
    char* data = nullptr;
    long n = BIO_get_mem_data(mem, &data);
    std::string value(data, static_cast<std::size_t>(n));
    BIO_free(mem);
    out.push_back({oid, X509_EXTENSION_get_critical(e) == 1, value});
  }
  X509_free(cert);
  return out;
}

std::string keyIdOf(const std::string& pem) {
  for (const auto& e : extensions(pem)) {
    if (e.oid == "2.5.29.14") return e.value;
  }
  return {};
}

// The profile-independent head of every end-entity certificate, then the profile's own part.
std::vector<Ext> expectedExtensions(CertProfile profile, const std::string& leaf_pem,
                                    const std::string& san = {}) {
  const std::string aki = keyIdOf(authority().issuingCertPem());
  std::vector<Ext> out = {{"2.5.29.19", true, "CA:FALSE"}};
  switch (profile) {
    case CertProfile::AgencySeal:
    case CertProfile::PersonalSigner:
      out.push_back({"2.5.29.15", true, "Digital Signature, Non Repudiation"});
      out.push_back({"2.5.29.37", false, "1.3.6.1.5.5.7.3.36, E-mail Protection"});
      break;
    case CertProfile::NodeTls:
      out.push_back({"2.5.29.15", true, "Digital Signature, Key Encipherment"});
      out.push_back({"2.5.29.37", false, "TLS Web Server Authentication, TLS Web Client Authentication"});
      break;
    case CertProfile::OcspResponder:
      out.push_back({"2.5.29.15", true, "Digital Signature"});
      out.push_back({"2.5.29.37", false, "OCSP Signing"});
      break;
    case CertProfile::TimeStamping:
      out.push_back({"2.5.29.15", true, "Digital Signature, Non Repudiation"});
      out.push_back({"2.5.29.37", true, "Time Stamping"});
      break;
  }
  out.push_back({"2.5.29.14", false, keyIdOf(leaf_pem)});
  out.push_back({"2.5.29.35", false, aki});
  const int policy_index = static_cast<int>(profile) + 1;
  out.push_back({"2.5.29.32", false, "Policy: 2.16.704.1.99.1." + std::to_string(policy_index)});
  out.push_back({"2.5.29.31", false, "Full Name:\n  URI:http://127.0.0.1:8080/crl"});
  if (profile != CertProfile::OcspResponder) {
    out.push_back({"1.3.6.1.5.5.7.1.1", false, "OCSP - URI:http://127.0.0.1:8080/ocsp"});
  }
  if (profile == CertProfile::NodeTls) out.push_back({"2.5.29.17", false, san});
  if (profile == CertProfile::OcspResponder) out.push_back({"1.3.6.1.5.5.7.48.1.5", false, ""});
  return out;
}

}  // namespace

TEST_CASE("ca: a signer certificate issued from a request verifies against the chain with openssl") {
  TempDir dir;
  auto req = makeRequest(signerSubject(), KeyType::P256);
  REQUIRE(req);
  auto issued = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  REQUIRE(issued);
  CHECK(issued->serial.size() == 32);
  CHECK(issued->common_name == "Nguyen Van An");
  CHECK(issued->organ_id == "000.00.31.H41");
  CHECK(issued->key == "EC P-256");
  CHECK(issued->subject ==
        "CN=Nguyen Van An,UID=CCCD:001099000123,title=Pho Chu tich,"
        "organizationIdentifier=000.00.31.H41,C=VN");
  CHECK(issued->not_after - issued->not_before == std::chrono::days(730));
  auto root = dir.file("root.pem", authority().rootCertPem());
  auto issuing = dir.file("issuing.pem", authority().issuingCertPem());
  auto leaf = dir.file("leaf.pem", issued->cert_pem);
  auto [rc, out] = run("openssl verify -CAfile " + root + " -untrusted " + issuing + " " + leaf);
  CHECK(out == leaf + ": OK\n");
  CHECK(rc == 0);
}

TEST_CASE("ca: every profile carries exactly its extensions, field by field") {
  SECTION("signer") {
    auto req = makeRequest(signerSubject(), KeyType::Rsa2048);
    REQUIRE(req);
    auto c = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
    REQUIRE(c);
    CHECK(c->key == "RSA 2048");
    CHECK(extensions(c->cert_pem) == expectedExtensions(CertProfile::PersonalSigner, c->cert_pem));
  }
  SECTION("seal") {
    auto req = makeRequest(sealSubject(), KeyType::P384);
    REQUIRE(req);
    auto c = authority().issue(CertProfile::AgencySeal, req->csr_pem);
    REQUIRE(c);
    CHECK(c->not_after - c->not_before == std::chrono::days(1095));
    CHECK(extensions(c->cert_pem) == expectedExtensions(CertProfile::AgencySeal, c->cert_pem));
  }
  SECTION("tls with the names given by the administrator") {
    auto req = makeRequest(nodeSubject(), KeyType::P256);
    REQUIRE(req);
    IssueOptions o;
    o.dns_names = {"node.batxat.laocai.gov.vn", "localhost"};
    o.ip_addresses = {"127.0.0.1"};
    auto c = authority().issue(CertProfile::NodeTls, req->csr_pem, o);
    REQUIRE(c);
    CHECK(c->not_after - c->not_before == std::chrono::days(397));
    CHECK(extensions(c->cert_pem) ==
          expectedExtensions(CertProfile::NodeTls, c->cert_pem,
                             "DNS:node.batxat.laocai.gov.vn, DNS:localhost, IP Address:127.0.0.1"));
  }
  SECTION("tls falls back to the CN as DNS name") {
    auto req = makeRequest(nodeSubject(), KeyType::P256);
    REQUIRE(req);
    auto c = authority().issue(CertProfile::NodeTls, req->csr_pem);
    REQUIRE(c);
    CHECK(extensions(c->cert_pem) ==
          expectedExtensions(CertProfile::NodeTls, c->cert_pem, "DNS:node.batxat.laocai.gov.vn"));
  }
  SECTION("ocsp responder (the one made at init)") {
    const auto& pem = authority().responderCertPem();
    CHECK(extensions(pem) == expectedExtensions(CertProfile::OcspResponder, pem));
  }
  SECTION("tsa") {
    SubjectFields s = sealSubject();
    s.common_name = "Lao Cai TSA";
    auto req = makeRequest(s, KeyType::P256);
    REQUIRE(req);
    auto c = authority().issue(CertProfile::TimeStamping, req->csr_pem);
    REQUIRE(c);
    CHECK(c->not_after - c->not_before == std::chrono::days(1826));
    CHECK(extensions(c->cert_pem) == expectedExtensions(CertProfile::TimeStamping, c->cert_pem));
  }
}

TEST_CASE("ca: the CA certificates have the CA extensions and the keys are encrypted at rest") {
  const auto root = extensions(authority().rootCertPem());
  REQUIRE(root.size() == 3);
  CHECK(root[0] == Ext{"2.5.29.19", true, "CA:TRUE"});
  CHECK(root[1] == Ext{"2.5.29.15", true, "Certificate Sign, CRL Sign"});
  CHECK(root[2] == Ext{"2.5.29.14", false, keyIdOf(authority().rootCertPem())});
  const auto issuing = extensions(authority().issuingCertPem());
  REQUIRE(issuing.size() == 5);
  CHECK(issuing[0] == Ext{"2.5.29.19", true, "CA:TRUE, pathlen:0"});
  CHECK(issuing[1] == Ext{"2.5.29.15", true, "Certificate Sign, CRL Sign"});
  CHECK(issuing[2] == Ext{"2.5.29.14", false, keyIdOf(authority().issuingCertPem())});
  CHECK(issuing[3] == Ext{"2.5.29.35", false, keyIdOf(authority().rootCertPem())});
  // The ARL: the root's CRL, derived from the CRL URL.
  CHECK(issuing[4] == Ext{"2.5.29.31", false, "Full Name:\n  URI:http://127.0.0.1:8080/crl/root"});
  CHECK(authority().issuingCrlDistributionPoint() == "http://127.0.0.1:8080/crl/root");
  for (const auto* k : {&bundle().root, &bundle().issuing, &bundle().ocsp}) {
    CHECK(k->encrypted_key_pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  }
  auto wrong = CertificateAuthority::load(settings(), bundle(), "not the passphrase");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
  CHECK(wrong.error().message.starts_with("cannot decrypt the issuing CA key: wrong passphrase or damaged key"));
  auto short_pass = createCa(settings(), "short");
  REQUIRE_FALSE(short_pass);
  CHECK(short_pass.error().message == "the CA passphrase must be at least 12 characters");
}

TEST_CASE("ca: refuses a weak RSA key, naming the size") {
  TempDir dir;
  auto [rc, out] = run("openssl req -new -newkey rsa:1024 -nodes -keyout " + dir.at("k.pem") +
                       " -subj '/C=VN/organizationIdentifier=000.00.31.H41/title=Chuyen vien/"
                       "serialNumber=CCCD:1/CN=Tran Thi B' -out " + dir.at("r.pem"));
  REQUIRE(rc == 0);
  auto r = authority().issue(CertProfile::PersonalSigner, readAll(dir.at("r.pem")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK(r.error().message == "weak key: RSA 1024 bits; RSA keys need at least 2048 bits");
}

TEST_CASE("ca: refuses an EC key on a curve other than P-256 or P-384") {
  TempDir dir;
  auto [rc, out] = run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:secp256k1 -nodes -keyout " +
                       dir.at("k.pem") + " -subj '/organizationIdentifier=000.00.31.H41/O=UBND' -out " +
                       dir.at("r.pem"));
  REQUIRE(rc == 0);
  auto r = authority().issue(CertProfile::AgencySeal, readAll(dir.at("r.pem")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::InvalidArgument);
  CHECK(r.error().message ==
        "weak or unsupported key: EC secp256k1; use RSA (2048 bits or more), EC P-256 or EC P-384");
}

TEST_CASE("ca: refuses a request whose signature does not verify") {
  auto req = makeRequest(signerSubject(), KeyType::P256);
  REQUIRE(req);
  // Re-sign nothing: swap the subject's CN bytes in the PEM-decoded request so the signature no
  // longer covers what the request says.
  BIO* bio = BIO_new_mem_buf(req->csr_pem.data(), static_cast<int>(req->csr_pem.size()));
  X509_REQ* x = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(x);
  int len = i2d_X509_REQ(x, nullptr);
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_REQ(x, &p);
  X509_REQ_free(x);
  auto at = der.find("Nguyen Van An");
  REQUIRE(at != std::string::npos);
  der[at] = 'M';
  auto r = authority().issue(CertProfile::PersonalSigner, der);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::SignatureInvalid);
  CHECK(r.error().message ==
        "the request's signature does not verify with its public key (altered or damaged request)");
}

TEST_CASE("ca: refuses a subject that does not fit the profile, saying why") {
  SECTION("a seal may not carry a person's title") {
    SubjectFields s = sealSubject();
    s.title = "Chanh Van phong";
    auto req = makeRequest(s, KeyType::P256);
    REQUIRE(req);
    auto r = authority().issue(CertProfile::AgencySeal, req->csr_pem);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::InvalidArgument);
    CHECK(r.error().message ==
          "subject does not fit profile 'seal': attribute 'title' is not allowed (allowed: C, ST, L, O, OU, "
          "CN, organizationIdentifier, UID)");
  }
  SECTION("a signer needs a title") {
    SubjectFields s = signerSubject();
    s.title.clear();
    auto req = makeRequest(s, KeyType::P256);
    REQUIRE(req);
    auto r = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "subject does not fit profile 'signer': title (the official's position) is missing");
  }
  SECTION("the unit must be an OrganId") {
    SubjectFields s = signerSubject();
    s.organ_id = "bat xat";
    auto req = makeRequest(s, KeyType::P256);
    REQUIRE(req);
    auto r = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.starts_with(
        "subject does not fit profile 'signer': organizationIdentifier is not an OrganId ("));
  }
  SECTION("generate checks the subject too, before making a key") {
    SubjectFields s = signerSubject();
    s.personal_id.clear();
    auto r = authority().generate(CertProfile::PersonalSigner, s, KeyType::P256, "p12 passphrase");
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "subject does not fit profile 'signer': UID (the personal identifier, e.g. "
          "CCCD:001099000123) is missing");
  }
}

TEST_CASE("ca: an unknown profile or reason is refused with the known names") {
  auto p = parseProfile("official");
  REQUIRE_FALSE(p);
  CHECK(p.error().code == ErrorCode::InvalidArgument);
  CHECK(p.error().message == "unknown profile 'official'; known profiles: seal, signer, tls, ocsp, tsa");
  CHECK(*parseProfile("signer") == CertProfile::PersonalSigner);
  CHECK(*parseReason("keyCompromise") == RevocationReason::KeyCompromise);
  CHECK_FALSE(parseReason("lost"));
  CHECK(*normalizeSerial("0x1a:2B") == "1A2B");
  CHECK(*normalizeSerial("00abc") == "0ABC");
  CHECK_FALSE(normalizeSerial("xyz"));
}

TEST_CASE("ca: generate returns a PKCS#12 that opens with its passphrase only") {
  TempDir dir;
  auto g = authority().generate(CertProfile::PersonalSigner, signerSubject(), KeyType::Rsa2048,
                                "mat khau p12 dai");
  REQUIRE(g);
  CHECK(g->certificate.key == "RSA 2048");
  auto p12 = dir.file("cred.p12", g->pkcs12);
  auto [rc, out] = run("openssl pkcs12 -in " + p12 + " -passin 'pass:mat khau p12 dai' -nodes -out " +
                       dir.at("all.pem"));
  CHECK(rc == 0);
  const std::string all = readAll(dir.at("all.pem"));
  CHECK(all.find("-----BEGIN PRIVATE KEY-----") != std::string::npos);
  CHECK(all.find(g->certificate.cert_pem) != std::string::npos);
  CHECK(all.find(authority().issuingCertPem()) != std::string::npos);
  CHECK(all.find(authority().rootCertPem()) != std::string::npos);
  auto [bad_rc, bad_out] = run("openssl pkcs12 -in " + p12 + " -passin pass:wrong -nodes -noout");
  CHECK(bad_rc != 0);
  CHECK(bad_out.find("Mac verify error") != std::string::npos);
  auto short_pass = authority().generate(CertProfile::PersonalSigner, signerSubject(), KeyType::P256, "short");
  REQUIRE_FALSE(short_pass);
  CHECK(short_pass.error().message == "the PKCS#12 passphrase must be at least 8 characters");
}

TEST_CASE("ca: after revocation openssl crl lists the serial and openssl verify -crl_check refuses it") {
  TempDir dir;
  auto req = makeRequest(signerSubject(), KeyType::P256);
  REQUIRE(req);
  auto revoked = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  auto other = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  REQUIRE(revoked);
  REQUIRE(other);
  const UnixTime now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto crl = authority().makeCrl({{revoked->serial, now - std::chrono::hours(1), RevocationReason::KeyCompromise}},
                                 7, now, now + std::chrono::days(1));
  REQUIRE(crl);
  auto crl_der = dir.file("crl.der", *crl);
  auto [rc, text] = run("openssl crl -inform DER -in " + crl_der + " -noout -text");
  REQUIRE(rc == 0);
  CHECK(text.find("Serial Number: " + revoked->serial) != std::string::npos);
  CHECK(text.find("Key Compromise") != std::string::npos);
  CHECK(text.find("X509v3 CRL Number: \n                7") != std::string::npos);
  CHECK(text.find("Next Update:") != std::string::npos);
  CHECK(text.find(other->serial) == std::string::npos);
  auto [crc, crl_pem] = run("openssl crl -inform DER -in " + crl_der + " -out " + dir.at("crl.pem"));
  REQUIRE(crc == 0);
  auto root = dir.file("root.pem", authority().rootCertPem());
  auto issuing = dir.file("issuing.pem", authority().issuingCertPem());
  auto [vrc, vout] = run("openssl crl -in " + dir.at("crl.pem") + " -CAfile " + issuing + " -noout");
  CHECK(vout == "verify OK\n");
  auto leaf = dir.file("revoked.pem", revoked->cert_pem);
  auto good = dir.file("good.pem", other->cert_pem);
  auto [r1, o1] = run("openssl verify -crl_check -CRLfile " + dir.at("crl.pem") + " -CAfile " + root +
                      " -untrusted " + issuing + " " + leaf);
  CHECK(r1 != 0);
  CHECK(o1.find("certificate revoked") != std::string::npos);
  auto [r2, o2] = run("openssl verify -crl_check -CRLfile " + dir.at("crl.pem") + " -CAfile " + root +
                      " -untrusted " + issuing + " " + good);
  CHECK(o2 == good + ": OK\n");
  CHECK(r2 == 0);
}

TEST_CASE("ca: the root's ARL parses with openssl, and openssl verify -crl_check_all accepts a fresh certificate with it") {
  TempDir dir;
  auto req = makeRequest(signerSubject(), KeyType::P256);
  REQUIRE(req);
  auto leaf_cert = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  REQUIRE(leaf_cert);
  const UnixTime now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto arl = authority().makeArl({}, 3, now, now + std::chrono::days(30));
  REQUIRE(arl);
  auto crl = authority().makeCrl({}, 9, now, now + std::chrono::days(7));
  REQUIRE(crl);
  auto arl_der = dir.file("arl.der", *arl);
  auto [rc, text] = run("openssl crl -inform DER -in " + arl_der + " -noout -text");
  REQUIRE(rc == 0);
  CHECK(text.find("Issuer: C = VN, O = UBND tinh Lao Cai, organizationIdentifier = 000.00.00.H41, "
                  "CN = UBND tinh Lao Cai Root CA\n") != std::string::npos);
  CHECK(text.find("X509v3 CRL Number: \n                3") != std::string::npos);
  CHECK(text.find("X509v3 Authority Key Identifier: \n                " +
                  keyIdOf(authority().rootCertPem())) != std::string::npos);
  CHECK(text.find("No Revoked Certificates.") != std::string::npos);
  auto root = dir.file("root.pem", authority().rootCertPem());
  auto issuing = dir.file("issuing.pem", authority().issuingCertPem());
  auto leaf = dir.file("leaf.pem", leaf_cert->cert_pem);
  REQUIRE(run("openssl crl -inform DER -in " + arl_der + " -out " + dir.at("arl.pem")).first == 0);
  REQUIRE(run("openssl crl -inform DER -in " + dir.file("crl.der", *crl) + " -out " + dir.at("crl.pem")).first == 0);
  auto [vrc, vout] = run("openssl crl -in " + dir.at("arl.pem") + " -CAfile " + root + " -noout");
  CHECK(vout == "verify OK\n");
  // Root + issuing CA + ARL + CRL: every certificate below the root has its revocation status.
  dir.file("both.pem", readAll(dir.at("arl.pem")) + readAll(dir.at("crl.pem")));
  auto [r1, o1] = run("openssl verify -crl_check_all -CRLfile " + dir.at("both.pem") + " -CAfile " + root +
                      " -untrusted " + issuing + " " + leaf);
  CHECK(o1 == leaf + ": OK\n");
  CHECK(r1 == 0);
  // Without the ARL the issuing CA's status is unknown.
  auto [r2, o2] = run("openssl verify -crl_check_all -CRLfile " + dir.at("crl.pem") + " -CAfile " + root +
                      " -untrusted " + issuing + " " + leaf);
  CHECK(r2 != 0);
  CHECK(o2.find("unable to get certificate CRL") != std::string::npos);

  SECTION("an ARL listing the issuing CA makes the chain revoked") {
    auto [src, sout] = run("openssl x509 -in " + issuing + " -noout -serial");
    REQUIRE(src == 0);
    REQUIRE(sout.starts_with("serial="));
    const std::string serial = sout.substr(7, sout.size() - 8);
    auto listed = authority().makeArl({{serial, now - std::chrono::hours(1), RevocationReason::CaCompromise}}, 4,
                                      now, now + std::chrono::days(30));
    REQUIRE(listed);
    auto [lrc, ltext] = run("openssl crl -inform DER -in " + dir.file("listed.der", *listed) + " -noout -text");
    REQUIRE(lrc == 0);
    CHECK(ltext.find("Serial Number: " + serial) != std::string::npos);
    CHECK(ltext.find("CA Compromise") != std::string::npos);
    REQUIRE(run("openssl crl -inform DER -in " + dir.at("listed.der") + " -out " + dir.at("listed.pem")).first == 0);
    dir.file("both2.pem", readAll(dir.at("listed.pem")) + readAll(dir.at("crl.pem")));
    auto [r3, o3] = run("openssl verify -crl_check_all -CRLfile " + dir.at("both2.pem") + " -CAfile " + root +
                        " -untrusted " + issuing + " " + leaf);
    CHECK(r3 != 0);
    CHECK(o3.find("certificate revoked") != std::string::npos);
  }
}

TEST_CASE("ca: the issuing CA names the configured ARL URL; an ARL URL that is not one is refused") {
  CaSettings s = settings();
  s.arl_url = "http://crl.laocai.gov.vn/root.crl";
  auto made = createCa(s, kPass);
  REQUIRE(made);
  const auto issuing = extensions(made->issuing.cert_pem);
  REQUIRE(issuing.size() == 5);
  CHECK(issuing[4] == Ext{"2.5.29.31", false, "Full Name:\n  URI:http://crl.laocai.gov.vn/root.crl"});
  CHECK(extensions(made->root.cert_pem).size() == 3);
  auto ca = CertificateAuthority::load(s, *made, kPass);
  REQUIRE(ca);
  CHECK(ca->issuingCrlDistributionPoint() == "http://crl.laocai.gov.vn/root.crl");
  CHECK(arlUrl(settings()) == "http://127.0.0.1:8080/crl/root");
  s.arl_url = "ldap://crl/root";
  auto bad = createCa(s, kPass);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::Config);
  CHECK(bad.error().message ==
        "CA settings: ARL URL 'ldap://crl/root' must start with http:// or https:// and hold no commas or spaces");
}

TEST_CASE("ca: OCSP answers revoked, good and unknown, signed by the responder, echoing the nonce") {
  TempDir dir;
  auto req = makeRequest(signerSubject(), KeyType::P256);
  REQUIRE(req);
  auto revoked = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  auto good = authority().issue(CertProfile::PersonalSigner, req->csr_pem);
  REQUIRE(revoked);
  REQUIRE(good);
  const UnixTime now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto lookup = [&](const std::string& serial) {
    SerialStatus s;
    if (serial == revoked->serial) {
      s.kind = SerialStatus::Kind::Revoked;
      s.revoked_at = now - std::chrono::minutes(5);
      s.reason = RevocationReason::KeyCompromise;
    } else if (serial == good->serial) {
      s.kind = SerialStatus::Kind::Good;
    }
    return s;
  };
  auto issuing = dir.file("issuing.pem", authority().issuingCertPem());
  auto chain = dir.file("chain.pem", authority().chainPem());
  auto leaf = dir.file("revoked.pem", revoked->cert_pem);
  auto leaf2 = dir.file("good.pem", good->cert_pem);
  auto [qrc, qout] = run("openssl ocsp -issuer " + issuing + " -cert " + leaf + " -cert " + leaf2 +
                         " -reqout " + dir.at("req.der"));
  REQUIRE(qrc == 0);
  const std::string answer = authority().answerOcsp(readAll(dir.at("req.der")), lookup, now);
  auto resp = dir.file("resp.der", answer);

  // Verified against the chain, nonce matched (the request file carries one).
  auto [vrc, vout] = run("openssl ocsp -reqin " + dir.at("req.der") + " -respin " + resp + " -CAfile " + chain);
  CHECK(vout.find("Response verify OK") != std::string::npos);
  CHECK(vout.find("WARNING") == std::string::npos);
  CHECK(vrc == 0);

  auto [src, sout] = run("openssl ocsp -no_nonce -respin " + resp + " -CAfile " + chain + " -issuer " +
                         issuing + " -cert " + leaf + " -cert " + leaf2);
  CHECK(sout.find(leaf + ": revoked") != std::string::npos);
  CHECK(sout.find("Reason: keyCompromise") != std::string::npos);
  CHECK(sout.find(leaf2 + ": good") != std::string::npos);

  // Nonce echoed, checked with the library too.
  const auto* rp = reinterpret_cast<const unsigned char*>(answer.data());
  OCSP_RESPONSE* r = d2i_OCSP_RESPONSE(nullptr, &rp, static_cast<long>(answer.size()));
  REQUIRE(r);
  std::string req_der = readAll(dir.at("req.der"));
  const auto* qp = reinterpret_cast<const unsigned char*>(req_der.data());
  OCSP_REQUEST* q = d2i_OCSP_REQUEST(nullptr, &qp, static_cast<long>(req_der.size()));
  REQUIRE(q);
  OCSP_BASICRESP* bs = OCSP_response_get1_basic(r);
  REQUIRE(bs);
  CHECK(OCSP_check_nonce(q, bs) == 1);
  OCSP_BASICRESP_free(bs);
  OCSP_REQUEST_free(q);
  OCSP_RESPONSE_free(r);

  SECTION("a certificate of another CA is unknown") {
    auto other_bundle = createCa(settings(), kPass);
    REQUIRE(other_bundle);
    auto other_issuing = dir.file("other.pem", other_bundle->issuing.cert_pem);
    auto [orc, oout] = run("openssl ocsp -issuer " + other_issuing + " -cert " + leaf2 + " -reqout " +
                           dir.at("req2.der"));
    REQUIRE(orc == 0);
    auto resp2 = dir.file("resp2.der", authority().answerOcsp(readAll(dir.at("req2.der")), lookup, now));
    auto [urc, uout] = run("openssl ocsp -no_nonce -respin " + resp2 + " -CAfile " + chain + " -issuer " +
                           other_issuing + " -cert " + leaf2);
    CHECK(uout.find(leaf2 + ": unknown") != std::string::npos);
  }
  SECTION("garbage gets a malformedRequest answer") {
    auto resp3 = dir.file("resp3.der", authority().answerOcsp("not der", lookup, now));
    auto [mrc, mout] = run("openssl ocsp -respin " + resp3 + " -resp_text -noverify");
    CHECK(mout.find("Responder Error: malformedrequest (1)") != std::string::npos);
  }
}

TEST_CASE("ca: describeCertificate reads back the inventory fields and the profile") {
  auto req = makeRequest(sealSubject(), KeyType::P256);
  REQUIRE(req);
  auto c = authority().issue(CertProfile::AgencySeal, req->csr_pem);
  REQUIRE(c);
  auto d = describeCertificate(c->cert_pem, settings());
  REQUIRE(d);
  CHECK(d->profile == CertProfile::AgencySeal);
  CHECK(d->serial == c->serial);
  CHECK(d->organ_id == "000.00.31.H41");
  CHECK(d->not_after == c->not_after);
  auto root = describeCertificate(authority().rootCertPem(), settings());
  REQUIRE_FALSE(root);
  CHECK(root.error().message == "the certificate carries no policy of this CA (policy '')");
}

TEST_CASE("ca: settings are checked before anything is made") {
  CaSettings s = settings();
  s.crl_url = "http://x/crl,URI:http://evil";
  auto r = createCa(s, kPass);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::Config);
  CHECK(r.error().message ==
        "CA settings: CRL URL 'http://x/crl,URI:http://evil' must start with http:// or https:// and hold no "
        "commas or spaces");
  s = settings();
  s.organ_id = "nope";
  CHECK_FALSE(createCa(s, kPass));
}

TEST_CASE("ca: the personal identifier is written as UID with its prefix, the profile real CAs "
          "use; a request's serialNumber=CCCD: moves to UID") {
  TempDir dir;
  auto [rc, out] = run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                       dir.at("k.pem") +
                       " -subj '/C=VN/organizationIdentifier=000.00.31.H41/title=Chuyen vien/"
                       "serialNumber=CCCD:001099000777/CN=Tran Thi B' -out " + dir.at("r.pem"));
  REQUIRE(rc == 0);
  auto issued = authority().issue(CertProfile::PersonalSigner, readAll(dir.at("r.pem")));
  INFO((issued ? std::string() : issued.error().message));
  REQUIRE(issued);
  CHECK(issued->subject.find("UID=CCCD:001099000777") != std::string::npos);
  CHECK(issued->subject.find("serialNumber") == std::string::npos);
  CHECK(issued->organ_id == "000.00.31.H41");  // signer_must_match still reads the OrganId

  SubjectFields s = signerSubject();
  s.personal_id = "MST:0100109106";
  auto wrong = authority().generate(CertProfile::PersonalSigner, s, KeyType::P256, "p12 passphrase");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message.find("UID 'MST:0100109106' must be CCCD:, CMND:, HC:") !=
        std::string::npos);
}
