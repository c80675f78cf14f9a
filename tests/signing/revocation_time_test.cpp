// Revocation against the signing time (issue 5): a certificate revoked after a signing time that
// a verified RFC 3161 time-stamp proves still gives a valid signature, with a warning; a signature
// made after the revocation is REVOKED; a merely claimed signing time proves nothing unless the
// policy trusts it. Certificates, CRLs and OCSP answers come from the CA engine.
#include <catch2/catch.hpp>

#include <algorithm>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/ca.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"

using namespace lienthong;
using namespace lienthong::signing;
using Clock = std::chrono::system_clock;
using std::chrono::hours;
using std::chrono::seconds;

namespace {

constexpr const char* kCaPass = "revocation test CA passphrase";
constexpr const char* kP12Pass = "p12 passphrase";

UnixTime nowSeconds() { return std::chrono::time_point_cast<seconds>(Clock::now()); }

struct Fixture {
  CaSettings settings;
  CaBundle bundle;
  std::optional<CertificateAuthority> ca;
  IssuedCertificate signer_cert;
  std::optional<SigningKey> signer;
  std::optional<SigningKey> tsa;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    x.settings.province_name = "UBND tinh Lao Cai";
    x.settings.organ_id = "000.00.00.H41";
    x.settings.crl_url = "http://crl.laocai.example/issuing.crl";
    x.settings.ocsp_url = "http://ocsp.laocai.example/";
    x.settings.ca_key_type = KeyType::P256;
    const UnixTime created = nowSeconds() - hours(24 * 60);
    auto bundle = createCa(x.settings, kCaPass, created);
    REQUIRE(bundle);
    x.bundle = *bundle;
    auto ca = CertificateAuthority::load(x.settings, x.bundle, kCaPass);
    REQUIRE(ca);
    x.ca.emplace(std::move(*ca));
    IssueOptions issued_earlier;
    issued_earlier.now = nowSeconds() - hours(24 * 30);
    SubjectFields person;
    person.common_name = "Nguyen Van An";
    person.title = "Pho Chu tich";
    person.organ_id = "000.00.31.H41";
    person.personal_id = "CCCD:001099000123";
    auto cred = x.ca->generate(CertProfile::PersonalSigner, person, KeyType::Rsa2048, kP12Pass,
                               issued_earlier);
    REQUIRE(cred);
    x.signer_cert = cred->certificate;
    auto key = SigningKey::fromPkcs12(cred->pkcs12, kP12Pass);
    REQUIRE(key);
    x.signer.emplace(std::move(*key));
    SubjectFields tsa;
    tsa.common_name = "TSA Lao Cai";
    tsa.organization = "UBND tinh Lao Cai";
    tsa.organ_id = "000.00.00.H41";
    auto tsa_cred =
        x.ca->generate(CertProfile::TimeStamping, tsa, KeyType::P256, kP12Pass, issued_earlier);
    REQUIRE(tsa_cred);
    auto tsa_key = SigningKey::fromPkcs12(tsa_cred->pkcs12, kP12Pass);
    REQUIRE(tsa_key);
    x.tsa.emplace(std::move(*tsa_key));
    return x;
  }();
  return f;
}

std::string signTimeStamped() {
  const auto& f = fixture();
  XmlSignOptions o;
  o.tsa = std::make_shared<TsaClient>(LocalTsa(*f.tsa).transport());
  auto s = XmlSigner(*f.signer, o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  return *s;
}

std::string signClaimed(Clock::time_point at) {
  XmlSignOptions o;
  o.at = at;
  auto s = XmlSigner(*fixture().signer, o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  return *s;
}

// Anchor, issuing CA, and the issuing CA's CRL revoking the signer at `revoked_at` (none: empty).
TrustStore trustWithCrl(std::optional<UnixTime> revoked_at) {
  const auto& f = fixture();
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(f.ca->rootCertPem()));
  REQUIRE(ts.addIntermediatesPem(f.ca->issuingCertPem()));
  std::vector<RevokedEntry> revoked;
  if (revoked_at) {
    revoked.push_back(RevokedEntry{f.signer_cert.serial, *revoked_at, RevocationReason::KeyCompromise});
  }
  const UnixTime now = nowSeconds();
  auto crl = f.ca->makeCrl(revoked, 7, now - hours(1), now + hours(24 * 7));
  REQUIRE(crl);
  REQUIRE(ts.addCrl(*crl, "issuing.crl"));
  return ts;
}

// Anchor and issuing CA; OCSP answered by the CA engine, the signer revoked at `revoked_at`.
TrustStore trustWithOcsp(UnixTime revoked_at, int* requests) {
  const auto& f = fixture();
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(f.ca->rootCertPem()));
  REQUIRE(ts.addIntermediatesPem(f.ca->issuingCertPem()));
  const std::string serial = f.signer_cert.serial;
  ts.setHttpFetch([serial, revoked_at, requests](const HttpRequest& req) -> Result<std::string> {
    ++*requests;
    if (req.url != fixture().settings.ocsp_url) {
      return fail(ErrorCode::Network, "unexpected URL " + req.url);
    }
    auto lookup = [&](const std::string& s) {
      SerialStatus st;
      if (s == serial) {
        st.kind = SerialStatus::Kind::Revoked;
        st.revoked_at = revoked_at;
        st.reason = RevocationReason::KeyCompromise;
      }
      return st;
    };
    return fixture().ca->answerOcsp(req.body, lookup, nowSeconds());
  });
  return ts;
}

