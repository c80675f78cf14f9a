// Verifies the enveloped XMLDSig Signature of an edXML package or status message in a strict
// profile, then validates the signer certificate. Strict by construction, which closes signature
// wrapping: exactly one ds:Signature in the whole document, as a child of edXML/edXMLEnvelope/
// edXMLHeader; exactly one Reference with URI=""; transforms exactly enveloped-signature,
// optionally followed by exclusive or inclusive C14N 1.0; no duplicate Id attributes; the key
// taken only from the X509Certificate that validates to a trust anchor, never from KeyValue.
// Accepts exclusive and inclusive C14N (public samples use the latter), SHA-256/384/512 (SHA-1
// only when the policy allows it, with a warning), RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256/P-384.
// Thread-safe after construction.
#pragma once

#include <string_view>

#include "lienthong/schemas/xml.h"
#include "lienthong/signing/certificate_validator.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"

namespace lienthong::signing {

class XmlVerifier {
 public:
  XmlVerifier(TrustStore trust, ValidationPolicy policy = {},
              schemas::XmlLimits limits = {});

  // Never throws and never returns an error: every problem is a report with its sub-indication
  // (an unsigned document: INDETERMINATE / SIGNED_DATA_NOT_FOUND; malformed XML or a profile
  // violation: TOTAL_FAILED / FORMAT_FAILURE).
  ValidationReport verify(std::string_view edxml) const;

 private:
  CertificateValidator validator_;
  schemas::XmlLimits limits_;
};

}  // namespace lienthong::signing
