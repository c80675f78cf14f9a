// Vietnamese PKI as it is (issue 16): roles from the real certificate profiles (UID prefixes,
// organizationIdentifier, public-duty certificates without UID matched with the sending agency
// or the seal registry), legacy PDF signatures (adbe.pkcs7.detached, adbe.pkcs7.sha1) signed as
// Vietnamese tools do and judged like pdfsig, and signing times that cannot be forged.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/pdf_sample.h"
#include "lienthong/signing/pdf_signer.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/trust_list.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;
using Clock = std::chrono::system_clock;

namespace {

// The key usage real CAs give persons and organisations alike.
constexpr const char* kRealKeyUsage = "critical,digitalSignature,nonRepudiation,keyEncipherment";

// VNPT-CA-like person: UID=CCCD:, title, employer O, province ST; EKU clientAuth+emailProtection.
CertSpec vnptPerson(const std::string& cn, const std::string& cccd) {
  CertSpec s;
  s.cn = cn;
  s.organization = "CÔNG TY CỔ PHẦN THƯƠNG MẠI SÔNG HỒNG";
  s.key_usage = kRealKeyUsage;
  s.ext_key_usage = "clientAuth,emailProtection";
  s.subject = {{"ST", "Hà Nội"}, {"title", "Giám đốc"}, {"UID", "CCCD:" + cccd}};
  return s;
}

// An employee: the company's MST with a suffix beside the CCCD (the personal prefix wins).
CertSpec employee() {
  CertSpec s = vnptPerson("Trần Thị Bích Ngọc", "001199004567");
  s.subject = {{"UID", "MST:0100686209-199"}, {"UID", "CCCD:001199004567"}};
  return s;
}

// Viettel-CA-like organisation: UID=MST:, CN the company name, no EKU, the same key usage.
CertSpec viettelOrganisation() {
  CertSpec s;
  s.cn = "CÔNG TY CỔ PHẦN THƯƠNG MẠI SÔNG HỒNG";
  s.organization = "";
  s.key_usage = kRealKeyUsage;
  s.subject = {{"L", "Hoàn Kiếm"}, {"UID", "MST:0100109106"}};
  return s;
}

// VGCA-like (public-duty CA): no UID; CN the agency's or person's name, O the parent body.
CertSpec vgca(const std::string& cn, const std::string& parent) {
  CertSpec s;
  s.cn = cn;
  s.organization = parent;
  s.key_usage = kRealKeyUsage;
  s.ext_key_usage = "clientAuth,emailProtection";
  return s;
}

SigningKey keyOf(const TestCert& c) {
  auto k = SigningKey::fromPem(c.keyPem(""), "", c.certPem() + pki().root.certPem());
  REQUIRE(k);
  return std::move(*k);
}

TrustStore rootTrust() {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(pki().crl, "test"));
  ts.setHttpFetch([](const HttpRequest& r) -> Result<std::string> {
    return fail(ErrorCode::Network, "tests do not use the network: " + r.url);
  });
  return ts;
}

ValidationPolicy crlOnly() {
  ValidationPolicy p;
  p.revocation.use_ocsp = false;
  return p;
}

PdfVerifier legacyVerifier() { return PdfVerifier(rootTrust(), crlOnly()); }

