#include <catch2/catch.hpp>

#include "lienthong/schemas/sample.h"
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

// An xmlsec1 template in the profile: Signature at the end of edXMLHeader.
std::string templateFor(const std::string& c14n, const std::string& sig_method,
                        const std::string& digest) {
  std::string doc = schemas::sample::package().serialize();
  std::string sig =
      "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
      "<CanonicalizationMethod Algorithm=\"" + c14n + "\"/>"
      "<SignatureMethod Algorithm=\"" + sig_method + "\"/>"
      "<Reference URI=\"\"><Transforms>"
      "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
      "<Transform Algorithm=\"" + c14n + "\"/></Transforms>"
      "<DigestMethod Algorithm=\"" + digest + "\"/><DigestValue/></Reference></SignedInfo>"
      "<SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>";
  auto pos = doc.find("</edXML:edXMLHeader>");
  REQUIRE(pos != std::string::npos);
  doc.insert(pos, sig);
  return doc;
}

constexpr const char* kExc = "http://www.w3.org/2001/10/xml-exc-c14n#";
constexpr const char* kIncl = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";

}  // namespace

// xmlsec1 1.2.37 has no RSA-PSS (it came in 1.3), so PSS is checked by our own verifier only.
TEST_CASE("xmlsec1 --verify accepts what lienthong signs (RSA, ECDSA, both C14N, SHA-384)") {
  TempDir dir;
  auto root = dir.write("root.pem", pki().root.certPem());
  struct Case {
    const TestCert* cert;
    XmlSignOptions options;
  };
  XmlSignOptions incl;
  incl.canonicalization = Canonicalization::Inclusive;
  XmlSignOptions p384;
  p384.digest = DigestAlgorithm::Sha384;
  for (const auto& c : {Case{&pki().rsa, {}}, Case{&pki().rsa, incl},
                        Case{&pki().ec, {}}, Case{&pki().ec, p384}}) {
    auto key = SigningKey::fromPem(c.cert->keyPem(""), "", c.cert->certPem());
    REQUIRE(key);
    auto signed_doc = XmlSigner(*key, c.options).sign(schemas::sample::package().serialize());
    REQUIRE(signed_doc);
    auto file = dir.write("signed.edxml", *signed_doc);
    auto r = run("xmlsec1 --verify --enabled-key-data x509 --trusted-pem " + root.string() + " " +
                 file.string());
    INFO(r.output);
    CHECK(r.status == 0);
    // And a changed byte makes xmlsec1 refuse it too.
    std::string t = *signed_doc;
    t.replace(t.find("<edXML:Subject>") + 15, 1, "X");
    dir.write("tampered.edxml", t);
    CHECK(run("xmlsec1 --verify --enabled-key-data x509 --trusted-pem " + root.string() + " " +
              (dir.path / "tampered.edxml").string()).status != 0);
  }
}

TEST_CASE("lienthong verifies what xmlsec1 signs in the profile") {
  TempDir dir;
  auto rsa_key = dir.write("rsa.key", pki().rsa.keyPem(""));
  auto rsa_cert = dir.write("rsa.pem", pki().rsa.certPem());
  auto ec_key = dir.write("ec.key", pki().ec.keyPem(""));
  auto ec_cert = dir.write("ec.pem", pki().ec.certPem());
  struct Case {
    std::string c14n, method, digest;
    std::filesystem::path key, cert;
  };
  const std::string sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
  for (const auto& c :
       {Case{kExc, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", sha256, rsa_key, rsa_cert},
        Case{kIncl, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", sha256, rsa_key, rsa_cert},
        Case{kExc, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", sha256, ec_key, ec_cert},
        Case{kIncl, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
             "http://www.w3.org/2001/04/xmlenc#sha512", rsa_key, rsa_cert}}) {
    auto tmpl = dir.write("tmpl.edxml", templateFor(c.c14n, c.method, c.digest));
    auto out = dir.path / "out.edxml";
    auto r = run("xmlsec1 --sign --privkey-pem " + c.key.string() + "," + c.cert.string() +
                 " --output " + out.string() + " " + tmpl.string());
    INFO(r.output);
    REQUIRE(r.status == 0);
    auto report = XmlVerifier(trust()).verify(readFile(out));
    INFO(report.toJson());
    CHECK(report.indication == Indication::TotalPassed);
    CHECK(report.signing_time_source == "validation");
  }
}

TEST_CASE("a legacy rsa-sha1 signature made by xmlsec1 verifies only when the policy allows SHA-1") {
  TempDir dir;
  auto key = dir.write("rsa.key", pki().rsa.keyPem(""));
  auto cert = dir.write("rsa.pem", pki().rsa.certPem());
  auto tmpl = dir.write("tmpl.edxml", templateFor(kIncl, "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                                                  "http://www.w3.org/2000/09/xmldsig#sha1"));
  auto out = dir.path / "out.edxml";
  REQUIRE(run("xmlsec1 --sign --privkey-pem " + key.string() + "," + cert.string() + " --output " +
              out.string() + " " + tmpl.string()).status == 0);
  auto refused = XmlVerifier(trust()).verify(readFile(out));
  CHECK(refused.indication == Indication::Indeterminate);
  CHECK(refused.sub_indication == SubIndication::CryptoConstraintsFailure);
  ValidationPolicy allow;
  allow.allow_sha1 = true;
  auto accepted = XmlVerifier(trust(), allow).verify(readFile(out));
  CHECK(accepted.indication == Indication::TotalPassed);
  CHECK(accepted.warnings == std::vector<std::string>{"SHA-1 is weak; accepted by policy"});
}
