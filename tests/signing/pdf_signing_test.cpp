// PAdES signatures on PDFs: the official's personal signature, then the agency's (Decree 30/2020),
// verified as a receiver would; checked against pdfsig (poppler) and qpdf.
#include <openssl/cms.h>
#include <openssl/objects.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "lienthong/schemas/codec.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/signing/pdf_attachments.h"
#include "lienthong/signing/pdf_sample.h"
#include "lienthong/signing/pdf_signer.h"
#include "lienthong/signing/pdf_verifier.h"
#include "pdf_fixtures.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::pdftest;

namespace {

PdfVerification verifyOk(const std::string& pdf) {
  auto v = verifier().verify(pdf);
  REQUIRE(v.has_value());
  return *v;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

// The object number of the first page's content stream (the sample PDF has one page).
long contentObject(const std::string& pdf) {
  std::smatch m;
  REQUIRE(std::regex_search(pdf, m, std::regex("/Contents ([0-9]+) 0 R")));
  return std::stol(m[1]);
}

// Offset of the first byte of that stream's data.
std::size_t contentStreamData(const std::string& pdf) {
  const std::string header = "\n" + std::to_string(contentObject(pdf)) + " 0 obj";
  const auto obj = pdf.find(header);
  REQUIRE(obj != std::string::npos);
  auto s = pdf.find("stream", obj);
  REQUIRE(s != std::string::npos);
  s += 6;
  if (pdf[s] == '\r') ++s;
  if (pdf[s] == '\n') ++s;
  return s;
}

// An incremental update, not signed, that replaces the page content with other text.
std::string appendContentChange(const std::string& pdf) {
  std::smatch m;
  const long obj = contentObject(pdf);
  REQUIRE(std::regex_search(pdf, m, std::regex("/Root ([0-9]+) 0 R")));
  const std::string root = m[1];
  long size = 0;
  const std::regex size_re("/Size ([0-9]+)");
  for (std::sregex_iterator it(pdf.begin(), pdf.end(), size_re), end; it != end; ++it)
    size = std::max(size, std::stol((*it)[1]));
  const auto sx = pdf.rfind("startxref");
  REQUIRE(sx != std::string::npos);
  const long prev = std::stol(pdf.substr(sx + 9));
  const std::string content = "BT /F1 24 Tf 56 700 Td (Noi dung da bi thay doi) Tj ET";
  std::string out = pdf;
  const std::size_t offset = out.size();
  out += std::to_string(obj) + " 0 obj\n<</Length " + std::to_string(content.size()) +
         ">>\nstream\n" + content + "\nendstream\nendobj\n";
  const std::size_t xref = out.size();
  char entry[32];
  std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
  out += "xref\n0 1\n0000000000 65535 f \n" + std::to_string(obj) + " 1\n" + entry;
  out += "trailer\n<</Size " + std::to_string(size) + " /Root " + root + " 0 R /Prev " +
         std::to_string(prev) + ">>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

// The CMS in a signature's hole.
std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)> cmsOf(
    const std::string& pdf, const PdfSignatureCheck& s) {
  const auto a = static_cast<std::size_t>(s.byte_range[1]);
  const auto b = static_cast<std::size_t>(s.byte_range[2]);
  std::string der;
  for (std::size_t i = a + 1; i + 1 < b - 1; i += 2)
    der += static_cast<char>(std::stoi(pdf.substr(i, 2), nullptr, 16));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return {d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())), CMS_ContentInfo_free};
}

CMS_SignerInfo* signerInfo(CMS_ContentInfo* cms) {
  return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
}

}  // namespace

