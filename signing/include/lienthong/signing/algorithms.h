// Algorithm identifiers of the signing profile and their XMLDSig URIs. Value types.
#pragma once

#include <optional>
#include <string_view>

namespace lienthong::signing {

enum class DigestAlgorithm { Sha1, Sha256, Sha384, Sha512 };
enum class Canonicalization { Exclusive, Inclusive };  // exc-c14n / C14N 1.0, both without comments
// RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the same digest, salt = digest length), ECDSA.
enum class SignatureScheme { RsaPkcs1, RsaPss, Ecdsa };

std::string_view digestName(DigestAlgorithm d);  // "SHA-256"
std::string_view digestUri(DigestAlgorithm d);   // "http://www.w3.org/2001/04/xmlenc#sha256"
std::optional<DigestAlgorithm> digestFromUri(std::string_view uri);
std::string_view canonicalizationUri(Canonicalization c);
std::optional<Canonicalization> canonicalizationFromUri(std::string_view uri);
// "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", ... (RFC 6931 for PSS and ECDSA).
std::string_view signatureUri(SignatureScheme s, DigestAlgorithm d);
struct SignatureMethod {
  SignatureScheme scheme;
  DigestAlgorithm digest;
};
std::optional<SignatureMethod> signatureFromUri(std::string_view uri);
std::string_view schemeName(SignatureScheme s);  // "RSA", "RSA-PSS", "ECDSA"

inline constexpr std::string_view kEnvelopedTransformUri =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

}  // namespace lienthong::signing