std::string signPdf(const std::string& pdf, const TestCert& cert, PdfSignOptions o = {}) {
  if (o.format == PdfSignOptions::Format::Pades) o.format = PdfSignOptions::Format::Pkcs7Detached;
  auto r = PdfSigner(keyOf(cert), legacyVerifier(), o).sign(pdf);
  INFO((r ? std::string() : r.error().describe()));
  REQUIRE(r);
  return *r;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

bool hasWarning(const ValidationReport& r, const std::string& text) {
  for (const auto& w : r.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

// pdfsig's output for a file, with the test root in an NSS database (integrity: "Signature
// Validation: Signature is Valid." or a mismatch).
std::string pdfsig(const TempDir& dir, const std::string& pdf) {
  const auto file = dir.write("doc.pdf", pdf);
  const auto nss = dir.path / "nss";
  if (!std::filesystem::exists(nss)) {
    std::filesystem::create_directories(nss);
    const auto root = dir.write("root.pem", pki().root.certPem());
    REQUIRE(run("certutil -N -d sql:" + nss.string() + " --empty-password").status == 0);
    REQUIRE(run("certutil -A -d sql:" + nss.string() + " -n test-root -t CT,C,C -a -i " +
                root.string())
                .status == 0);
  }
  return run("pdfsig -nssdir sql:" + nss.string() + " -no-ocsp " + file.string()).output;
}

}  // namespace

TEST_CASE("vn-pki: roles come from UID prefixes and organizationIdentifier, never key usage") {
  const auto& root = pki().root;
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &root);
  const auto staff = makeCert(employee(), &root);
  const auto company = makeCert(viettelOrganisation(), &root);
  CertSpec org_id;
  org_id.organ_id = "000.00.00.H41";
  org_id.key_usage = kRealKeyUsage;
  const auto agency = makeCert(org_id, &root);
  for (const char* prefix : {"CMND:", "HC:", "PID:", "PPID:", "BHXH:"}) {
    CertSpec s = vnptPerson("Lê Văn Cường", "1");
    s.subject = {{"UID", std::string(prefix) + "012345678"}};
    INFO(prefix);
    CHECK(signerRole(makeCert(s, &root).cert.get()) == SignerRole::Personal);
  }
  CertSpec mns = viettelOrganisation();
  mns.subject = {{"UID", "MNS:1012345"}};

  CHECK(signerRole(person.cert.get()) == SignerRole::Personal);
  CHECK(classifySigner(person.cert.get()).basis == "personal identifier CCCD: in the subject");
  CHECK(signerRole(staff.cert.get()) == SignerRole::Personal);  // CCCD wins over MST
  CHECK(signerRole(company.cert.get()) == SignerRole::Agency);
  CHECK(signerRole(makeCert(mns, &root).cert.get()) == SignerRole::Agency);
  CHECK(signerRole(agency.cert.get()) == SignerRole::Agency);
  // Same key usage, no EKU, or an EKU of emailProtection: the identifier decides, not these.
  CertSpec company_eku = viettelOrganisation();
  company_eku.ext_key_usage = "clientAuth,emailProtection";
  CHECK(signerRole(makeCert(company_eku, &root).cert.get()) == SignerRole::Agency);
  CertSpec person_no_eku = vnptPerson("Phạm Thu Hà", "001188000999");
  person_no_eku.ext_key_usage.clear();
  CHECK(signerRole(makeCert(person_no_eku, &root).cert.get()) == SignerRole::Personal);
  // A TLS server certificate is neither, whatever its subject.
  CertSpec tls = viettelOrganisation();
  tls.ext_key_usage = "serverAuth";
  CHECK(signerRole(makeCert(tls, &root).cert.get()) == SignerRole::Unknown);
}

TEST_CASE("vn-pki: a public-duty certificate without UID is matched with the sending agency or "
          "the seal registry") {
  const auto& root = pki().root;
  const auto seal = makeCert(vgca("Ủy ban nhân dân tỉnh Nghệ An", "Văn phòng Chính phủ"), &root);
  const auto official = makeCert(vgca("Hoàng Minh Đức", "Ủy ban nhân dân tỉnh Nghệ An"), &root);
  CHECK(signerRole(seal.cert.get()) == SignerRole::Unknown);
  CHECK(signerRole(official.cert.get()) == SignerRole::Unknown);

  RoleContext sender;
  sender.sender_name = "ỦY BAN NHÂN DÂN  TỈNH NGHỆ AN";  // case and spacing differ
  sender.sender_parent = "Văn phòng Chính phủ";
  CHECK(signerRole(seal.cert.get(), sender) == SignerRole::Agency);
  CHECK(classifySigner(seal.cert.get(), sender).basis == "CN is the sending agency's name");
  CHECK(signerRole(official.cert.get(), sender) == SignerRole::Personal);
  RoleContext other = sender;
  other.sender_parent = "Bộ Tài chính";  // the same name under another parent is not the agency
  CHECK(signerRole(seal.cert.get(), other) == SignerRole::Personal);

  SealRegistry registry;
  REQUIRE(registry.addPem(seal.certPem()));
  RoleContext by_registry;
  by_registry.seals = &registry;
  CHECK(signerRole(seal.cert.get(), by_registry) == SignerRole::Agency);
  CHECK(signerRole(official.cert.get(), by_registry) == SignerRole::Personal);
  CHECK_FALSE(registry.addPem("not a certificate"));
}

TEST_CASE("vn-pki: two persons then the seal, PKCS#7 detached with incremental updates, give "
          "the Decree 30 verdict valid; pdfsig agrees on integrity") {
  const auto& root = pki().root;
  const auto first = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &root);
  const auto second = makeCert(employee(), &root);
  const auto seal = makeCert(viettelOrganisation(), &root);
  auto sample = makeSamplePdf();
  REQUIRE(sample);
  PdfSignOptions at;
  at.signing_time = Clock::now() - std::chrono::seconds(4);
  const std::string one = signPdf(*sample, first, at);
  at.signing_time = Clock::now() - std::chrono::seconds(2);
  const std::string two = signPdf(one, second, at);
  const std::string three = signPdf(two, seal);
  REQUIRE(three.starts_with(two));
  REQUIRE(two.starts_with(one));

  auto v = legacyVerifier().verify(three);
  REQUIRE(v);
  INFO(v->toJson());
  REQUIRE(v->signatures.size() == 3);
  CHECK(v->verdict == PdfVerdict::Valid);
  CHECK(v->signatures[0].role == SignerRole::Personal);
  CHECK(v->signatures[1].role == SignerRole::Personal);
  CHECK(v->signatures[2].role == SignerRole::Agency);
  for (const auto& s : v->signatures) {
    CHECK(s.sub_filter == "adbe.pkcs7.detached");
    CHECK(s.report.passed());
    CHECK(s.report.integrity == "intact");
    CHECK(s.report.format == "PKCS#7 detached (PDF)");
    CHECK(hasWarning(s.report, "not PAdES baseline"));
    CHECK(hasWarning(s.report, "no signing-certificate attribute"));
    // The claimed time is shown (signed, inside the SignerInfo) but the certificate is judged now.
    CHECK(s.report.claimed_time.has_value());
    CHECK(s.report.claimed_time_signed);
    CHECK(s.report.signing_time_source == "validation");
  }
  CHECK(v->signatures[0].report.signer->common_name == "Nguyễn Văn An");
  CHECK(v->signatures[1].report.signer->common_name == "Trần Thị Bích Ngọc");
  CHECK(v->signatures[2].report.signer->common_name == "CÔNG TY CỔ PHẦN THƯƠNG MẠI SÔNG HỒNG");
  CHECK(v->textVi().find("Nguyễn Văn An") != std::string::npos);

  TempDir dir;
  const std::string out = pdfsig(dir, three);
  INFO(out);
  CHECK(count(out, "Signature Validation: Signature is Valid.") == 3);
  CHECK(count(out, "Signature Type: adbe.pkcs7.detached") == 3);
  CHECK(out.find("Signer Certificate Common Name: Trần Thị Bích Ngọc") != std::string::npos);

  SECTION("a byte changed in the page content: both agree the signatures are broken") {
    std::string bad = three;
    const auto pos = bad.find("BT");
    REQUIRE(pos != std::string::npos);
    bad[pos + 3] = bad[pos + 3] == '1' ? '2' : '1';
    auto b = legacyVerifier().verify(bad);
    REQUIRE(b);
    INFO(b->toJson());
    CHECK(b->verdict == PdfVerdict::SignatureInvalid);
    for (const auto& s : b->signatures) {
      CHECK(s.report.sub_indication == SubIndication::HashFailure);
      CHECK(s.report.integrity == "broken");
    }
    const std::string bad_out = pdfsig(dir, bad);
    INFO(bad_out);
    CHECK(count(bad_out, "Signature Validation: Signature is Valid.") == 0);
  }
  SECTION("the seal alone after the persons is required: without it the verdict says so") {
    auto p = legacyVerifier().verify(two);
    REQUIRE(p);
    CHECK(p->verdict == PdfVerdict::MissingAgency);
  }
}