TEST_CASE("pdf: personal then agency signature are both valid and make the document valid") {
  const auto v = verifyOk(bothSigned());
  REQUIRE(v.signatures.size() == 2);
  const auto& personal = v.signatures[0];
  const auto& agency = v.signatures[1];
  CHECK(personal.index == 1);
  CHECK(personal.role == SignerRole::Personal);
  CHECK(personal.sub_filter == "ETSI.CAdES.detached");
  CHECK(personal.covers_revision);
  CHECK(personal.revision_end == personalSigned().size());
  CHECK(personal.after == PdfModification::SignaturesOnly);
  CHECK(personal.changes.empty());
  CHECK(personal.report.indication == Indication::TotalPassed);
  CHECK(personal.report.format == "PAdES-B-B");
  REQUIRE(personal.report.signer.has_value());
  CHECK(personal.report.signer->common_name == "Nguyễn Văn An");
  CHECK(personal.report.revocation.status == RevocationStatus::Good);
  CHECK(agency.role == SignerRole::Agency);
  CHECK(agency.covers_revision);
  CHECK(agency.revision_end == bothSigned().size());
  CHECK(agency.after == PdfModification::None);
  CHECK(agency.report.indication == Indication::TotalPassed);
  CHECK(agency.report.signer->organ_id == "000.00.00.H41");
  CHECK(agency.field_name == "AgencySignature2");
  CHECK(personal.field_name == "PersonalSignature1");
  CHECK(v.verdict == PdfVerdict::Valid);
  CHECK(v.valid());
  CHECK(v.reason_vi.find("Văn bản hợp lệ") == 0);
  CHECK(v.toJson().find("\"verdict\":\"valid\"") != std::string::npos);
}

TEST_CASE(
    "pdf: each signature is an incremental update that leaves the earlier bytes as they were") {
  const std::string sample = samplePdf();
  const std::string personal = personalSigned();
  const std::string both = bothSigned();
  CHECK(personal.compare(0, sample.size(), sample) == 0);
  CHECK(both.compare(0, personal.size(), personal) == 0);
  CHECK(count(both, "/SubFilter/ETSI.CAdES.detached") == 2);
  // /M in Viet Nam time.
  CHECK(std::regex_search(both, std::regex(R"(/M\(D:[0-9]{14}\+07'00'\))")));
}

TEST_CASE("pdf: one changed byte in the page content breaks the first signature") {
  std::string pdf = bothSigned();
  const auto at = contentStreamData(pdf);
  REQUIRE(static_cast<long long>(at) < verifyOk(pdf).signatures[0].byte_range[1]);
  pdf[at + 3] = static_cast<char>(pdf[at + 3] ^ 0x01);
  const auto v = verifyOk(pdf);
  REQUIRE(v.signatures.size() == 2);
  CHECK(v.signatures[0].report.indication == Indication::TotalFailed);
  CHECK(v.signatures[0].report.sub_indication == SubIndication::HashFailure);
  CHECK(v.signatures[1].report.sub_indication == SubIndication::HashFailure);
  CHECK(v.verdict == PdfVerdict::SignatureInvalid);
  CHECK(v.reason.find("Signature #1 (personal signature") == 0);
  CHECK(v.reason.find("HASH_FAILURE") != std::string::npos);
}

TEST_CASE(
    "pdf: an unsigned incremental update that changes content is reported as a content change") {
  const std::string changed = appendContentChange(personalSigned());
  const auto v = verifyOk(changed);
  REQUIRE(v.signatures.size() == 1);
  const auto& s = v.signatures[0];
  CHECK(s.report.indication == Indication::TotalPassed);  // its own revision is intact
  CHECK(s.covers_revision);
  CHECK(s.revision_end == personalSigned().size());
  CHECK(s.after == PdfModification::ContentChanged);
  REQUIRE(s.changes.size() == 1);
  CHECK(s.changes[0] == "object " + std::to_string(contentObject(changed)) +
                            " 0 R (content stream) changed: stream data or dictionary differs");
  CHECK(v.verdict == PdfVerdict::ContentChanged);
  CHECK(v.reason.find("content changed after Signature #1") == 0);
  CHECK_FALSE(v.hasValidPersonal());

  // The agency must not seal it.
  auto sealed = PdfSigner(agencyKey(), verifier()).sign(changed);
  REQUIRE_FALSE(sealed.has_value());
  CHECK(sealed.error().code == ErrorCode::SignatureInvalid);
}

