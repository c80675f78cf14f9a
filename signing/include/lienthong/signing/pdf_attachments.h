// What the gateway's intake records for each PDF attachment of an edXML package: whether it
// carries both valid signatures (personal, then agency) and, if not, exactly why. PDFs are found
// by content type, by name (.pdf) or by their %PDF- header, also inside zipped attachments.
// Thread-safe (the verifier is).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lienthong/schemas/edxml.h"
#include "lienthong/signing/pdf_verifier.h"

namespace lienthong::signing {

struct PdfAttachmentStatus {
  std::string content_id;  // "cid:..." of the attachment
  std::string name;        // attachment name; "archive.zip/inner.pdf" inside a zip
  std::size_t size = 0;    // decoded bytes
  bool both_signatures_valid = false;
  PdfVerdict verdict = PdfVerdict::NotSigned;
  std::size_t signature_count = 0;
  std::string reason;     // English
  std::string reason_vi;  // Vietnamese
};

// One entry per PDF found; attachments that are not PDFs are left out. An attachment that
// cannot be decoded, or a PDF that cannot be parsed, gets verdict SignatureInvalid with the
// reason. PDFs bigger than max_pdf_bytes are not verified (reason says so).
std::vector<PdfAttachmentStatus> checkPdfAttachments(const schemas::Package& package,
                                                     const PdfVerifier& verifier,
                                                     std::size_t max_pdf_bytes = 64u << 20);

}  // namespace lienthong::signing
