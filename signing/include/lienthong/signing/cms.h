// CMS / CAdES-BES detached signatures over files (.p7s, DER): signed attributes content-type,
// message-digest, signing-time and signing-certificate-v2 (ESS, RFC 5035), the signer's
// certificate and chain embedded; optionally a signature time-stamp (CAdES-T). Verification checks the digest, the signature and then the certificate path with a
// CertificateValidator at the signing time. Thread-safe.
#pragma once

#include <openssl/cms.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <optional>
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
  // The ESS signing-certificate-v2 attribute (CAdES-BES). Off: what Vietnamese PDF tools write
  // for adbe.pkcs7.detached (content-type, message-digest, signing-time only).
  bool signing_certificate = true;
  // Off: the content is encapsulated in the SignedData (adbe.pkcs7.sha1 carries a digest so).
  bool detached = true;
  // The signing-time attribute to write (a claim of the signer); empty = now.
  std::optional<std::chrono::system_clock::time_point> signing_time;
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

// What a verified SignedData must hold. CadesBes: signed attributes with message-digest and
// signing-certificate(-v2). Pkcs7: what Vietnamese PDF tools write for adbe.pkcs7.detached and
// adbe.pkcs7.sha1: signed attributes optional (without them the signature is over the content's
// digest), no signing-certificate attribute needed (a warning says so).
enum class CmsProfile { CadesBes, Pkcs7 };

class CmsVerifier {
 public:
  CmsVerifier(TrustStore trust, ValidationPolicy policy = {});
  // The signer is the certificate named by the SignerInfo whose key verifies the signature
  // (never the first or last one listed). The certificate is judged at a verified signature
  // time-stamp's time, else now; the signing-time attribute is reported as claimed.
  ValidationReport verify(std::string_view content, std::string_view p7s_der,
                          CmsProfile profile = CmsProfile::CadesBes) const;

 private:
  ValidationReport& finish(ValidationReport& report, CMS_SignerInfo* si, STACK_OF(X509) * certs,
                           X509* signer, const EVP_MD* content_md) const;
  CertificateValidator validator_;
};

}  // namespace lienthong::signing
