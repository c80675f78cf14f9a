// Verifies every signature of a PDF the way a receiving office must (Decree 30/2020): each
// signature's byte range covers its whole revision except the signature hole; what was appended
// after each signature is classified (only later signatures, or content changed); the CMS and the
// signer's certificate path with revocation are checked through CmsVerifier; each signer is
// classified as personal or agency by certificate profile; and the document gets one verdict:
// a valid personal signature followed by a valid agency signature, or exactly why not.
//
// Signer roles (the rule, aligned with the CA engine's "signer" and "seal" profiles in ca.h):
//   Personal: the subject names a person, i.e. carries serialNumber (2.5.4.5, the personal id
//     such as "CCCD:..."), title (2.5.4.12), givenName, surname or pseudonym; and keyUsage
//     includes nonRepudiation.
//   Agency: the subject carries organizationIdentifier (2.5.4.97, the OrganId) and none of the
//     person attributes above; keyUsage includes digitalSignature or nonRepudiation.
//   Both: an extendedKeyUsage, when present, must allow document signing (id-kp-documentSigning
//     1.3.6.1.5.5.7.3.36, Microsoft 1.3.6.1.4.1.311.10.3.12, emailProtection or anyEKU), which
//     keeps TLS, OCSP and time-stamping certificates out.
//   Anything else is Unknown and never counts toward the verdict.
//
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
// The rule described above, applied to one certificate.
SignerRole signerRole(X509* cert);

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
  Result<PdfVerification> verify(std::string_view pdf) const;

 private:
  TrustStore trust_;  // for signature time-stamps
  ValidationPolicy policy_;
  CmsVerifier cms_;
};

}  // namespace lienthong::signing
