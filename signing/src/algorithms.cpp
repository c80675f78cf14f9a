#include "lienthong/signing/algorithms.h"

#include <array>

namespace lienthong::signing {

namespace {
struct SigUri {
  SignatureScheme scheme;
  DigestAlgorithm digest;
  std::string_view uri;
};
constexpr std::array kSignatureUris = {
    SigUri{SignatureScheme::RsaPkcs1, DigestAlgorithm::Sha1, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"},
    SigUri{SignatureScheme::RsaPkcs1, DigestAlgorithm::Sha256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
    SigUri{SignatureScheme::RsaPkcs1, DigestAlgorithm::Sha384, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"},
    SigUri{SignatureScheme::RsaPkcs1, DigestAlgorithm::Sha512, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"},
    SigUri{SignatureScheme::RsaPss, DigestAlgorithm::Sha1, "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1"},
    SigUri{SignatureScheme::RsaPss, DigestAlgorithm::Sha256, "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1"},
    SigUri{SignatureScheme::RsaPss, DigestAlgorithm::Sha384, "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1"},
    SigUri{SignatureScheme::RsaPss, DigestAlgorithm::Sha512, "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1"},
    SigUri{SignatureScheme::Ecdsa, DigestAlgorithm::Sha1, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"},
    SigUri{SignatureScheme::Ecdsa, DigestAlgorithm::Sha256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
    SigUri{SignatureScheme::Ecdsa, DigestAlgorithm::Sha384, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"},
    SigUri{SignatureScheme::Ecdsa, DigestAlgorithm::Sha512, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"},
};
}  // namespace

std::string_view digestName(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::Sha1: return "SHA-1";
    case DigestAlgorithm::Sha256: return "SHA-256";
    case DigestAlgorithm::Sha384: return "SHA-384";
    case DigestAlgorithm::Sha512: return "SHA-512";
  }
  return "?";
}

std::string_view digestUri(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::Sha1: return "http://www.w3.org/2000/09/xmldsig#sha1";
    case DigestAlgorithm::Sha256: return "http://www.w3.org/2001/04/xmlenc#sha256";
    case DigestAlgorithm::Sha384: return "http://www.w3.org/2001/04/xmldsig-more#sha384";
    case DigestAlgorithm::Sha512: return "http://www.w3.org/2001/04/xmlenc#sha512";
  }
  return "";
}

std::optional<DigestAlgorithm> digestFromUri(std::string_view uri) {
  for (auto d : {DigestAlgorithm::Sha1, DigestAlgorithm::Sha256, DigestAlgorithm::Sha384,
                 DigestAlgorithm::Sha512}) {
    if (digestUri(d) == uri) return d;
  }
  return std::nullopt;
}

std::string_view canonicalizationUri(Canonicalization c) {
  return c == Canonicalization::Exclusive ? "http://www.w3.org/2001/10/xml-exc-c14n#"
                                          : "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
}

std::optional<Canonicalization> canonicalizationFromUri(std::string_view uri) {
  if (uri == canonicalizationUri(Canonicalization::Exclusive)) return Canonicalization::Exclusive;
  if (uri == canonicalizationUri(Canonicalization::Inclusive)) return Canonicalization::Inclusive;
  return std::nullopt;
}

std::string_view signatureUri(SignatureScheme s, DigestAlgorithm d) {
  for (const auto& e : kSignatureUris) {
    if (e.scheme == s && e.digest == d) return e.uri;
  }
  return "";
}

std::optional<SignatureMethod> signatureFromUri(std::string_view uri) {
  for (const auto& e : kSignatureUris) {
    if (e.uri == uri) return SignatureMethod{e.scheme, e.digest};
  }
  return std::nullopt;
}

std::string_view schemeName(SignatureScheme s) {
  switch (s) {
    case SignatureScheme::RsaPkcs1: return "RSA";
    case SignatureScheme::RsaPss: return "RSA-PSS";
    case SignatureScheme::Ecdsa: return "ECDSA";
  }
  return "?";
}

}  // namespace lienthong::signing