TEST_CASE("vn-pki: a VGCA seal without UID counts as the agency when it is the sender") {
  const auto& root = pki().root;
  const auto official = makeCert(vgca("Hoàng Minh Đức", "Ủy ban nhân dân tỉnh Nghệ An"), &root);
  const auto seal = makeCert(vgca("Ủy ban nhân dân tỉnh Nghệ An", "Văn phòng Chính phủ"), &root);
  RoleContext sender;
  sender.sender_name = "Ủy ban nhân dân tỉnh Nghệ An";
  PdfSignOptions o;
  o.roles = sender;
  auto sample = makeSamplePdf();
  REQUIRE(sample);
  const std::string signed_pdf = signPdf(signPdf(*sample, official, o), seal, o);
  auto with = legacyVerifier().verify(signed_pdf, sender);
  REQUIRE(with);
  INFO(with->toJson());
  CHECK(with->verdict == PdfVerdict::Valid);
  auto without = legacyVerifier().verify(signed_pdf);
  REQUIRE(without);
  CHECK(without->verdict == PdfVerdict::MissingPersonal);
  CHECK(without->signatures[1].role == SignerRole::Unknown);
}

TEST_CASE("vn-pki: adbe.pkcs7.sha1 is verified (SHA-1 by policy), a changed byte breaks it") {
  const auto& root = pki().root;
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &root);
  auto sample = makeSamplePdf();
  REQUIRE(sample);
  PdfSignOptions o;
  o.format = PdfSignOptions::Format::Pkcs7Sha1;
  const std::string pdf = signPdf(*sample, person, o);
  ValidationPolicy weak = crlOnly();
  weak.allow_sha1 = true;
  auto v = PdfVerifier(rootTrust(), weak).verify(pdf);
  REQUIRE(v);
  INFO(v->toJson());
  REQUIRE(v->signatures.size() == 1);
  CHECK(v->signatures[0].sub_filter == "adbe.pkcs7.sha1");
  CHECK(v->signatures[0].report.passed());
  CHECK(v->signatures[0].report.format == "PKCS#7 SHA-1 (PDF)");
  CHECK(hasWarning(v->signatures[0].report, "not PAdES baseline"));
  CHECK(v->signatures[0].role == SignerRole::Personal);
  // SHA-1 refused by the default policy.
  auto strict = legacyVerifier().verify(pdf);
  REQUIRE(strict);
  CHECK(strict->signatures[0].report.sub_indication == SubIndication::CryptoConstraintsFailure);
  std::string bad = pdf;
  const auto pos = bad.find("BT");
  bad[pos + 3] = bad[pos + 3] == '1' ? '2' : '1';
  auto b = PdfVerifier(rootTrust(), weak).verify(bad);
  REQUIRE(b);
  CHECK(b->signatures[0].report.sub_indication == SubIndication::HashFailure);
}