ValidationPolicy crlPolicy() {
  ValidationPolicy p;
  p.revocation.use_ocsp = false;
  // The CA engine signs CRLs with the issuing CA only; the root publishes none here.
  p.revocation.check_intermediates = false;
  return p;
}

ValidationPolicy ocspPolicy() {
  ValidationPolicy p;
  p.revocation.use_crl = false;
  p.revocation.check_intermediates = false;
  return p;
}

UnixTime asUnix(Clock::time_point t) { return std::chrono::time_point_cast<seconds>(t); }

bool hasWarningContaining(const ValidationReport& r, const std::string& text) {
  return std::any_of(r.warnings.begin(), r.warnings.end(),
                     [&](const std::string& w) { return w.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("revoked by CRL: time-stamped before the revocation passes, made after it is REVOKED") {
  const std::string doc = signTimeStamped();
  auto clean = XmlVerifier(trustWithCrl(std::nullopt), crlPolicy()).verify(doc);
  INFO(clean.toJson());
  REQUIRE(clean.passed());
  REQUIRE(clean.signing_time_source == "timestamp");
  REQUIRE(clean.revocation.status == RevocationStatus::Good);
  const Clock::time_point stamped = *clean.signing_time;

  SECTION("revoked one second after the time-stamp: valid, with a warning") {
    const UnixTime revoked_at = asUnix(stamped) + seconds(1);
    auto r = XmlVerifier(trustWithCrl(revoked_at), crlPolicy()).verify(doc);
    INFO(r.toJson());
    CHECK(r.indication == Indication::TotalPassed);
    CHECK(r.sub_indication == SubIndication::None);
    CHECK(r.revocation.status == RevocationStatus::Revoked);
    CHECK(r.revocation.revoked_at == isoTime(revoked_at));
    CHECK(hasWarningContaining(r, "after the signing time " + isoTime(stamped) +
                                      " proven by a time-stamp"));
  }
  SECTION("revoked an hour before the time-stamp: REVOKED") {
    const UnixTime revoked_at = asUnix(stamped) - hours(1);
    auto r = XmlVerifier(trustWithCrl(revoked_at), crlPolicy()).verify(doc);
    INFO(r.toJson());
    CHECK(r.indication == Indication::TotalFailed);
    CHECK(r.sub_indication == SubIndication::Revoked);
    CHECK(r.revocation.revoked_at == isoTime(revoked_at));
    CHECK(r.detail.find("before the signing time " + isoTime(stamped)) != std::string::npos);
  }
  SECTION("revoked at the very second of the time-stamp: REVOKED") {
    auto r = XmlVerifier(trustWithCrl(asUnix(stamped)), crlPolicy()).verify(doc);
    CHECK(r.sub_indication == SubIndication::Revoked);
  }
}

TEST_CASE("revoked by OCSP: time-stamped before the revocation passes, made after it is REVOKED") {
  const std::string doc = signTimeStamped();
  auto clean = XmlVerifier(trustWithCrl(std::nullopt), crlPolicy()).verify(doc);
  REQUIRE(clean.signing_time_source == "timestamp");
  const Clock::time_point stamped = *clean.signing_time;
  int requests = 0;

  auto before = XmlVerifier(trustWithOcsp(asUnix(stamped) + seconds(1), &requests), ocspPolicy())
                    .verify(doc);
  INFO(before.toJson());
  CHECK(before.passed());
  CHECK(before.revocation.status == RevocationStatus::Revoked);
  CHECK(before.revocation.source == "OCSP " + fixture().settings.ocsp_url);
  CHECK(hasWarningContaining(before, "proven by a time-stamp"));

  auto after = XmlVerifier(trustWithOcsp(asUnix(stamped) - hours(1), &requests), ocspPolicy())
                   .verify(doc);
  INFO(after.toJson());
  CHECK(after.sub_indication == SubIndication::Revoked);
  CHECK(after.revocation.source == "OCSP " + fixture().settings.ocsp_url);
  CHECK(requests == 2);
}

TEST_CASE("a claimed SigningTime outside the signed data proves nothing, whatever the policy") {
  // Issue 16: the XML SigningTime sits in an Object no Reference covers. It was trusted by the
  // trust_claimed_signing_time policy before; now it is shown and never used (REVOKED_NO_POE).
  const Clock::time_point claimed = Clock::now() - hours(48);
  const std::string doc = signClaimed(claimed);
  const UnixTime revoked_at = asUnix(Clock::now() - hours(24));

  auto strict = XmlVerifier(trustWithCrl(revoked_at), crlPolicy()).verify(doc);
  INFO(strict.toJson());
  CHECK(strict.signing_time_source == "validation");
  REQUIRE(strict.claimed_time);
  CHECK(isoTime(*strict.claimed_time) == isoTime(claimed));
  CHECK(strict.sub_indication == SubIndication::RevokedNoPoe);
  CHECK(strict.indication == Indication::Indeterminate);
  CHECK(strict.detail.find("no time-stamp proves the signature older") != std::string::npos);

  ValidationPolicy trusting = crlPolicy();
  trusting.trust_claimed_signing_time = true;
  auto lenient = XmlVerifier(trustWithCrl(revoked_at), trusting).verify(doc);
  INFO(lenient.toJson());
  CHECK(lenient.sub_indication == SubIndication::RevokedNoPoe);
  CHECK(hasWarningContaining(lenient, "is not covered by the signature"));
}