TEST_CASE("pdf: an agency signature is refused on a PDF without a valid personal signature") {
  auto sealed = PdfSigner(agencyKey(), verifier()).sign(samplePdf());
  REQUIRE_FALSE(sealed.has_value());
  CHECK(sealed.error().code == ErrorCode::SignatureInvalid);
  CHECK(sealed.error().message ==
        "pdf: agency signature refused: the PDF carries no valid personal signature (the PDF "
        "carries no signature)");
}

TEST_CASE("pdf: a personal signature alone lacks the agency signature") {
  const auto v = verifyOk(personalSigned());
  REQUIRE(v.signatures.size() == 1);
  CHECK(v.signatures[0].after == PdfModification::None);
  CHECK(v.verdict == PdfVerdict::MissingAgency);
  CHECK(v.hasValidPersonal());
}

TEST_CASE("pdf: an unsigned PDF is reported as not signed") {
  const auto v = verifyOk(samplePdf());
  CHECK(v.signatures.empty());
  CHECK(v.verdict == PdfVerdict::NotSigned);
  auto bad = verifier().verify("not a pdf");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::InvalidArgument);
}

TEST_CASE("pdf: signer roles come from the certificate profile") {
  CHECK(signerRole(personalKey().certificate()) == SignerRole::Personal);
  CHECK(signerRole(agencyKey().certificate()) == SignerRole::Agency);
  CHECK(signerRole(tsaKey().certificate()) == SignerRole::Unknown);
  CHECK(signerRole(tlsKey().certificate()) == SignerRole::Unknown);
  auto r = PdfSigner(tlsKey(), verifier()).sign(samplePdf());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
}

TEST_CASE("pdf: a visible appearance is placed on the page asked for, inside the page") {
  PdfSignOptions o;
  o.appearance = PdfAppearance{1, 350, 80, 200, 80, png(60, 60, 0, 0, 200)};
  auto personal = PdfSigner(personalKey(), verifier(), o).sign(samplePdf());
  REQUIRE(personal.has_value());
  PdfSignOptions a;
  a.appearance = PdfAppearance{1, 300, 170, 260, 90, png(60, 60, 220, 0, 0)};
  a.agency_name = "Ủy ban nhân dân tỉnh Lào Cai";
  auto both = PdfSigner(agencyKey(), verifier(), a).sign(*personal);
  REQUIRE(both.has_value());
  const auto v = verifyOk(*both);
  CHECK(v.verdict == PdfVerdict::Valid);
  CHECK(count(*both, "/Rect[ 350 80 550 160]") == 1);
  CHECK(count(*both, "/Rect[ 300 170 560 260]") == 1);
  CHECK(count(*both, "/AP<<") == 2);

  PdfSignOptions outside;
  outside.appearance = PdfAppearance{1, 500, 800, 200, 80, {}};
  auto r = PdfSigner(personalKey(), verifier(), outside).sign(samplePdf());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "pdf: the signature rectangle lies outside page 1");
  outside.appearance = PdfAppearance{3, 10, 10, 20, 20, {}};
  r = PdfSigner(personalKey(), verifier(), outside).sign(samplePdf());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message == "pdf: page 3 does not exist (the document has 1)");
}