TEST_CASE("vn-pki: an expired seal whose claimed signing time was moved into its validity is "
          "INDETERMINATE OUT_OF_BOUNDS_NO_POE, never valid") {
  CertSpec s = viettelOrganisation();
  s.not_before_days = -30;
  s.not_after_days = -1;
  const auto expired = makeCert(s, &pki().root);
  const auto moved = Clock::now() - std::chrono::hours(24 * 10);

  SECTION("XML: SigningTime lies outside what the signature covers") {
    XmlSignOptions o;
    o.at = moved;
    auto doc = XmlSigner(keyOf(expired), o).sign(schemas::sample::package().serialize());
    REQUIRE(doc);
    auto r = XmlVerifier(rootTrust(), crlOnly()).verify(*doc);
    INFO(r.toJson());
    CHECK(r.indication == Indication::Indeterminate);
    CHECK(r.sub_indication == SubIndication::OutOfBoundsNoPoe);
    CHECK(r.integrity == "intact");
    REQUIRE(r.claimed_time);
    CHECK(isoTime(*r.claimed_time) == isoTime(moved));
    CHECK_FALSE(r.claimed_time_signed);
    CHECK(r.detail.find("claimed signing time " + isoTime(moved)) != std::string::npos);
    // Not even a policy that trusts claimed times uses a time the signature does not cover.
    ValidationPolicy trusting = crlOnly();
    trusting.trust_claimed_signing_time = true;
    auto t = XmlVerifier(rootTrust(), trusting).verify(*doc);
    CHECK(t.sub_indication == SubIndication::OutOfBoundsNoPoe);
  }
  SECTION("CMS: a signed signing-time is only claimed; the policy may accept it") {
    CmsSignOptions o;
    o.signing_time = moved;
    const std::string content = "Quyết định số 123/QĐ-UBND";
    auto p7s = CmsSigner(keyOf(expired), o).sign(content);
    REQUIRE(p7s);
    auto r = CmsVerifier(rootTrust(), crlOnly()).verify(content, *p7s);
    INFO(r.toJson());
    CHECK(r.sub_indication == SubIndication::OutOfBoundsNoPoe);
    CHECK(r.claimed_time_signed);
    ValidationPolicy trusting = crlOnly();
    trusting.trust_claimed_signing_time = true;
    auto t = CmsVerifier(rootTrust(), trusting).verify(content, *p7s);
    INFO(t.toJson());
    CHECK(t.passed());
    CHECK(t.signing_time_source == "claimed");
  }
}

