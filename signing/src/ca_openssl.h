// Owners for the OpenSSL handles the CA engine uses, and small helpers turning OpenSSL failures
// into Errors, on top of ossl.h. Private to signing/src/ca*.cpp.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "ossl.h"

namespace lienthong::signing::ca_detail {

// The owners the rest of signing/src uses; the CA engine adds its own below.
using ossl::BioPtr;
using ossl::EvpPkeyPtr;
using ossl::X509Ptr;
using ossl::X509CrlPtr;
using ossl::Asn1IntegerPtr;
using ossl::Asn1TimePtr;
using ossl::BignumPtr;
using ossl::OcspRequestPtr;
using ossl::OcspResponsePtr;
using ossl::OcspBasicPtr;
using ossl::OcspCertIdPtr;
using ossl::Pkcs12Ptr;
using ossl::X509StackPtr;

using X509ReqPtr = std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)>;
using X509NamePtr = std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, decltype(&X509_REVOKED_free)>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using Asn1EnumPtr = std::unique_ptr<ASN1_ENUMERATED, decltype(&ASN1_ENUMERATED_free)>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)>;

struct ExtStackFree {
  void operator()(STACK_OF(X509_EXTENSION) * s) const {
    sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free);
  }
};
using ExtStackPtr = std::unique_ptr<STACK_OF(X509_EXTENSION), ExtStackFree>;

struct DistPointsFree {
  void operator()(STACK_OF(DIST_POINT) * s) const { sk_DIST_POINT_pop_free(s, DIST_POINT_free); }
};
using DistPointsPtr = std::unique_ptr<STACK_OF(DIST_POINT), DistPointsFree>;

// The OpenSSL error queue as text (and emptied), "" when empty.
inline std::string opensslReason() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

inline std::unexpected<Error> cryptoFail(std::string what) {
  std::string reason = opensslReason();
  if (!reason.empty()) what += ": " + reason;
  return fail(ErrorCode::CryptoFailure, std::move(what));
}

inline BioPtr memBio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), BIO_free_all);
}
inline BioPtr newMemBio() { return BioPtr(BIO_new(BIO_s_mem()), BIO_free_all); }
inline std::string bioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace lienthong::signing::ca_detail