TEST_CASE("pdf: pdfsig reports every signature valid and qpdf finds the files well-formed") {
  test::TempDir dir;
  const auto file = dir.write("qd.pdf", bothSigned());
  const auto nss = dir.path / "nss";
  std::filesystem::create_directories(nss);
  const auto root = dir.write("root.pem", credentials().root_pem);
  auto r = test::run("certutil -N -d sql:" + nss.string() + " --empty-password");
  REQUIRE(r.status == 0);
  r = test::run("certutil -A -d sql:" + nss.string() + " -n lienthong-root -t CT,C,C -a -i " +
                root.string());
  REQUIRE(r.status == 0);
  r = test::run("pdfsig -nssdir sql:" + nss.string() + " -no-ocsp " + file.string());
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(count(r.output, "Signature Validation: Signature is Valid.") == 2);
  CHECK(count(r.output, "Certificate Validation: Certificate is Trusted.") == 2);
  CHECK(count(r.output, "Signature Type: ETSI.CAdES.detached") == 2);
  CHECK(r.output.find("Signer Certificate Common Name: Nguyễn Văn An") != std::string::npos);
  CHECK(r.output.find("Signer Certificate Common Name: Ủy ban nhân dân tỉnh Lào Cai") !=
        std::string::npos);
  for (const auto& name : {"sample.pdf", "personal.pdf", "both.pdf"}) {
    const auto f = dir.write(name, std::string(name) == "sample.pdf"     ? samplePdf()
                                   : std::string(name) == "personal.pdf" ? personalSigned()
                                                                         : bothSigned());
    auto q = test::run("qpdf --check " + f.string());
    INFO(q.output);
    CHECK(q.status == 0);
    CHECK(q.output.find("No syntax or stream encoding errors found") != std::string::npos);
  }
  // The text of the document is Vietnamese and survives the signatures.
  auto t = test::run("pdftotext " + file.string() + " -");
  CHECK(t.output.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM") != std::string::npos);
}

TEST_CASE("pdf: intake records which PDF attachments carry both valid signatures") {
  schemas::Package package;
  package.attachments.push_back(
      schemas::Attachment::fromBytes("cid:1", "quyet-dinh.pdf", "application/pdf", bothSigned()));
  package.attachments.push_back(
      schemas::Attachment::fromBytes("cid:2", "du-thao.pdf", "application/pdf", personalSigned()));
  package.attachments.push_back(
      schemas::Attachment::fromBytes("cid:3", "ghi-chu.txt", "text/plain", "khong phai PDF"));
  package.attachments.push_back(
      schemas::Attachment::fromBytes("cid:4", "phu-luc", "application/octet-stream", samplePdf()));
  auto zipped = schemas::codec::zip({{"van-ban/qd-123.pdf", bothSigned()}, {"doc-truoc.txt", "x"}});
  REQUIRE(zipped.has_value());
  package.attachments.push_back(
      schemas::Attachment::fromBytes("cid:5", "ho-so.zip", "application/zip", *zipped));
  const auto statuses = checkPdfAttachments(package, verifier());
  REQUIRE(statuses.size() == 4);
  CHECK(statuses[3].content_id == "cid:5");
  CHECK(statuses[3].name == "ho-so.zip/van-ban/qd-123.pdf");
  CHECK(statuses[3].both_signatures_valid);
  CHECK(statuses[0].content_id == "cid:1");
  CHECK(statuses[0].both_signatures_valid);
  CHECK(statuses[0].verdict == PdfVerdict::Valid);
  CHECK(statuses[0].signature_count == 2);
  CHECK(statuses[1].content_id == "cid:2");
  CHECK_FALSE(statuses[1].both_signatures_valid);
  CHECK(statuses[1].verdict == PdfVerdict::MissingAgency);
  CHECK(statuses[2].content_id == "cid:4");
  CHECK(statuses[2].verdict == PdfVerdict::NotSigned);
  CHECK(statuses[2].size == samplePdf().size());
}

TEST_CASE(
    "pdf: the CMS is PAdES baseline B: no signing-time attribute, signing-certificate-v2, time in "
    "/M") {
  PdfSignOptions o;
  const auto when =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) -
      std::chrono::minutes(5);
  o.signing_time = when;
  auto pdf = PdfSigner(personalKey(), verifier(), o).sign(samplePdf());
  REQUIRE(pdf.has_value());
  CHECK(pdf->find("/M(" + pdfDateVietnam(when) + ")") != std::string::npos);
  const auto v = verifyOk(*pdf);
  REQUIRE(v.signatures.size() == 1);
  const auto& s = v.signatures[0];
  CHECK(s.report.passed());
  CHECK(s.report.format == "PAdES-B-B");
  // /M is a signed claim: shown, the certificate judged now (issue 16).
  CHECK(s.report.signing_time_source == "validation");
  REQUIRE(s.report.claimed_time.has_value());
  CHECK(*s.report.claimed_time == when);
  CHECK(s.report.claimed_time_signed);
  CHECK(s.report.warnings.empty());
  auto cms = cmsOf(*pdf, s);
  REQUIRE(cms);
  CMS_SignerInfo* si = signerInfo(cms.get());
  CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) == -1);
  CHECK(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) >= 0);
  CHECK(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1) >= 0);
  CHECK(CMS_unsigned_get_attr_count(si) <= 0);
  CHECK(isoTimeVietnam(std::chrono::sys_days{std::chrono::year{2026} / 11 / 20} +
                       std::chrono::hours(3) + std::chrono::minutes(4) + std::chrono::seconds(5)) ==
        "2026-11-20T10:04:05+07:00");
}