TEST_CASE("vn-pki: a not-yet-valid seal with its SigningTime moved after notBefore is "
          "NOT_YET_VALID") {
  CertSpec s = viettelOrganisation();
  s.not_before_days = 2;
  s.not_after_days = 30;
  const auto early = makeCert(s, &pki().root);
  XmlSignOptions o;
  o.at = Clock::now() + std::chrono::hours(24 * 5);
  auto doc = XmlSigner(keyOf(early), o).sign(schemas::sample::package().serialize());
  REQUIRE(doc);
  auto r = XmlVerifier(rootTrust(), crlOnly()).verify(*doc);
  INFO(r.toJson());
  CHECK(r.indication == Indication::TotalFailed);
  CHECK(r.sub_indication == SubIndication::NotYetValid);
}

TEST_CASE("vn-pki: revoked now without a time-stamp is INDETERMINATE REVOKED_NO_POE, with the "
          "claimed time shown") {
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &pki().root);
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(makeCrl(pki().root, {&person}), "test"));
  const std::string content = "Công văn 7816/VPCP-TTĐT";
  CmsSignOptions o;
  o.signing_time = Clock::now() - std::chrono::hours(24 * 3);
  auto p7s = CmsSigner(keyOf(person), o).sign(content);
  REQUIRE(p7s);
  auto r = CmsVerifier(ts, crlOnly()).verify(content, *p7s);
  INFO(r.toJson());
  CHECK(r.indication == Indication::Indeterminate);
  CHECK(r.sub_indication == SubIndication::RevokedNoPoe);
  CHECK(r.revocation.status == RevocationStatus::Revoked);
  CHECK(r.textEn().find("Claimed signing time (not proven): " + isoTime(*o.signing_time)) !=
        std::string::npos);
}

namespace {

// A real vendor SDK package with its (placeholder) Signature taken out.
std::string unsignedVendorPackage() {
  std::string doc = readFile(std::string(LIENTHONG_SOURCE_DIR) +
                             "/../shared/real/vxpsdk_edoc_new_original.edxml");
  // The file has CRLF line ends: the Signature's own line goes, with its line end.
  const auto a = doc.find("      <Signature>");
  auto b = doc.find("</Signature>");
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  b += std::string("</Signature>").size();
  while (b < doc.size() && (doc[b] == '\r' || doc[b] == '\n')) ++b;
  doc.erase(a, b - a);
  return doc;
}

ValidationPolicy sha1Allowed() {
  ValidationPolicy p = crlOnly();
  p.allow_sha1 = true;
  return p;
}

}  // namespace

TEST_CASE("vn-pki: the vendor SDK's Signature (edXML namespace, rsa-sha1, inclusive C14N) is "
          "verified as such producers compute it") {
  const auto person = makeCert(vnptPerson("Nguyễn Thị Ngọc Trâm", "040199000111"), &pki().root);
  XmlSignOptions o;
  o.vendor_form = true;
  o.digest = DigestAlgorithm::Sha1;
  o.include_chain = false;
  const std::string plain = unsignedVendorPackage();
  auto doc = XmlSigner(keyOf(person), o).sign(plain);
  INFO((doc ? std::string() : doc.error().describe()));
  REQUIRE(doc);
  // Written as the SDK writes it.
  CHECK(doc->find("<Signature>") != std::string::npos);
  CHECK(doc->find("<SignedInfo>") != std::string::npos);
  CHECK(doc->find("xmldsig#\"") == std::string::npos);
  CHECK(doc->find("Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"") !=
        std::string::npos);
  CHECK(doc->find("xmldsig#rsa-sha1") != std::string::npos);
  CHECK(doc->find("<Transform Algorithm=\"http://www.w3.org/TR/xml-exc-c14n#\"") !=
        std::string::npos);

  auto r = XmlVerifier(rootTrust(), sha1Allowed()).verify(*doc);
  INFO(r.toJson());
  CHECK(r.passed());
  CHECK(r.integrity == "intact");
  CHECK(hasWarning(r, "without the XMLDSig namespace"));
  CHECK(hasWarning(r, "SHA-1 is weak"));
  CHECK(r.signer->common_name == "Nguyễn Thị Ngọc Trâm");

  // The default policy refuses SHA-1, and still says the signature is intact.
  auto strict = XmlVerifier(rootTrust(), crlOnly()).verify(*doc);
  CHECK(strict.sub_indication == SubIndication::CryptoConstraintsFailure);
  CHECK(strict.integrity == "intact");

  SECTION("a changed body is HASH_FAILURE") {
    std::string bad = *doc;
    const auto pos = bad.find("Văn bản điện tử mới");
    REQUIRE(pos != std::string::npos);
    bad.replace(pos, 3, "Vxn");
    auto b = XmlVerifier(rootTrust(), sha1Allowed()).verify(bad);
    CHECK(b.sub_indication == SubIndication::HashFailure);
    CHECK(b.integrity == "broken");
  }
  SECTION("a changed SignedInfo is SIG_CRYPTO_FAILURE") {
    std::string bad = *doc;
    const auto pos = bad.find("<Reference URI=\"\">");
    REQUIRE(pos != std::string::npos);
    bad.insert(pos, "\n          ");
    auto b = XmlVerifier(rootTrust(), sha1Allowed()).verify(bad);
    CHECK(b.sub_indication == SubIndication::SigCryptoFailure);
  }
  SECTION("the strict profile still holds: a second Reference is FORMAT_FAILURE") {
    std::string bad = *doc;
    const auto end = bad.find("</Reference>") + std::string("</Reference>").size();
    bad.insert(end, "<Reference URI=\"#x\"><DigestMethod Algorithm=\"http://www.w3.org/2000/09/"
                    "xmldsig#sha1\"/><DigestValue>AA==</DigestValue></Reference>");
    auto b = XmlVerifier(rootTrust(), sha1Allowed()).verify(bad);
    CHECK(b.sub_indication == SubIndication::FormatFailure);
  }
}

TEST_CASE("vn-pki: a Signature computed in the XMLDSig namespace and written without it verifies") {
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &pki().root);
  XmlSignOptions o;
  o.canonicalization = Canonicalization::Inclusive;
  o.signing_time = false;
  o.include_chain = false;
  auto doc = XmlSigner(keyOf(person), o).sign(unsignedVendorPackage());
  REQUIRE(doc);
  std::string stripped = *doc;
  const std::string decl = " xmlns=\"http://www.w3.org/2000/09/xmldsig#\"";
  const auto pos = stripped.find(decl);
  REQUIRE(pos != std::string::npos);
  stripped.erase(pos, decl.size());
  auto r = XmlVerifier(rootTrust(), crlOnly()).verify(stripped);
  INFO(r.toJson());
  CHECK(r.passed());
  CHECK(hasWarning(r, "computed in the XMLDSig namespace and written without it"));
}

