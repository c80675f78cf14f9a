// Signs edXML packages and status messages with an enveloped XMLDSig Signature inserted as the
// last child of edXMLHeader: one Reference URI="" with the enveloped-signature transform and
// exclusive C14N, SHA-256/384/512, RSA PKCS#1 v1.5 / RSA-PSS / ECDSA, the signer's certificate and
// chain in KeyInfo/X509Data, and the signing time (plus an optional RFC 3161 signature time-stamp
// over the SignatureValue) in an Object/SignatureProperties outside the signed data. Input is
// parsed with schemas::XmlDocument::parse (safe). Thread-safe; the key is shared.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/algorithms.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/timestamp.h"

namespace lienthong::signing {

// Namespace of the profile's own elements inside ds:Object (SigningTime, SignatureTimeStamp).
inline constexpr std::string_view kLienthongSigNs = "urn:lienthong:signing:1";

struct XmlSignOptions {
  DigestAlgorithm digest = DigestAlgorithm::Sha256;
  Canonicalization canonicalization = Canonicalization::Exclusive;
  // Empty: the key's default (RSA PKCS#1 v1.5 or ECDSA). RsaPss for RSA-PSS.
  std::optional<SignatureScheme> scheme;
  bool include_chain = true;  // the chain after the signer certificate in X509Data
  bool signing_time = true;   // SigningTime in SignatureProperties
  // Signing time to write; empty = now.
  std::optional<std::chrono::system_clock::time_point> at;
  // When set, a signature time-stamp from this client is added.
  std::shared_ptr<const TsaClient> tsa;
  // Write the Signature as the vendor SDK (VXP SDK / EdXML102) does: no XMLDSig namespace (it is
  // in the edXML default namespace), no Id, SignedInfo in inclusive C14N, no Object (so no
  // SigningTime or time-stamp). For systems that read only that form; XmlVerifier reads both.
  bool vendor_form = false;
};

class XmlSigner {
 public:
  explicit XmlSigner(SigningKey key, XmlSignOptions options = {});

  // The signed document. Refuses input that already holds a Signature (SignatureInvalid), has no
  // edXMLHeader (MissingElement), or is not safe XML (the parser's code).
  Result<std::string> sign(std::string_view edxml) const;

  const SigningKey& key() const { return key_; }

 private:
  SigningKey key_;
  XmlSignOptions options_;
  // The X509Certificate texts of KeyInfo (signer, then chain), made once.
  std::vector<std::string> certificates_base64_;
};

}  // namespace lienthong::signing
