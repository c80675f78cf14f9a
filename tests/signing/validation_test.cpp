#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ocsp.h>

#include <algorithm>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"
#include "support/free_port.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;

namespace {

std::string sign(const TestCert& c, XmlSignOptions o = {}) {
  auto k = SigningKey::fromPem(c.keyPem(""), "", c.certPem());
  REQUIRE(k);
  auto s = XmlSigner(*k, o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  return *s;
}

TrustStore trustWith(const std::string& crl) {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  if (!crl.empty()) REQUIRE(ts.addCrl(crl, "test"));
  return ts;
}

void expect(const ValidationReport& r, SubIndication s) {
  INFO(r.toJson());
  CHECK(r.sub_indication == s);
  CHECK(r.indication == indicationOf(s));
}

using lienthong::testing::freePort;

}  // namespace

TEST_CASE("each certificate problem gives its own sub-indication") {
  const auto& p = pki();
  SECTION("expired now, no time-stamp: OUT_OF_BOUNDS_NO_POE (issue 16; was EXPIRED)") {
    CertSpec s;
    s.not_before_days = -30;
    s.not_after_days = -1;
    expect(XmlVerifier(trustWith(p.crl)).verify(sign(makeCert(s, &p.root))),
           SubIndication::OutOfBoundsNoPoe);
  }
  SECTION("not yet valid at the signing time") {
    CertSpec s;
    s.not_before_days = 2;
    s.not_after_days = 30;
    expect(XmlVerifier(trustWith(p.crl)).verify(sign(makeCert(s, &p.root))),
           SubIndication::NotYetValid);
  }
  SECTION("a claimed signing time inside the validity window proves nothing after expiry") {
    // Issue 16: the SigningTime is outside what the signature covers; it was the validation
    // time before, which let anyone move it into the validity window.
    CertSpec s;
    s.not_before_days = -30;
    s.not_after_days = -1;
    XmlSignOptions o;
    o.at = std::chrono::system_clock::now() - std::chrono::hours(24 * 10);
    auto r = XmlVerifier(trustWith(p.crl)).verify(sign(makeCert(s, &p.root), o));
    expect(r, SubIndication::OutOfBoundsNoPoe);
    CHECK(r.claimed_time.has_value());
  }
  SECTION("revoked by CRL") {
    auto leaf = makeCert(CertSpec{}, &p.root);
    auto crl = makeCrl(p.root, {&leaf});
    auto r = XmlVerifier(trustWith(crl)).verify(sign(leaf));
    expect(r, SubIndication::RevokedNoPoe);  // no time-stamp (issue 16; was REVOKED)
    CHECK(r.revocation.status == RevocationStatus::Revoked);
  }
  SECTION("untrusted issuer") {
    CertSpec ca;
    ca.ca = true;
    ca.cn = "Other CA";
    auto other = makeCert(ca, nullptr);
    expect(XmlVerifier(trustWith(p.crl)).verify(sign(makeCert(CertSpec{}, &other))),
           SubIndication::NoCertificateChainFound);
  }
  SECTION("key usage without digitalSignature or nonRepudiation") {
    CertSpec s;
    s.key_usage = "critical,keyEncipherment";
    expect(XmlVerifier(trustWith(p.crl)).verify(sign(makeCert(s, &p.root))),
           SubIndication::ChainConstraintsFailure);
  }
  SECTION("no revocation source at all is TRY_LATER, never valid") {
    auto r = XmlVerifier(trustWith("")).verify(sign(p.rsa));
    expect(r, SubIndication::TryLater);
    CHECK(r.revocation.status == RevocationStatus::Unknown);
  }
  SECTION("an unreachable CRL distribution point is TRY_LATER") {
    CertSpec s;
    s.crl_url = "http://127.0.0.1:" + std::to_string(freePort()) + "/root.crl";
    ValidationPolicy pol;
    pol.revocation.timeout = std::chrono::milliseconds(1000);
    auto r = XmlVerifier(trustWith(""), pol).verify(sign(makeCert(s, &p.root)));
    expect(r, SubIndication::TryLater);
  }
  SECTION("a CRL fetched from its distribution point is used and cached") {
    CertSpec s;
    s.crl_url = "http://crl.example.invalid/root.crl";
    auto leaf = makeCert(s, &p.root);
    auto crl = makeCrl(p.root, {&leaf});
    int fetches = 0;
    TrustStore ts = trustWith("");
    ts.setHttpFetch([&](const HttpRequest& req) -> Result<std::string> {
      ++fetches;
      CHECK(req.url == s.crl_url);
      return crl;
    });
    XmlVerifier v(ts);
    auto doc = sign(leaf);
    expect(v.verify(doc), SubIndication::RevokedNoPoe);
    expect(v.verify(doc), SubIndication::RevokedNoPoe);
    CHECK(fetches == 1);
  }
  SECTION("SHA-1 only when the policy allows it, and reported as weak") {
    XmlSignOptions o;
    o.digest = DigestAlgorithm::Sha1;
    auto doc = sign(p.rsa, o);
    expect(XmlVerifier(trustWith(p.crl)).verify(doc), SubIndication::CryptoConstraintsFailure);
    ValidationPolicy allow;
    allow.allow_sha1 = true;
    auto r = XmlVerifier(trustWith(p.crl), allow).verify(doc);
    expect(r, SubIndication::None);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0].find("SHA-1 is weak") != std::string::npos);
  }
}