TEST_CASE("pdf: PAdES-T adds a signature time-stamp that the verifier checks") {
  LocalTsa tsa(tsaKey());
  PdfSignOptions o;
  o.tsa = std::make_shared<const TsaClient>(tsa.transport());
  auto personal = PdfSigner(personalKey(), verifier(), o).sign(samplePdf());
  REQUIRE(personal.has_value());
  auto both = PdfSigner(agencyKey(), verifier(), o).sign(*personal);
  REQUIRE(both.has_value());
  const auto v = verifyOk(*both);
  REQUIRE(v.signatures.size() == 2);
  for (const auto& s : v.signatures) {
    CHECK(s.report.passed());
    CHECK(s.report.format == "PAdES-B-T");
    CHECK(s.report.signing_time_source == "timestamp");
    auto cms = cmsOf(*both, s);
    REQUIRE(cms);
    CHECK(CMS_unsigned_get_attr_by_NID(signerInfo(cms.get()), NID_id_smime_aa_timeStampToken, -1) >=
          0);
  }
  CHECK(v.verdict == PdfVerdict::Valid);
  test::TempDir dir;
  auto r = test::run("pdfsig -nocert " + dir.write("t.pdf", *both).string());
  CHECK(count(r.output, "Signature Validation: Signature is Valid.") == 2);

  // A time-stamp from a TSA outside the trust store is reported, not trusted.
  auto other = PdfVerifier(TrustStore(), offlinePolicy()).verify(*both);
  REQUIRE(other.has_value());
  CHECK(other->signatures[0].report.format == "PAdES-B-B");
  CHECK(other->verdict == PdfVerdict::SignatureIndeterminate);
}

TEST_CASE("pdf: a PDF with object streams and an xref stream keeps both signatures valid") {
  test::TempDir dir;
  const auto plain = dir.write("plain.pdf", samplePdf());
  const auto packed = dir.path / "packed.pdf";
  auto q = test::run("qpdf --object-streams=generate " + plain.string() + " " + packed.string());
  REQUIRE(q.status == 0);
  const std::string input = test::readFile(packed);
  REQUIRE(input.find("/ObjStm") != std::string::npos);
  auto personal = PdfSigner(personalKey(), verifier()).sign(input);
  REQUIRE(personal.has_value());
  auto both = PdfSigner(agencyKey(), verifier()).sign(*personal);
  REQUIRE(both.has_value());
  const auto v = verifyOk(*both);
  INFO(v.reason);
  CHECK(v.verdict == PdfVerdict::Valid);
  REQUIRE(v.signatures.size() == 2);
  CHECK(v.signatures[0].after == PdfModification::SignaturesOnly);
  const auto out = dir.write("both.pdf", *both);
  auto r = test::run("pdfsig -nocert " + out.string());
  CHECK(count(r.output, "Signature Validation: Signature is Valid.") == 2);
  r = test::run("qpdf --check " + out.string());
  INFO(r.output);
  CHECK(r.status == 0);
}

