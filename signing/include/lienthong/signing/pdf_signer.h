// Signs a PDF with PAdES baseline B (or B-T with a signature time-stamp): a CMS detached
// signature (SubFilter ETSI.CAdES.detached, signing-certificate-v2, no signing-time attribute;
// the time goes in /M) written as an incremental update, so the bytes of earlier revisions and
// their signatures stay as they were. Decree 30/2020 order: an official's personal signature
// first, then the agency's; an agency certificate is refused unless the PDF already carries a
// valid personal signature (checked with the PdfVerifier given). The role of the signing key is
// taken from its certificate (signerRole in pdf_verifier.h).
//
// Appearance: invisible by default. With a rectangle, a widget on that page shows the PNG image
// (if any) and, for the agency, the agency name and the signing time (ISO 8601, +07:00) in
// DejaVu Sans so that Vietnamese text renders.
//
// Thread-safe: sign() builds its own document; the signer is immutable.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/timestamp.h"

namespace lienthong::signing {

struct PdfAppearance {
  int page = 1;  // 1-based
  // Rectangle in PDF points from the page's lower-left corner.
  double x = 0;
  double y = 0;
  double width = 0;
  double height = 0;
  std::string png;  // PNG bytes; empty: text only
};

struct PdfSignOptions {
  std::optional<PdfAppearance> appearance;  // invisible when empty
  std::shared_ptr<const TsaClient> tsa;     // PAdES-T signature time-stamp when set
  std::string reason;
  std::string location;
  // Shown on the agency's appearance; default: the certificate's O, then CN.
  std::string agency_name;
  // Default: the clock. Written as /M and on the appearance, in +07:00.
  std::optional<std::chrono::system_clock::time_point> signing_time;
  // Pades: ETSI.CAdES.detached (the default). Pkcs7Detached: as Vietnamese PDF tools sign,
  // SubFilter adbe.pkcs7.detached, a PKCS#7 with the signing-time signed attribute and no
  // signing-certificate attribute (not PAdES baseline). Pkcs7Sha1: adbe.pkcs7.sha1, the SHA-1 of
  // the byte range encapsulated and signed (SHA-1: verified only where the policy allows it).
  enum class Format { Pades, Pkcs7Detached, Pkcs7Sha1 };
  Format format = Format::Pades;
  // For certificates without an identifier (public-duty CA): the sending agency, seal registry.
  RoleContext roles;
  // TrueType font with Vietnamese glyphs for appearance text.
  std::filesystem::path font_file = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
};

class PdfSigner {
 public:
  // `verifier` checks the personal signature before an agency signs.
  PdfSigner(SigningKey key, PdfVerifier verifier, PdfSignOptions options = {});

  // The input followed by one incremental update carrying the new signature. Refusals:
  // InvalidArgument (not a PDF, page or rectangle out of range, certificate neither personal
  // nor agency), CertificateInvalid (certificate expired or not yet valid), SignatureInvalid
  // (agency signature without a valid personal signature), CryptoFailure (CMS or time-stamp).
  Result<std::string> sign(std::string_view pdf) const;

  SignerRole role() const { return role_; }

 private:
  SigningKey key_;
  PdfVerifier verifier_;
  PdfSignOptions options_;
  SignerRole role_;
};

// "2026-11-20T10:04:05+07:00"
std::string isoTimeVietnam(std::chrono::system_clock::time_point t);
// "D:20261120100405+07'00'" (ISO 32000 date string)
std::string pdfDateVietnam(std::chrono::system_clock::time_point t);

}  // namespace lienthong::signing