TEST_CASE("vn-pki: the SDK sample's own placeholder signature is read, and found not to match") {
  const std::string doc = readFile(std::string(LIENTHONG_SOURCE_DIR) +
                                   "/../shared/real/vxpsdk_edoc_new_original.edxml");
  auto r = XmlVerifier(rootTrust(), sha1Allowed()).verify(doc);
  INFO(r.toJson());
  // The SDK samples carry one placeholder: the same DigestValue and SignatureValue in all four
  // edoc samples, and a truncated certificate. The form (edXML namespace, the SDK's transform
  // URI http://www.w3.org/TR/xml-exc-c14n#) is read, no FORMAT_FAILURE; the certificate is
  // unusable, and the Reference digest is checked anyway: it does not match the document.
  CHECK(r.sub_indication == SubIndication::HashFailure);
  CHECK(r.integrity == "broken");
  CHECK(hasWarning(r, "xml-exc-c14n#"));
}

TEST_CASE("vn-pki: without a usable certificate the Reference digest still tells intact from "
          "changed") {
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &pki().root);
  auto doc = XmlSigner(keyOf(person)).sign(schemas::sample::package().serialize());
  REQUIRE(doc);
  // The certificate text truncated, as in the SDK samples.
  std::string cut = *doc;
  const auto at = cut.find("<X509Certificate>") + std::string("<X509Certificate>").size();
  const auto end = cut.find("</X509Certificate>", at);
  cut.replace(at, end - at, "MIIFqTCCBJG");
  auto r = XmlVerifier(rootTrust(), crlOnly()).verify(cut);
  INFO(r.toJson());
  CHECK(r.sub_indication == SubIndication::NoSigningCertificateFound);
  CHECK(hasWarning(r, "the Reference digest matches the document"));
  std::string changed = cut;
  const auto body = changed.find("<edXML:Subject>");
  REQUIRE(body != std::string::npos);
  changed.insert(body + std::string("<edXML:Subject>").size(), "X");
  auto c = XmlVerifier(rootTrust(), crlOnly()).verify(changed);
  CHECK(c.sub_indication == SubIndication::HashFailure);
}

