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
  const unsigned flags = (options_.detached ? CMS_DETACHED : 0u) | CMS_BINARY | CMS_PARTIAL;
  CmsPtr cms(CMS_sign(nullptr, nullptr, chain.get(), nullptr, flags), CMS_ContentInfo_free);
  if (!cms) return sslFail(ErrorCode::CryptoFailure, "CMS structure");
  // CMS_CADES adds signing-certificate-v2; signing-time is added by default.
  CMS_SignerInfo* added = CMS_add1_signer(
      cms.get(), key_.certificate(), key_.privateKey(), md(static_cast<int>(options_.digest)),
      CMS_BINARY | CMS_PARTIAL | (options_.signing_certificate ? CMS_CADES : 0u));
  if (added == nullptr) {
    return sslFail(ErrorCode::CryptoFailure, "CMS signer with " + key_.source());
  }
  if (options_.signing_time) {
    Asn1TimePtr t(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(*options_.signing_time)),
                  ASN1_TIME_free);
    if (!t || CMS_signed_add1_attr_by_NID(added, NID_pkcs9_signingTime, t->type, t.get(), -1) != 1) {
      return sslFail(ErrorCode::CryptoFailure, "CMS signing-time attribute");
    }
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

ValidationReport CmsVerifier::verify(std::string_view content, std::string_view p7s_der,
                                     CmsProfile profile) const {
  ValidationReport report;
  report.format = profile == CmsProfile::CadesBes ? "CAdES-BES" : "PKCS#7";
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
  // Every certificate the SignerInfo's identifier names; the signer is the one whose key
  // verifies the signature, whatever order the certificates come in.
  std::vector<X509*> candidates;
  for (int i = 0; certs && i < sk_X509_num(certs.get()); ++i) {
    if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs.get(), i)) == 0) {
      candidates.push_back(sk_X509_value(certs.get(), i));
    }
  }
  if (candidates.empty()) {
    report.setFailure(SubIndication::NoSigningCertificateFound,
                      "the signer's certificate is not in the signature");
    return report;
  }
  X509* signer = candidates.front();
  X509_ALGOR* dig = nullptr;
  X509_ALGOR* sig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, &sig);
  const EVP_MD* content_md = nullptr;
  if (dig != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    report.digest_algorithm = OBJ_nid2sn(OBJ_obj2nid(obj));
    content_md = EVP_get_digestbyobj(obj);
  }
  const bool has_attrs = CMS_signed_get_attr_count(si) > 0;
  if (!has_attrs && profile == CmsProfile::CadesBes) {
    report.setFailure(SubIndication::FormatFailure, "CAdES requires signed attributes");
    return report;
  }
  if (!has_attrs) {
    // PKCS#7 without signed attributes: the signature is over the content's digest itself.
    if (content_md == nullptr) {
      report.setFailure(SubIndication::FormatFailure, "unknown digest algorithm");
      return report;
    }
    const ASN1_OCTET_STRING* value = CMS_SignerInfo_get0_signature(si);
    bool ok = false;
    for (X509* c : candidates) {
      EvpMdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
      ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, content_md, nullptr,
                                       X509_get0_pubkey(c)) == 1 &&
           EVP_DigestVerify(ctx.get(), ASN1_STRING_get0_data(value),
                            static_cast<std::size_t>(ASN1_STRING_length(value)),
                            reinterpret_cast<const unsigned char*>(content.data()),
                            content.size()) == 1;
      if (ok) {
        signer = c;
        break;
      }
    }
    ERR_clear_error();
    report.signature_algorithm =
        EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_EC ? "ECDSA" : "RSA";
    if (!ok) {
      // One certificate named: it is the signer shown, the signature being broken.
      if (candidates.size() == 1) report.signer = certificateInfo(signer);
      report.integrity = "broken";
      report.setFailure(SubIndication::HashFailure,
                        "the signature over the content's digest does not verify (no signed "
                        "attributes: the content or the signature changed)");
      return report;
    }
    report.integrity = "intact";
    report.warnings.push_back("no signed attributes (legacy PKCS#7): no signed signing time");
    return finish(report, si, certs.get(), signer, content_md);
  }
  bool verified = false;
  for (X509* c : candidates) {
    CMS_SignerInfo_set1_signer_cert(si, c);
    if (CMS_SignerInfo_verify(si) == 1) {
      signer = c;
      verified = true;
      break;
    }
  }
  ERR_clear_error();
  CMS_SignerInfo_set1_signer_cert(si, signer);
  report.signature_algorithm =
      EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_EC ? "ECDSA" : "RSA";
  if (!verified) {
    if (candidates.size() == 1) report.signer = certificateInfo(signer);
    report.integrity = "broken";
    report.setFailure(SubIndication::SigCryptoFailure,
                      "the signature does not verify with the certificate's public key");
    return report;
  }
  report.signer = certificateInfo(signer);  // its key verified the signed attributes
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
    report.integrity = "broken";
    report.setFailure(SubIndication::HashFailure, "the file does not match the message digest");
    return report;
  }
  report.integrity = "intact";
  if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1) < 0 &&
      CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate, -1) < 0) {
    if (profile == CmsProfile::CadesBes) {
      report.setFailure(SubIndication::FormatFailure,
                        "no signing-certificate(-v2) attribute: not CAdES-BES");
      return report;
    }
    report.warnings.push_back(
        "no signing-certificate attribute (legacy PKCS#7): the signer certificate is the one "
        "the issuer and serial name whose key verifies the signature");
  }
  return finish(report, si, certs.get(), signer, content_md);
}

