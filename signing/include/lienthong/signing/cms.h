// CMS / CAdES-BES detached signatures over files (.p7s, DER): signed attributes content-type,
// message-digest, signing-time and signing-certificate-v2 (ESS, RFC 5035), the signer's
// certificate and chain embedded; optionally a signature time-stamp (CAdES-T). Verification checks the digest, the signature and then the certificate path with a
// CertificateValidator at the signing time. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/algorithms.h"
#include "lienthong/signing/certificate_validator.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/validation_report.h"

namespace lienthong::signing {

struct CmsSignOptions {
  DigestAlgorithm digest = DigestAlgorithm::Sha256;
  // When set, an RFC 3161 signature time-stamp over the signature value is added as the unsigned
  // attribute id-aa-signatureTimeStampToken (CAdES-T); the verifier then checks the certificate
  // at the time-stamp's time.
  std::shared_ptr<const TsaClient> tsa;
};

class CmsSigner {
 public:
  explicit CmsSigner(SigningKey key, CmsSignOptions options = {});
  // DER SignedData without the content (detached).
  Result<std::string> sign(std::string_view content) const;

 private:
  SigningKey key_;
  CmsSignOptions options_;
};

class CmsVerifier {
 public:
  CmsVerifier(TrustStore trust, ValidationPolicy policy = {});
  ValidationReport verify(std::string_view content, std::string_view p7s_der) const;

 private:
  CertificateValidator validator_;
};

}  // namespace lienthong::signing