TEST_CASE("vn-pki: lienthong verify without a usable anchor says the signature is intact and "
          "which chain it found") {
  CertSpec ca;
  ca.ca = true;
  ca.cn = "CA không có trong danh sách tin cậy";
  const auto other = makeCert(ca, nullptr);
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &other);
  auto k = SigningKey::fromPem(person.keyPem(""), "", person.certPem() + other.certPem());
  REQUIRE(k);
  auto doc = XmlSigner(*k).sign(schemas::sample::package().serialize());
  REQUIRE(doc);
  TempDir dir;
  const auto file = dir.write("goi.edxml", *doc);
  auto r = run(std::string(LIENTHONG_BINARY) + " verify " + file.string() + " --lang en");
  INFO(r.output);
  CHECK(r.status == 2);  // INDETERMINATE
  CHECK(r.output.find("INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND") != std::string::npos);
  CHECK(r.output.find("integrity: intact") != std::string::npos);
  CHECK(r.output.find("CN=Nguyễn Văn An") != std::string::npos);
  CHECK(r.output.find("trust list: VN-TL ") != std::string::npos);
}

TEST_CASE("vn-pki: the built-in trust list holds the two national roots as anchors, pinned") {
  const auto& builtin = builtinCertificates();
  REQUIRE(builtin.size() == 4);
  auto entries = trustListEntries({});
  REQUIRE(entries);
  std::map<std::string, std::string> kinds;
  for (const auto& e : *entries) kinds[e.sha256] = e.kind;
  // The fingerprints of ../shared/vn-pki/README.md.
  CHECK(kinds["bac8bf609ab420a8ee1780d74f4de5c7f7184959d2a7375b0a75e4c29f0908e7"] == "anchor");
  CHECK(kinds["f04ba4b459a7c9a1b971ad9b1cb833e695a80c79aea63b174b66a70edfe2fdb8"] == "anchor");
  CHECK(kinds["d8cab7a4aef92e6bb2509d7c61cee7b44f3731b2d21074963530277b366fae4b"] ==
        "intermediate");
  CHECK(kinds["7d6ba5245317f9ed5d8bc765a4634d26ac6340d36b9f584df3b52d9c4a81a306"] ==
        "intermediate");
  auto store = nationalTrustStore({});
  REQUIRE(store);
  CHECK(store->anchorCount() == 2);
  CHECK(store->intermediateCount() == 2);
  CHECK(store->version() == builtinTrustListVersion());
  CHECK(builtinTrustListVersion().starts_with("VN-TL "));
  // The built-in names keep their diacritics.
  bool found = false;
  for (const auto& e : *entries)
    found = found || e.subject.find("RootCA chuyên dùng Chính phủ G2") != std::string::npos;
  CHECK(found);
}

TEST_CASE("vn-pki: the node's CA goes beside the national list; reports name the version; "
          "add and remove change it") {
  TempDir dir;
  const auto local = dir.path / "trust";
  std::filesystem::create_directories(local);
  auto added = trustListAdd(local, pki().root.certPem());
  REQUIRE(added);
  CHECK(added->kind == "anchor");
  CHECK_FALSE(trustListAdd(local, pki().root.certPem()));  // listed already
  auto version = trustListVersion(local);
  REQUIRE(version);
  CHECK(version->starts_with(std::string(builtinTrustListVersion()) + " + local "));
  auto store = nationalTrustStore(local);
  REQUIRE(store);
  CHECK(store->anchorCount() == 3);  // beside, not in place of, the national roots

  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &pki().root);
  auto doc = XmlSigner(keyOf(person)).sign(schemas::sample::package().serialize());
  REQUIRE(doc);
  ValidationPolicy unchecked;
  unchecked.revocation.check = false;
  auto r = XmlVerifier(*store, unchecked).verify(*doc);
  INFO(r.toJson());
  CHECK(r.passed());
  CHECK(r.trust_list == *version);
  CHECK(r.toJson().find("\"trust_list\":\"" + *version + "\"") != std::string::npos);

  // Withdrawing a built-in root is recorded locally and changes the version.
  auto removed = trustListRemove(local, "bac8bf60");
  REQUIRE(removed);
  CHECK(removed->source == "built-in");
  auto after = nationalTrustStore(local);
  REQUIRE(after);
  CHECK(after->anchorCount() == 2);
  CHECK(after->version() != *version);
  // Removing the local anchor deletes its file: the signature has no chain any more.
  REQUIRE(trustListRemove(local, added->sha256.substr(0, 12)));
  auto none = nationalTrustStore(local);
  REQUIRE(none);
  auto r2 = XmlVerifier(*none, unchecked).verify(*doc);
  CHECK(r2.sub_indication == SubIndication::NoCertificateChainFound);
  CHECK(r2.integrity == "intact");
  CHECK_FALSE(trustListRemove(local, "zz"));
}