ValidationReport& CmsVerifier::finish(ValidationReport& report, CMS_SignerInfo* si,
                                      STACK_OF(X509) * certs, X509* signer,
                                      const EVP_MD* content_md) const {
  report.signer = certificateInfo(signer);
  if (content_md != nullptr) {
    if (EVP_MD_get_type(content_md) == NID_sha1) {
      if (!validator_.policy().allow_sha1) {
        report.setFailure(SubIndication::CryptoConstraintsFailure,
                          "SHA-1 is refused by the validation policy");
        return report;
      }
      report.warnings.push_back("SHA-1 is weak; accepted by policy");
    }
  }
  // The certificate is judged at a verified signature time-stamp's time, else now. The signed
  // signing-time attribute is shown as claimed; it is used only when the policy trusts claimed
  // times.
  Clock::time_point at = Clock::now();
  report.signing_time_source = "validation";
  auto stamp = signatureTimeStamp(si, validator_.store());
  if (!stamp) {
    report.warnings.push_back("signature time-stamp ignored: " + stamp.error().message);
  } else if (*stamp) {
    at = **stamp;
    report.signing_time_source = "timestamp";
    if (report.format == "CAdES-BES") report.format = "CAdES-T";
  }
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx >= 0) {
    ASN1_TYPE* t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, idx), 0);
    if (t != nullptr && (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME)) {
      report.claimed_time = fromAsn1Time(reinterpret_cast<const ASN1_TIME*>(t->value.asn1_string));
      report.claimed_time_signed = true;
    }
  }
  applyClaimedTime(report, validator_.policy(), at);
  report.signing_time = at;
  if (validator_.policy().validation_time) at = *validator_.policy().validation_time;
  std::vector<X509*> extra;
  for (int i = 0; certs && i < sk_X509_num(certs); ++i) {
    if (sk_X509_value(certs, i) != signer) extra.push_back(sk_X509_value(certs, i));
  }
  if (!validator_.validate(signer, extra, at, report)) return report;
  report.indication = Indication::TotalPassed;
  report.sub_indication = SubIndication::None;
  report.detail = "signature and certificate valid";
  return report;
}

}  // namespace lienthong::signing
