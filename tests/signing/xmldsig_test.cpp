#include <catch2/catch.hpp>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using lienthong::signing::test::pki;

namespace {

TrustStore trust() {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(pki().crl, "test"));
  return ts;
}

SigningKey rsaKey() {
  auto k = SigningKey::fromPem(pki().rsa.keyPem("mật khẩu dài"), "mật khẩu dài", pki().rsa.certPem());
  REQUIRE(k);
  return *k;
}

SigningKey ecKey() {
  auto k = SigningKey::fromPem(pki().ec.keyPem(""), "", pki().ec.certPem());
  REQUIRE(k);
  return *k;
}

std::string unsignedPackage() { return schemas::sample::package().serialize(); }

std::string signedPackage(XmlSignOptions o = {}) {
  auto s = XmlSigner(rsaKey(), o).sign(unsignedPackage());
  REQUIRE(s);
  return *s;
}

void replaceOnce(std::string& s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
}

std::string signatureElement(const std::string& doc) {
  auto b = doc.find("<Signature ");
  auto e = doc.find("</Signature>");
  REQUIRE(b != std::string::npos);
  return doc.substr(b, e + 12 - b);
}

void expect(const ValidationReport& r, SubIndication s) {
  INFO(r.toJson());
  CHECK(r.sub_indication == s);
  CHECK(r.indication == indicationOf(s));
}

}  // namespace

TEST_CASE("a package signed with RSA-SHA256 and exclusive C14N verifies TOTAL_PASSED") {
  auto signed_doc = signedPackage();
  auto r = XmlVerifier(trust()).verify(signed_doc);
  INFO(r.toJson());
  REQUIRE(r.indication == Indication::TotalPassed);
  CHECK(r.sub_indication == SubIndication::None);
  REQUIRE(r.signer);
  CHECK(r.signer->organ_id == "000.00.00.H41");
  CHECK(r.signer->common_name == "Nguyễn Văn An");
  CHECK(r.signature_algorithm == "RSA-SHA-256");
  // SigningTime lies outside the signed data: shown as claimed, not used (issue 16).
  CHECK(r.signing_time_source == "validation");
  CHECK(r.claimed_time.has_value());
  CHECK_FALSE(r.claimed_time_signed);
  CHECK(r.revocation.status == RevocationStatus::Good);
  CHECK(r.chain.size() == 2);
  CHECK(r.textVi().starts_with("Chữ ký hợp lệ."));
  CHECK(r.textEn().find("OrganId 000.00.00.H41") != std::string::npos);
  CHECK(r.toJson().find("\"indication\":\"TOTAL_PASSED\"") != std::string::npos);
  // The signature sits at the end of edXMLHeader and the package still parses.
  auto pkg = schemas::Package::parse(signed_doc, nullptr);
  REQUIRE(pkg);
  CHECK(pkg->isSigned());
}

TEST_CASE("ECDSA P-256, RSA-PSS, SHA-384/512 and inclusive C14N all verify") {
  XmlSignOptions pss;
  pss.scheme = SignatureScheme::RsaPss;
  pss.digest = DigestAlgorithm::Sha512;
  expect(XmlVerifier(trust()).verify(signedPackage(pss)), SubIndication::None);
  XmlSignOptions incl;
  incl.canonicalization = Canonicalization::Inclusive;
  incl.digest = DigestAlgorithm::Sha384;
  expect(XmlVerifier(trust()).verify(signedPackage(incl)), SubIndication::None);
  auto ec = XmlSigner(ecKey()).sign(unsignedPackage());
  REQUIRE(ec);
  auto r = XmlVerifier(trust()).verify(*ec);
  expect(r, SubIndication::None);
  CHECK(r.signature_algorithm == "ECDSA-SHA-256");
  CHECK(r.signer->organ_id == "H41.01");
}

TEST_CASE("status messages are signed and verified the same way") {
  auto status = schemas::sample::status(schemas::sample::package(), "000.00.31.H41",
                                        schemas::StatusCode::Arrived);
  auto s = XmlSigner(ecKey()).sign(status.serialize());
  REQUIRE(s);
  expect(XmlVerifier(trust()).verify(*s), SubIndication::None);
  REQUIRE(schemas::StatusMessage::parse(*s, nullptr));
}