TEST_CASE("pdf: broken and hostile PDFs give an error or a refusal, never a valid verdict") {
  const std::string both = bothSigned();
  // Truncated in the middle of the agency's revision.
  auto cut = verifier().verify(both.substr(0, both.size() - 300));
  if (cut) CHECK_FALSE(cut->valid());
  // Only a header.
  auto junk = verifier().verify("%PDF-1.7\n%%EOF\n");
  if (junk) CHECK(junk->verdict == PdfVerdict::NotSigned);
  // The first /ByteRange rewritten to leave out more than the hole: the signed bytes change.
  std::string wide = both;
  const auto br = wide.find("/ByteRange");
  REQUIRE(br != std::string::npos);
  const auto v0 = verifyOk(both);
  const std::string old_range = "[0 " + std::to_string(v0.signatures[0].byte_range[1]) + " ";
  const auto at = wide.find(old_range, br);
  REQUIRE(at != std::string::npos);
  wide[at + old_range.size() - 2] = static_cast<char>(wide[at + old_range.size() - 2] - 1);
  const auto v = verifyOk(wide);
  REQUIRE(v.signatures.size() == 2);
  CHECK(v.signatures[0].report.indication == Indication::TotalFailed);
  CHECK(v.verdict == PdfVerdict::SignatureInvalid);
  // Signing refuses what is not a PDF.
  auto r = PdfSigner(personalKey(), verifier()).sign("hello");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::InvalidArgument);
}

TEST_CASE("pdf: an annotation added after the personal signature counts as a content change") {
  const std::string signed_pdf = personalSigned();
  // The page as the signature's revision last wrote it.
  const std::regex page_re(
      R"(\n([0-9]+) 0 obj\n?(<</Type/Page/Annots\[([^\]]*)\][^\n]*>>)\nendobj)");
  std::smatch m, last;
  for (auto it = signed_pdf.cbegin(); std::regex_search(it, signed_pdf.cend(), m, page_re);
       it = m[0].second)
    last = m;
  REQUIRE_FALSE(last.empty());
  const std::string page = last[1];
  long size = 0;
  const std::regex size_re("/Size ([0-9]+)");
  for (std::sregex_iterator it(signed_pdf.begin(), signed_pdf.end(), size_re), end; it != end; ++it)
    size = std::max(size, std::stol((*it)[1]));
  std::smatch root;
  REQUIRE(std::regex_search(signed_pdf, root, std::regex("/Root ([0-9]+) 0 R")));
  const long prev = std::stol(signed_pdf.substr(signed_pdf.rfind("startxref") + 9));
  const std::string note = std::to_string(size);
  std::string dict = last[2];
  dict.replace(dict.find("/Annots[") + 8, 0, note + " 0 R ");
  std::string out = signed_pdf;
  const std::size_t page_at = out.size();
  out += page + " 0 obj\n" + dict + "\nendobj\n";
  const std::size_t note_at = out.size();
  out += note + " 0 obj\n<</Type/Annot/Subtype/FreeText/Rect[100 100 300 150]/Contents(Da sua)" +
         "/DA(/Helv 12 Tf 0 g)>>\nendobj\n";
  const std::size_t xref = out.size();
  char e1[32], e2[32];
  std::snprintf(e1, sizeof e1, "%010zu 00000 n \n", page_at);
  std::snprintf(e2, sizeof e2, "%010zu 00000 n \n", note_at);
  out += "xref\n0 1\n0000000000 65535 f \n" + page + " 1\n" + e1 + note + " 1\n" + e2;
  out += "trailer\n<</Size " + std::to_string(size + 1) + " /Root " + std::string(root[1]) +
         " 0 R /Prev " + std::to_string(prev) + ">>\nstartxref\n" + std::to_string(xref) +
         "\n%%EOF\n";
  const auto v = verifyOk(out);
  REQUIRE(v.signatures.size() == 1);
  CHECK(v.signatures[0].report.passed());
  CHECK(v.signatures[0].after == PdfModification::ContentChanged);
  REQUIRE(v.signatures[0].changes.size() == 1);
  CHECK(v.signatures[0].changes[0] == "object " + page + " 0 R (/Page) changed: entry " + note +
                                          " 0 R added that is not a signature field");
  CHECK(v.verdict == PdfVerdict::ContentChanged);
}
