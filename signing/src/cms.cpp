#include "lienthong/signing/cms.h"

#include "ossl.h"

namespace lienthong::signing {

using namespace ossl;
using Clock = std::chrono::system_clock;

namespace {

std::string_view asn1Bytes(const ASN1_STRING* s) {
  return std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// The signature time-stamp of `si` (id-aa-signatureTimeStampToken) verified over its signature
// value: its time, nullopt when there is none, or why it was not accepted.
Result<std::optional<Clock::time_point>> signatureTimeStamp(CMS_SignerInfo* si,
                                                           const TrustStore& trust) {
  const int idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
  if (idx < 0) return std::nullopt;
  const ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_unsigned_get_attr(si, idx), 0);
  if (t == nullptr || t->type != V_ASN1_SEQUENCE) {
    return fail(ErrorCode::SignatureInvalid, "the time-stamp attribute is not a token");
  }
  auto info = verifyTimeStampToken(asn1Bytes(t->value.sequence),
                                   asn1Bytes(CMS_SignerInfo_get0_signature(si)), trust);
  if (!info) return std::unexpected(info.error());
  return std::optional<Clock::time_point>(info->time);
}

}  // namespace

CmsSigner::CmsSigner(SigningKey key, CmsSignOptions options)
    : key_(std::move(key)), options_(options) {}

Result<std::string> CmsSigner::sign(std::string_view content) const {
  X509StackRef chain(sk_X509_new_null());
  for (X509* c : key_.chain()) sk_X509_push(chain.get(), c);
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
  CmsPtr cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags), CMS_ContentInfo_free);
  if (!cms) return sslFail(ErrorCode::CryptoFailure, "CMS structure");
  // CMS_CADES adds signing-certificate-v2; signing-time is added by default.
  if (CMS_add1_signer(cms.get(), key_.certificate(), key_.privateKey(),
                      md(static_cast<int>(options_.digest)), CMS_BINARY | CMS_CADES) == nullptr) {
    return sslFail(ErrorCode::CryptoFailure, "CMS signer with " + key_.source());
  }
  auto in = memBio(content);
  if (CMS_final(cms.get(), in.get(), nullptr, flags) != 1) {
    return sslFail(ErrorCode::CryptoFailure, "CMS signature");
  }
  if (options_.tsa) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms.get()), 0);
    const ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
    auto token = options_.tsa->timestamp(asn1Bytes(value), options_.digest);
    if (!token) return std::unexpected(token.error());
    if (CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE,
                                      token->data(), static_cast<int>(token->size())) != 1) {
      return sslFail(ErrorCode::CryptoFailure, "CMS signature time-stamp attribute");
    }
  }
  unsigned char* der = nullptr;
  int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) return sslFail(ErrorCode::CryptoFailure, "CMS encoding");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

CmsVerifier::CmsVerifier(TrustStore trust, ValidationPolicy policy)
    : validator_(std::move(trust), std::move(policy)) {}

ValidationReport CmsVerifier::verify(std::string_view content, std::string_view p7s_der) const {
  ValidationReport report;
  report.format = "CAdES-BES";
  const auto* p = reinterpret_cast<const unsigned char*>(p7s_der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(p7s_der.size())),
             CMS_ContentInfo_free);
  if (!cms || OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    ERR_clear_error();
    report.setFailure(SubIndication::FormatFailure, "not a DER CMS SignedData");
    return report;
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) == 0) {
    report.setFailure(SubIndication::SignedDataNotFound, "no SignerInfo");
    return report;
  }
  if (sk_CMS_SignerInfo_num(infos) != 1) {
    report.setFailure(SubIndication::FormatFailure, "exactly one signer is allowed");
    return report;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  X509StackPtr certs(CMS_get1_certs(cms.get()));
  X509* signer = nullptr;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) {
      signer = sk_X509_value(certs.get(), i);
    }
  }
  if (signer == nullptr) {
    report.setFailure(SubIndication::NoSigningCertificateFound,
                      "the signer's certificate is not in the signature");
    return report;
  }
  CMS_SignerInfo_set1_signer_cert(si, signer);
  X509_ALGOR* dig = nullptr;
  X509_ALGOR* sig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, &sig);
  if (dig != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    report.digest_algorithm = OBJ_nid2sn(OBJ_obj2nid(obj));
  }
  report.signature_algorithm =
      EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_EC ? "ECDSA" : "RSA";
  if (CMS_signed_get_attr_count(si) <= 0) {
    report.setFailure(SubIndication::FormatFailure, "CAdES requires signed attributes");
    return report;
  }
  if (CMS_SignerInfo_verify(si) != 1) {
    ERR_clear_error();
    report.setFailure(SubIndication::SigCryptoFailure,
                      "the signature does not verify with the certificate's public key");
    return report;
  }
  const EVP_MD* content_md = nullptr;
  if (dig != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    content_md = EVP_get_digestbyobj(obj);
  }
  const ASN1_OCTET_STRING* expected = nullptr;
  int md_idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
  if (md_idx >= 0) {
    ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, md_idx), 0);
    if (t != nullptr && t->type == V_ASN1_OCTET_STRING) expected = t->value.octet_string;
  }
  if (content_md == nullptr || expected == nullptr) {
    report.setFailure(SubIndication::FormatFailure, "no message-digest attribute");
    return report;
  }
  const std::string actual = digest(content, content_md);
  if (static_cast<int>(actual.size()) != ASN1_STRING_length(expected) ||
      CRYPTO_memcmp(actual.data(), ASN1_STRING_get0_data(expected), actual.size()) != 0) {
    report.setFailure(SubIndication::HashFailure, "the file does not match the message digest");
    return report;
  }
  if (dig != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    if (OBJ_obj2nid(obj) == NID_sha1) {
      if (!validator_.policy().allow_sha1) {
        report.setFailure(SubIndication::CryptoConstraintsFailure,
                          "SHA-1 is refused by the validation policy");
        return report;
      }
      report.warnings.push_back("SHA-1 is weak; accepted by policy");
    }
  }
  if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) < 0 &&
      CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate, -1) < 0) {
    report.setFailure(SubIndication::FormatFailure,
                      "no signing-certificate(-v2) attribute: not CAdES-BES");
    return report;
  }
  Clock::time_point at = Clock::now();
  report.signing_time_source = "validation";
  auto stamp = signatureTimeStamp(si, validator_.store());
  if (!stamp) {
    report.warnings.push_back("signature time-stamp ignored: " + stamp.error().message);
  } else if (*stamp) {
    at = **stamp;
    report.signing_time_source = "timestamp";
    report.format = "CAdES-T";
  }
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx >= 0 && report.signing_time_source == "validation") {
    ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
    if (t != nullptr && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)) {
      at = fromAsn1Time(reinterpret_cast<const ASN1_TIME*>(t->value.asn1_string));
      report.signing_time_source = "claimed";
    }
  }
  report.signing_time = at;
  if (validator_.policy().validation_time) at = *validator_.policy().validation_time;
  std::vector<X509*> extra;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    if (sk_X509_value(certs.get(), i) != signer) extra.push_back(sk_X509_value(certs.get(), i));
  }
  if (!validator_.validate(signer, extra, at, report)) return report;
  report.indication = Indication::TotalPassed;
  report.sub_indication = SubIndication::None;
  report.detail = "signature and certificate valid";
  return report;
}

}  // namespace lienthong::signing