TEST_CASE("the signer refuses an already signed document and a non-edXML one") {
  auto again = XmlSigner(rsaKey()).sign(signedPackage());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::SignatureInvalid);
  auto other = XmlSigner(rsaKey()).sign("<a/>");
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::MissingElement);
}

TEST_CASE("one changed byte anywhere in the signed content gives HASH_FAILURE") {
  const auto doc = signedPackage();
  const auto sig_begin = doc.find("<Signature ");
  const auto sig_end = doc.find("</Signature>") + 12;
  XmlVerifier verifier(trust());
  int tried = 0;
  bool in_tag = false;
  for (std::size_t i = doc.find("?>") + 2; i < doc.size(); ++i) {
    char c = doc[i];
    if (c == '<') in_tag = true;
    if (c == '>') {
      in_tag = false;
      continue;
    }
    if (in_tag || (i >= sig_begin && i < sig_end)) continue;
    if (!std::isalnum(static_cast<unsigned char>(c)) || i % 37 != 0) continue;
    std::string t = doc;
    t[i] = c == 'A' ? 'B' : 'A';
    auto r = verifier.verify(t);
    INFO("offset " << i);
    expect(r, SubIndication::HashFailure);
    ++tried;
  }
  CHECK(tried > 50);
  // A changed attribute value and an added element, too.
  std::string t = doc;
  replaceOnce(t, "<edXML:Subject>", "<edXML:Subject>X");
  expect(verifier.verify(t), SubIndication::HashFailure);
}

TEST_CASE("a changed SignatureValue gives SIG_CRYPTO_FAILURE") {
  auto doc = signedPackage();
  auto pos = doc.find("<SignatureValue>") + 20;
  doc[pos] = doc[pos] == 'A' ? 'B' : 'A';
  expect(XmlVerifier(trust()).verify(doc), SubIndication::SigCryptoFailure);
}

TEST_CASE("an unsigned package is SIGNED_DATA_NOT_FOUND and malformed input FORMAT_FAILURE") {
  expect(XmlVerifier(trust()).verify(unsignedPackage()), SubIndication::SignedDataNotFound);
  expect(XmlVerifier(trust()).verify("<edXML"), SubIndication::FormatFailure);
  expect(XmlVerifier(trust()).verify("<!DOCTYPE x []><x/>"), SubIndication::FormatFailure);
}