TEST_CASE("vn-pki: lienthong trust list, add, show, remove") {
  TempDir dir;
  const auto local = dir.path / "trust";
  std::filesystem::create_directories(local);
  const auto cert = dir.write("root.pem", pki().root.certPem());
  const std::string bin = LIENTHONG_BINARY;
  auto list = run(bin + " trust list");
  INFO(list.output);
  CHECK(list.status == 0);
  CHECK(list.output.find("trust list VN-TL ") != std::string::npos);
  CHECK(list.output.find("bac8bf609ab420a8  anchor") != std::string::npos);
  auto add = run(bin + " trust add " + cert.string() + " --dir " + local.string());
  INFO(add.output);
  CHECK(add.status == 0);
  CHECK(add.output.find("added anchor") != std::string::npos);
  auto listed = run(bin + " trust list --dir " + local.string());
  CHECK(listed.output.find("local") != std::string::npos);
  CHECK(listed.output.find(" + local ") != std::string::npos);
  auto show = run(bin + " trust show f04ba4b4 --dir " + local.string());
  CHECK(show.status == 0);
  CHECK(show.output.find("RootCA chuyên dùng Chính phủ G2") != std::string::npos);
  auto rm = run(bin + " trust remove f04ba4b4 --dir " + local.string());
  CHECK(rm.status == 0);
  auto again = run(bin + " trust list --dir " + local.string());
  CHECK(again.output.find("[removed]") != std::string::npos);
  auto bad = run(bin + " trust show 12 --dir " + local.string());
  CHECK(bad.status == 2);
}

TEST_CASE("vn-pki: lienthong pdf verify reads legacy signatures; --allow-sha1 for adbe.pkcs7.sha1") {
  const auto person = makeCert(vnptPerson("Nguyễn Văn An", "001099000123"), &pki().root);
  auto sample = makeSamplePdf();
  REQUIRE(sample);
  PdfSignOptions o;
  o.format = PdfSignOptions::Format::Pkcs7Sha1;
  TempDir dir;
  const auto trust = dir.path / "trust";
  std::filesystem::create_directories(trust);
  dir.write("trust/root.pem", pki().root.certPem());
  dir.write("trust/root.crl", pki().crl);
  const auto file = dir.write("qd.pdf", signPdf(*sample, person, o));
  const std::string cmd = std::string(LIENTHONG_BINARY) + " pdf verify " + file.string() +
                          " --trust " + trust.string() + " --offline --json";
  auto strict = run(cmd);
  INFO(strict.output);
  CHECK(strict.status == 1);
  CHECK(strict.output.find("CRYPTO_CONSTRAINTS_FAILURE") != std::string::npos);
  CHECK(strict.output.find("\"integrity\":\"intact\"") != std::string::npos);
  auto weak = run(cmd + " --allow-sha1");
  INFO(weak.output);
  CHECK(weak.output.find("\"indication\":\"TOTAL_PASSED\"") != std::string::npos);
  CHECK(weak.output.find("\"role\":\"personal\"") != std::string::npos);
  CHECK(weak.output.find("\"trust_list\":\"VN-TL ") != std::string::npos);
  CHECK(weak.output.find("Nguyễn Văn An") != std::string::npos);
}

TEST_CASE("vn-pki: offline, a legacy PDF whose revocation source cannot be reached is TRY_LATER, "
          "intact, never valid") {
  CertSpec s = vnptPerson("Nguyễn Văn An", "001099000123");
  s.crl_url = "http://crl.vnpt-ca.invalid/vnpt.crl";
  const auto person = makeCert(s, &pki().root);
  auto sample = makeSamplePdf();
  REQUIRE(sample);
  const std::string pdf = signPdf(*sample, person);
  TrustStore offline;
  REQUIRE(offline.addAnchorsPem(pki().root.certPem()));  // no CRL, no network
  offline.setHttpFetch([](const HttpRequest& r) -> Result<std::string> {
    return fail(ErrorCode::Network, "offline: " + r.url);
  });
  auto v = PdfVerifier(offline, crlOnly()).verify(pdf);
  REQUIRE(v);
  INFO(v->toJson());
  REQUIRE(v->signatures.size() == 1);
  CHECK(v->signatures[0].report.sub_indication == SubIndication::TryLater);
  CHECK(v->signatures[0].report.integrity == "intact");
  CHECK(v->signatures[0].report.revocation.status == RevocationStatus::Unknown);
  CHECK(v->verdict == PdfVerdict::SignatureIndeterminate);
}