namespace {

// An in-process OCSP responder (OpenSSL API) reached through the trust store's HTTP seam.
struct Responder {
  TestCert cert;
  std::vector<std::string> revoked_serials;
  bool echo_nonce = true;
  int requests = 0;

  Result<std::string> answer(const HttpRequest& req) {
    ++requests;
    const auto* p = reinterpret_cast<const unsigned char*>(req.body.data());
    OCSP_REQUEST* r = d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(req.body.size()));
    REQUIRE(r != nullptr);
    OCSP_ONEREQ* one = OCSP_request_onereq_get0(r, 0);
    OCSP_CERTID* id = OCSP_onereq_get0_id(one);
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id);
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    char* hex = BN_bn2hex(bn);
    bool is_revoked = std::find(revoked_serials.begin(), revoked_serials.end(), hex) != revoked_serials.end();
    OPENSSL_free(hex);
    BN_free(bn);
    OCSP_BASICRESP* bs = OCSP_BASICRESP_new();
    ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
    ASN1_TIME* next = X509_gmtime_adj(nullptr, 3600);
    ASN1_TIME* rev = X509_gmtime_adj(nullptr, -86400);
    OCSP_basic_add1_status(bs, id, is_revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                           is_revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1,
                           is_revoked ? rev : nullptr, now, next);
    if (echo_nonce) OCSP_copy_nonce(bs, r);
    OCSP_basic_sign(bs, cert.cert.get(), cert.key.get(), EVP_sha256(), nullptr, 0);
    OCSP_RESPONSE* resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    unsigned char* der = nullptr;
    int n = i2d_OCSP_RESPONSE(resp, &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    ASN1_TIME_free(rev);
    OCSP_REQUEST_free(r);
    return out;
  }
};

}  // namespace

TEST_CASE("OCSP: good, revoked, missing nonce, unreachable; CRL not needed when OCSP answers") {
  const auto& p = pki();
  CertSpec rs;
  rs.cn = "OCSP responder";
  rs.key_usage = "critical,digitalSignature";
  rs.ext_key_usage = "OCSPSigning";
  Responder responder{makeCert(rs, &p.root), {}, true, 0};
  CertSpec s;
  s.ocsp_url = "http://127.0.0.1:" + std::to_string(freePort()) + "/ocsp";
  auto good = makeCert(s, &p.root);
  auto revoked = makeCert(s, &p.root);
  responder.revoked_serials.push_back(revoked.serialHex());
  TrustStore ts = trustWith("");
  ts.setHttpFetch([&](const HttpRequest& req) -> Result<std::string> {
    CHECK(req.url == s.ocsp_url);
    CHECK(req.content_type == "application/ocsp-request");
    return responder.answer(req);
  });
  XmlVerifier v(ts);
  auto r1 = v.verify(sign(good));
  expect(r1, SubIndication::None);
  CHECK(r1.revocation.status == RevocationStatus::Good);
  CHECK(r1.revocation.source == "OCSP " + s.ocsp_url);
  auto r2 = v.verify(sign(revoked));
  expect(r2, SubIndication::RevokedNoPoe);
  CHECK(r2.revocation.source == "OCSP " + s.ocsp_url);
  CHECK(responder.requests == 2);
  responder.echo_nonce = false;
  auto r3 = v.verify(sign(good));
  expect(r3, SubIndication::TryLater);
  CHECK(r3.revocation.detail.find("nonce") != std::string::npos);
  // The real HTTP client against a closed loopback port: UNKNOWN, reported as TRY_LATER.
  ValidationPolicy pol;
  pol.revocation.timeout = std::chrono::milliseconds(1000);
  auto r4 = XmlVerifier(trustWith(""), pol).verify(sign(good));
  expect(r4, SubIndication::TryLater);
  CHECK(r4.revocation.detail.find("unreachable") != std::string::npos);
}