TEST_CASE("signature wrapping variants are refused") {
  const auto doc = signedPackage();
  const auto sig = signatureElement(doc);
  XmlVerifier v(trust());

  SECTION("a second Signature in the body") {
    std::string t = doc;
    replaceOnce(t, "</edXML:edXMLBody>", sig + "</edXML:edXMLBody>");
    auto r = v.verify(t);
    expect(r, SubIndication::FormatFailure);
  }
  SECTION("the Signature moved under edXMLBody") {
    std::string t = doc;
    replaceOnce(t, sig, "");
    replaceOnce(t, "</edXML:edXMLBody>", sig + "</edXML:edXMLBody>");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("a Reference to an Id instead of the whole document") {
    std::string t = doc;
    replaceOnce(t, "URI=\"\"", "URI=\"#hdr\"");
    replaceOnce(t, "<edXML:MessageHeader>", "<edXML:MessageHeader Id=\"hdr\">");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("a second Reference") {
    std::string t = doc;
    auto b = t.find("<Reference ");
    auto e = t.find("</Reference>") + 12;
    std::string ref = t.substr(b, e - b);
    t.insert(e, ref);
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("an XPath transform") {
    std::string t = doc;
    replaceOnce(t, "<Transforms>",
                "<Transforms><Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\">"
                "<XPath>not(ancestor-or-self::edXMLBody)</XPath></Transform>");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("without the enveloped-signature transform") {
    std::string t = doc;
    replaceOnce(t, "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>", "");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("duplicate Ids") {
    std::string t = doc;
    auto id_pos = t.find("Id=\"sig-");
    std::string id = t.substr(id_pos, t.find('"', id_pos + 4) + 1 - id_pos);
    replaceOnce(t, "<edXML:MessageHeader>", "<edXML:MessageHeader " + id + ">");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("a second edXMLHeader holding the original") {
    std::string t = doc;
    auto b = t.find("<edXML:edXMLHeader>");
    auto e = t.find("</edXML:edXMLHeader>") + 20;
    t.insert(e, t.substr(b, e - b));
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("the original copied into an Object and the visible content changed") {
    std::string t = doc;
    auto b = t.find("<edXML:MessageHeader>");
    auto e = t.find("</edXML:MessageHeader>") + 22;
    std::string original = t.substr(b, e - b);
    replaceOnce(t, "</Signature>", "<Object>" + original + "</Object></Signature>");
    replaceOnce(t, "<edXML:Subject>", "<edXML:Subject>Đã sửa: ");
    expect(v.verify(t), SubIndication::HashFailure);
  }
  SECTION("a RetrievalMethod in KeyInfo") {
    std::string t = doc;
    replaceOnce(t, "<KeyInfo>", "<KeyInfo><RetrievalMethod URI=\"http://127.0.0.1:1/key\"/>");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("an HMAC SignatureMethod") {
    std::string t = doc;
    replaceOnce(t, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
  SECTION("a C14N with comments") {
    std::string t = doc;
    replaceOnce(t, "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"",
                "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#WithComments\"");
    expect(v.verify(t), SubIndication::FormatFailure);
  }
}

TEST_CASE("an attacker's key in KeyValue is never used") {
  // The attacker re-signs a changed package with a self-made key.
  test::CertSpec spec;
  spec.cn = "Kẻ giả mạo";
  auto attacker = test::makeCert(spec, nullptr);
  auto key = SigningKey::fromPem(attacker.keyPem(""), "", attacker.certPem());
  REQUIRE(key);
  std::string changed = unsignedPackage();
  replaceOnce(changed, "<edXML:Subject>", "<edXML:Subject>Giả mạo ");
  auto forged = XmlSigner(*key).sign(changed);
  REQUIRE(forged);
  XmlVerifier v(trust());
  SECTION("only a KeyValue: no signing certificate") {
    std::string t = *forged;
    auto b = t.find("<X509Data>");
    auto e = t.find("</X509Data>") + 11;
    t.replace(b, e - b, "<KeyValue><RSAKeyValue><Modulus>AQAB</Modulus><Exponent>AQAB</Exponent>"
                        "</RSAKeyValue></KeyValue>");
    expect(v.verify(t), SubIndication::NoSigningCertificateFound);
  }
  SECTION("the legitimate certificate with the attacker's signature") {
    std::string t = *forged;
    auto b = t.find("<X509Data>");
    auto e = t.find("</X509Data>") + 11;
    auto legit = signedPackage();
    auto lb = legit.find("<X509Data>");
    auto le = legit.find("</X509Data>") + 11;
    t.replace(b, e - b, "<KeyValue/>" + legit.substr(lb, le - lb));
    expect(v.verify(t), SubIndication::SigCryptoFailure);
  }
  SECTION("the attacker's own certificate is not trusted") {
    expect(v.verify(*forged), SubIndication::NoCertificateChainFound);
  }
}

TEST_CASE("the signer leaves every byte outside the Signature as the sender wrote it") {
  std::string input = unsignedPackage();
  // Bytes a re-serialization would change: CRLF line ends and a comment in the header.
  replaceOnce(input, "<edXML:MessageHeader", "<!-- ghi chú -->\r\n<edXML:MessageHeader");
  auto s = XmlSigner(rsaKey()).sign(input);
  REQUIRE(s);
  const std::string sig = signatureElement(*s);
  std::string rest = *s;
  replaceOnce(rest, sig, "");
  CHECK(rest == input);
  expect(XmlVerifier(trust()).verify(*s), SubIndication::None);
}

TEST_CASE("a header closing tag quoted in a comment does not misplace the Signature") {
  std::string input = unsignedPackage();
  replaceOnce(input, "<edXML:MessageHeader",
              "<!-- </edXML:edXMLHeader> </edXMLHeader> --><edXML:MessageHeader");
  auto s = XmlSigner(rsaKey()).sign(input);
  REQUIRE(s);
  expect(XmlVerifier(trust()).verify(*s), SubIndication::None);
  // The Signature sits in the header, after the comment and the header's children.
  const auto comment = s->find("</edXMLHeader> -->");
  const auto signature = s->find("<Signature ");
  REQUIRE(comment != std::string::npos);
  CHECK(signature > comment);
}
