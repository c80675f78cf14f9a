#include <catch2/catch.hpp>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;

namespace {

TrustStore trust() {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(pki().crl, "test"));
  return ts;
}

SigningKey rsaKey() {
  auto k = SigningKey::fromPem(pki().rsa.keyPem(""), "", pki().rsa.certPem());
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("encrypted PEM keys open only with their passphrase, never prompting") {
  const std::string pem = pki().rsa.keyPem("đúng mật khẩu");
  CHECK(SigningKey::fromPem(pem, "đúng mật khẩu", pki().rsa.certPem()));
  auto wrong = SigningKey::fromPem(pem, "sai", pki().rsa.certPem());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
  auto none = SigningKey::fromPem(pem, "", pki().rsa.certPem());
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::KeyUnavailable);
  auto mismatch = SigningKey::fromPem(pki().ec.keyPem(""), "", pki().rsa.certPem());
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ErrorCode::CertificateInvalid);
}

TEST_CASE("a PKCS#12 key signs a package that verifies, with its chain") {
  TempDir dir;
  auto p12 = dir.write("signer.p12", pki().ec.pkcs12("passphrase-123", {&pki().root}));
  auto key = SigningKey::load(p12.string(), "passphrase-123", {});
  REQUIRE(key);
  CHECK(key->algorithm() == KeyAlgorithm::Ec);
  CHECK(key->chain().size() == 1);
  CHECK(key->source() == "pkcs12:" + p12.string());
  auto s = XmlSigner(*key).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  auto r = XmlVerifier(trust()).verify(*s);
  CHECK(r.indication == Indication::TotalPassed);
  auto wrong = SigningKey::fromPkcs12File(p12, "wrong");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
}

TEST_CASE("CAdES-BES detached signature over a file: valid, changed file, changed signature") {
  const std::string file = schemas::sample::pdf("Quyết định 123/QĐ-UBND", 4096);
  auto p7s = CmsSigner(rsaKey()).sign(file);
  REQUIRE(p7s);
  CmsVerifier v(trust());
  auto ok = v.verify(file, *p7s);
  INFO(ok.toJson());
  CHECK(ok.indication == Indication::TotalPassed);
  CHECK(ok.signing_time_source == "claimed");
  CHECK(ok.signer->organ_id == "000.00.00.H41");
  std::string changed = file;
  changed[100] ^= 1;
  auto hash = v.verify(changed, *p7s);
  CHECK(hash.sub_indication == SubIndication::HashFailure);
  std::string bad_sig = *p7s;
  bad_sig[bad_sig.size() - 10] ^= 1;
  auto crypto = v.verify(file, bad_sig);
  CHECK(crypto.sub_indication == SubIndication::SigCryptoFailure);
  CHECK(v.verify(file, "not der").sub_indication == SubIndication::FormatFailure);
  // openssl cms agrees.
  TempDir dir;
  auto f = dir.write("qd.pdf", file);
  auto sig = dir.write("qd.pdf.p7s", *p7s);
  auto root = dir.write("root.pem", pki().root.certPem());
  auto r = run("openssl cms -verify -binary -inform DER -in " + sig.string() + " -content " +
               f.string() + " -CAfile " + root.string() + " -purpose any -out /dev/null");
  INFO(r.output);
  CHECK(r.status == 0);
}

TEST_CASE("RFC 3161: a local TSA time-stamps a signature and the verifier uses that time") {
  CertSpec ts;
  ts.cn = "Lienthong Test TSA";
  ts.key_usage = "critical,digitalSignature";
  ts.ext_key_usage = "critical,timeStamping";
  auto tsa_cert = makeCert(ts, &pki().root);
  auto tsa_key = SigningKey::fromPem(tsa_cert.keyPem(""), "", tsa_cert.certPem());
  REQUIRE(tsa_key);
  LocalTsa tsa(*tsa_key);
  auto client = std::make_shared<TsaClient>(tsa.transport());
  auto token = client->timestamp("dữ liệu");
  REQUIRE(token);
  auto info = verifyTimeStampToken(*token, "dữ liệu", trust());
  REQUIRE(info);
  CHECK(std::chrono::abs(info->time - std::chrono::system_clock::now()) < std::chrono::minutes(1));
  auto wrong = verifyTimeStampToken(*token, "khác", trust());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::SignatureInvalid);

  XmlSignOptions o;
  o.tsa = client;
  o.signing_time = false;
  auto s = XmlSigner(rsaKey(), o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  auto r = XmlVerifier(trust()).verify(*s);
  INFO(r.toJson());
  CHECK(r.indication == Indication::TotalPassed);
  CHECK(r.signing_time_source == "timestamp");
}
