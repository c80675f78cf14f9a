// Certificate path validation for a signer certificate: a path to a trust anchor (intermediates
// from the trust store and from the signature), validity at the signing time, key usage of the
// signer certificate, and revocation of every certificate but the anchor by OCSP (nonce,
// freshness) then CRL. An unreachable or silent revocation source gives UNKNOWN, reported as
// INDETERMINATE / TRY_LATER, never as valid. Thread-safe; holds a reference to the trust store.
#pragma once

#include <filesystem>

#include <openssl/types.h>

#include <chrono>
#include <vector>

#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"

namespace lienthong::signing {

class CertificateValidator {
 public:
  CertificateValidator(TrustStore store, ValidationPolicy policy);

  // Fills report.signer, chain, revocation, key_bits, warnings, and on failure the indication.
  // Leaves the indication alone when the certificate validates (the caller sets TOTAL_PASSED).
  // Returns true when the certificate is valid at `at`.
  bool validate(X509* signer, const std::vector<X509*>& extra_certs,
                std::chrono::system_clock::time_point at, ValidationReport& report) const;

  const ValidationPolicy& policy() const { return policy_; }
  const TrustStore& store() const { return store_; }

 private:
  TrustStore store_;
  ValidationPolicy policy_;
};

// With no verified time-stamp (report.signing_time_source "validation"), a claimed signing time
// the signature covers (report.claimed_time_signed) becomes the time `at` the certificate is
// judged at when the policy trusts claimed times (source "claimed"). Never otherwise.
void applyClaimedTime(ValidationReport& report, const ValidationPolicy& policy,
                      std::chrono::system_clock::time_point& at);

// Certificate fields for reports. The OrganId is read from the subject's organizationIdentifier
// (2.5.4.97, as the CA engine writes it), then UID, then OU, whichever parses as an OrganId.
CertificateInfo certificateInfo(X509* cert);
// The certificates of a PEM text (or one DER certificate), in order; CertificateInvalid when it
// holds none. For tools that say when a node's certificates expire (lienthong doctor).
Result<std::vector<CertificateInfo>> describeCertificates(std::string_view pem_or_der);
// The certificate files a setting names: the file itself, or a folder's *.pem, *.crt and *.cer.
std::vector<std::filesystem::path> certificateFilesIn(const std::filesystem::path& file_or_folder);

}  // namespace lienthong::signing
