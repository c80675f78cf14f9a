#include "lienthong/signing/pdf_attachments.h"

#include <algorithm>
#include <cctype>

namespace lienthong::signing {

namespace {

bool endsWithPdf(std::string_view name) {
  if (name.size() < 4) return false;
  std::string ext(name.substr(name.size() - 4));
  std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".pdf";
}

bool looksPdf(std::string_view content_type, std::string_view name, std::string_view bytes) {
  return content_type == "application/pdf" || endsWithPdf(name) || bytes.starts_with("%PDF-");
}

PdfAttachmentStatus check(const PdfVerifier& verifier, const RoleContext& roles,
                          std::string content_id, std::string name, std::string_view bytes,
                          std::size_t max_bytes) {
  PdfAttachmentStatus s;
  s.content_id = std::move(content_id);
  s.name = std::move(name);
  s.size = bytes.size();
  s.verdict = PdfVerdict::SignatureInvalid;
  if (bytes.size() > max_bytes) {
    s.reason = "PDF of " + std::to_string(bytes.size()) + " bytes is larger than the limit of " +
               std::to_string(max_bytes) + "; not verified";
    s.reason_vi = "Tệp PDF vượt quá kích thước cho phép; chưa kiểm tra chữ ký.";
    return s;
  }
  auto v = verifier.verify(bytes, roles);
  if (!v) {
    s.reason = v.error().message;
    s.reason_vi = "Không đọc được tệp PDF: " + v.error().message;
    return s;
  }
  s.verdict = v->verdict;
  s.both_signatures_valid = v->valid();
  s.signature_count = v->signatures.size();
  s.reason = v->reason;
  s.reason_vi = v->reason_vi;
  return s;
}

}  // namespace

std::vector<PdfAttachmentStatus> checkPdfAttachments(const schemas::Package& package,
                                                     const PdfVerifier& verifier,
                                                     std::size_t max_pdf_bytes) {
  std::vector<PdfAttachmentStatus> out;
  // A public-duty seal without an identifier is the agency when its CN is the sender's name.
  RoleContext roles;
  roles.sender_name = package.header.from.organ_name;
  // OrganizationInCharge is the parent body only when it differs from the name.
  if (package.header.from.organization_in_charge != package.header.from.organ_name)
    roles.sender_parent = package.header.from.organization_in_charge;
  for (const auto& a : package.attachments) {
    const bool named_pdf = a.content_type == "application/pdf" || endsWithPdf(a.attachment_name);
    if (a.isZip()) {
      auto entries = a.unzip();
      if (!entries) continue;  // not a PDF we can see; the package check reports bad zips
      for (const auto& e : *entries) {
        if (!looksPdf("", e.name, e.data)) continue;
        out.push_back(
            check(verifier, roles, a.content_id, a.attachment_name + "/" + e.name, e.data,
                  max_pdf_bytes));
      }
      continue;
    }
    if (!named_pdf && a.decodedSize() < 5) continue;
    auto bytes = a.decode();
    if (!bytes) {
      if (!named_pdf) continue;
      PdfAttachmentStatus s;
      s.content_id = a.content_id;
      s.name = a.attachment_name;
      s.verdict = PdfVerdict::SignatureInvalid;
      s.reason = "attachment cannot be decoded: " + bytes.error().message;
      s.reason_vi = "Không giải mã được tệp đính kèm: " + bytes.error().message;
      out.push_back(std::move(s));
      continue;
    }
    if (!looksPdf(a.content_type, a.attachment_name, *bytes)) continue;
    out.push_back(
        check(verifier, roles, a.content_id, a.attachment_name, *bytes, max_pdf_bytes));
  }
  return out;
}

}  // namespace lienthong::signing
