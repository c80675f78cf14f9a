// Verifies every signature of a PDF the way a receiving office must (Decree 30/2020): each
// signature's byte range covers its whole revision except the signature hole; what was appended
// after each signature is classified (only later signatures, or content changed); the CMS and the
// signer's certificate path with revocation are checked through CmsVerifier; each signer is
// classified as personal or agency by certificate profile; and the document gets one verdict:
// a valid personal signature followed by a valid agency signature, or exactly why not.
//
// Signer roles (the rule of ../shared/vn-pki/README.md, real certificate profiles):
//   Personal: the subject's UID (or serialNumber) carries a personal identifier prefix CCCD:,
//     CMND:, HC:, PID:, PPID: or BHXH: - this wins over an MST: beside it (an employee).
//   Agency: UID MST: or MNS: (tax or budget-unit code), or an organizationIdentifier.
//   Without any identifier (the public-duty VGCA profile): Agency when the certificate is in the
//     administrator's seal registry, or when CN is the sending agency's name (O its parent when
//     both are known); Personal when the subject carries title/givenName/surname, or when a
//     sending agency or registry was given and did not match; Unknown otherwise.
//   Key usage, extended key usage and policy are never used to tell the two apart; an
//   extendedKeyUsage that allows no document signing (TLS server, OCSP, time-stamping) keeps a
//   certificate out of both roles.
// Thread-safe: verify() works on its own PoDoFo documents; the verifier itself is immutable.
#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"

namespace lienthong::signing {

enum class SignerRole { Personal, Agency, Unknown };
std::string_view signerRoleName(SignerRole role);  // "personal", "agency", "unknown"

// The agencies' seal certificates an administrator keeps, for certificates without an
// identifier: matched by SHA-256, or by the same subject and issuer (a renewed certificate).
class SealRegistry {
 public:
  Result<void> addPem(std::string_view pem);
  bool contains(X509* cert) const;
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string sha256;
    std::string subject_der;
    std::string issuer_der;
  };
  std::vector<Entry> entries_;
};

// What is known beside the certificate: the sending agency (edXML From/OrganName and its
// parent, OrganizationInCharge) and the seal registry.
struct RoleContext {
  std::string sender_name;
  std::string sender_parent;
  const SealRegistry* seals = nullptr;
};

struct RoleDecision {
  SignerRole role = SignerRole::Unknown;
  std::string basis;  // English: what decided it ("personal identifier CCCD: in the subject")
};
// Whether two agency names are the same: Vietnamese letters compared without case, spaces
// collapsed ("ỦY BAN NHÂN DÂN  TỈNH" = "Ủy ban nhân dân tỉnh"); false when either is empty.
bool sameAgencyName(std::string_view a, std::string_view b);

// The rule described above, applied to one certificate.
RoleDecision classifySigner(X509* cert, const RoleContext& ctx = {});
SignerRole signerRole(X509* cert, const RoleContext& ctx = {});

// What was appended to the file after a signature's revision.
enum class PdfModification {
  None,            // the signature covers the whole file
  SignaturesOnly,  // only later signature fields, their values and appearances, metadata
  ContentChanged,  // anything else: page content, resources, pages, annotations, catalog
};
std::string_view modificationName(PdfModification m);  // "none", "signatures_only", ...

struct PdfSignatureCheck {
  int index = 0;  // 1-based, in the order the signatures were applied
  std::string field_name;
  std::string sub_filter;  // "ETSI.CAdES.detached"
  std::vector<long long> byte_range;
  std::size_t revision_end = 0;  // the file offset just after this revision's %%EOF
  bool covers_revision = false;  // [0, a) + [b, revision_end) with the hole exactly /Contents
  std::string claimed_time;      // /M of the signature dictionary, as written
  SignerRole role = SignerRole::Unknown;
  std::string role_basis;  // why the role was given
  PdfModification after = PdfModification::None;
  std::vector<std::string> changes;  // what changed after this signature, one line each
  ValidationReport report;           // CMS + certificate path; format "PAdES-B-B" / "PAdES-B-T"

  bool valid() const { return covers_revision && report.passed(); }
};

enum class PdfVerdict {
  Valid,                   // valid personal signature, then a valid agency signature over it
  NotSigned,               // no signature at all
  SignatureInvalid,        // a signature failed (TOTAL_FAILED) or does not cover its revision
  SignatureIndeterminate,  // a signature could not be established (chain, revocation unknown)
  ContentChanged,          // content changed after a signature
  MissingPersonal,         // no valid personal signature
  MissingAgency,           // no valid agency signature after the personal one
};
std::string_view verdictName(PdfVerdict v);  // "valid", "not_signed", ...

struct PdfVerification {
  std::vector<PdfSignatureCheck> signatures;
  PdfVerdict verdict = PdfVerdict::NotSigned;
  std::string reason;     // English, names the signature concerned
  std::string reason_vi;  // the same for clerks

  bool valid() const { return verdict == PdfVerdict::Valid; }
  // A personal signature that is valid and after which only signatures were added.
  bool hasValidPersonal() const;
  std::string toJson() const;
  std::string textVi() const;
  std::string textEn() const;
};

class PdfVerifier {
 public:
  explicit PdfVerifier(TrustStore trust, ValidationPolicy policy = {});
  // An Error only when the bytes are not a PDF PoDoFo can read; every signature problem is
  // reported in the PdfVerification.
  Result<PdfVerification> verify(std::string_view pdf, const RoleContext& roles = {}) const;

 private:
  TrustStore trust_;  // for signature time-stamps
  ValidationPolicy policy_;
  CmsVerifier cms_;
};

}  // namespace lienthong::signing
