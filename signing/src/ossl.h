// Owners for the OpenSSL and libxml2 handles of the signing code, and helpers that turn OpenSSL
// failures into Errors carrying OpenSSL's reason. Private to signing/src (not the CA engine's).
#pragma once

#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs12.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::signing::ossl {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free_all)>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using X509CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;
using X509StorePtr = std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, decltype(&OCSP_REQUEST_free)>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)>;
using OcspBasicPtr = std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, decltype(&PKCS12_free)>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;
using BignumPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using TsReqPtr = std::unique_ptr<TS_REQ, decltype(&TS_REQ_free)>;
using TsRespPtr = std::unique_ptr<TS_RESP, decltype(&TS_RESP_free)>;
using TsRespCtxPtr = std::unique_ptr<TS_RESP_CTX, decltype(&TS_RESP_CTX_free)>;
using TsVerifyCtxPtr = std::unique_ptr<TS_VERIFY_CTX, decltype(&TS_VERIFY_CTX_free)>;
using TsMsgImprintPtr = std::unique_ptr<TS_MSG_IMPRINT, decltype(&TS_MSG_IMPRINT_free)>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, decltype(&PKCS7_free)>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, decltype(&ASN1_INTEGER_free)>;
using Asn1OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)>;

struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
// A stack that does not own its certificates.
struct X509StackShallowFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509StackRef = std::unique_ptr<STACK_OF(X509), X509StackShallowFree>;

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;
struct XmlCharFree {
  void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharFree>;

// The reason of the most recent OpenSSL error (and clears the queue): "bad decrypt".
std::string lastError();
// fail(code, what + ": " + OpenSSL's reason).
std::unexpected<Error> sslFail(ErrorCode code, std::string what);

inline X509Ptr upRef(X509* c) {
  X509_up_ref(c);
  return X509Ptr(c, X509_free);
}
inline X509Ptr nullX509() { return X509Ptr(nullptr, X509_free); }

BioPtr memBio(std::string_view bytes);
std::string bioString(BIO* bio);
// All certificates of a PEM text (leaf first as written).
Result<std::vector<X509Ptr>> readCertificatesPem(std::string_view pem);
Result<X509Ptr> readCertificateDer(std::string_view der);
std::string certificateDer(X509* cert);

const EVP_MD* md(int digest_algorithm);  // DigestAlgorithm as int
std::string digest(std::string_view data, const EVP_MD* md);
std::string hex(std::string_view bytes, bool upper = false);

std::chrono::system_clock::time_point fromAsn1Time(const ASN1_TIME* t);

}  // namespace lienthong::signing::ossl
