#include "pdf_cms.h"

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace lienthong::signing::pdf {

namespace {

using CmsPtr = std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)>;
using AttributePtr = std::unique_ptr<X509_ATTRIBUTE, decltype(&X509_ATTRIBUTE_free)>;

CmsPtr parse(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return CmsPtr(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())),
                CMS_ContentInfo_free);
}

CMS_SignerInfo* firstSigner(CMS_ContentInfo* cms) {
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms);
  if (!infos || sk_CMS_SignerInfo_num(infos) < 1) return nullptr;
  return sk_CMS_SignerInfo_value(infos, 0);
}

std::string derLength(std::size_t n) {
  if (n < 0x80) return std::string(1, static_cast<char>(n));
  std::string bytes;
  for (; n > 0; n >>= 8) bytes.insert(bytes.begin(), static_cast<char>(n & 0xff));
  return std::string(1, static_cast<char>(0x80 | bytes.size())) + bytes;
}

// The DER of the signed attributes as the SET OF the signature covers (RFC 5652 5.4): each
// attribute encoded, sorted as octet strings (X.690 11.6).
std::optional<std::string> signedAttributesDer(CMS_SignerInfo* si) {
  std::vector<std::string> encoded;
  for (int i = 0; i < CMS_signed_get_attr_count(si); ++i) {
    X509_ATTRIBUTE* a = CMS_signed_get_attr(si, i);
    unsigned char* der = nullptr;
    const int n = i2d_X509_ATTRIBUTE(a, &der);
    if (n <= 0) return std::nullopt;
    encoded.emplace_back(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
  }
  std::ranges::sort(encoded);
  std::string content;
  for (const auto& e : encoded) content += e;
  return "\x31" + derLength(content.size()) + content;
}

std::string errorText() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::string> toPades(std::string_view cades_der, const SigningKey& key,
                            const TsaClient* tsa) {
  CmsPtr cms = parse(cades_der);
  CMS_SignerInfo* si = cms ? firstSigner(cms.get()) : nullptr;
  if (!si) return fail(ErrorCode::CryptoFailure, "pdf: the CMS signature has no SignerInfo");
  const int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx >= 0) {
    AttributePtr removed(CMS_signed_delete_attr(si, idx), X509_ATTRIBUTE_free);
    auto attrs = signedAttributesDer(si);
    if (!attrs)
      return fail(ErrorCode::CryptoFailure,
                  "pdf: cannot encode the signed attributes: " + errorText());
    X509_ALGOR* digest_alg = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest_alg, nullptr);
    const ASN1_OBJECT* oid = nullptr;
    X509_ALGOR_get0(&oid, nullptr, nullptr, digest_alg);
    DigestAlgorithm digest = DigestAlgorithm::Sha256;
    switch (OBJ_obj2nid(oid)) {
      case NID_sha384:
        digest = DigestAlgorithm::Sha384;
        break;
      case NID_sha512:
        digest = DigestAlgorithm::Sha512;
        break;
      case NID_sha256:
        break;
      default:
        return fail(ErrorCode::CryptoFailure, "pdf: unexpected digest algorithm in the CMS");
    }
    auto signature = key.sign(*attrs, digest, key.defaultScheme());
    if (!signature) return std::unexpected(signature.error());
    ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
    if (ASN1_STRING_set(value, signature->data(), static_cast<int>(signature->size())) != 1)
      return fail(ErrorCode::CryptoFailure, "pdf: cannot set the signature value: " + errorText());
  }
  if (tsa) {
    const ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
    const std::string_view signature(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                                     static_cast<std::size_t>(ASN1_STRING_length(value)));
    auto token = tsa->timestamp(signature, DigestAlgorithm::Sha256);
    if (!token)
      return fail(ErrorCode::CryptoFailure, "pdf: signature time-stamp: " + token.error().message);
    if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                      token->data(), static_cast<int>(token->size())) != 1)
      return fail(ErrorCode::CryptoFailure, "pdf: cannot add the time-stamp token: " + errorText());
  }
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return fail(ErrorCode::CryptoFailure, "pdf: cannot encode the CMS: " + errorText());
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::optional<CmsParts> cmsParts(std::string_view der) {
  CmsPtr cms = parse(der);
  CMS_SignerInfo* si = cms ? firstSigner(cms.get()) : nullptr;
  if (!si) {
    ERR_clear_error();
    return std::nullopt;
  }
  CmsParts parts;
  const ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
  parts.signature_value.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                               static_cast<std::size_t>(ASN1_STRING_length(value)));
  parts.has_signing_time = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1) >= 0;
  const int idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
  if (idx >= 0) {
    const ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0);
    if (t && t->type == V_ASN1_SEQUENCE && t->value.sequence)
      parts.timestamp_token.assign(reinterpret_cast<const char*>(t->value.sequence->data),
                                   static_cast<std::size_t>(t->value.sequence->length));
  }
  return parts;
}

}  // namespace lienthong::signing::pdf
