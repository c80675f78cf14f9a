#include "lienthong/signing/timestamp.h"

#include <openssl/rand.h>
#include <openssl/ts.h>

#include "ossl.h"
#include "trust_state.h"

namespace lienthong::signing {

using namespace ossl;

namespace {

std::string der(TS_REQ* r) {
  unsigned char* buf = nullptr;
  int n = i2d_TS_REQ(r, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(std::max(n, 0)));
  OPENSSL_free(buf);
  return out;
}

ASN1_INTEGER* randomSerial(TS_RESP_CTX*, void*) {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[0] &= 0x7f;
  BignumPtr bn(BN_bin2bn(b, sizeof b, nullptr), BN_free);
  return bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr;
}

}  // namespace

TsaClient::TsaClient(std::string url, std::chrono::milliseconds timeout)
    : transport_([url = std::move(url), timeout, fetch = defaultHttpFetch()](std::string_view req) {
        return fetch(HttpRequest{url, std::string(req), "application/timestamp-query", timeout});
      }) {}

TsaClient::TsaClient(TsaTransport transport) : transport_(std::move(transport)) {}

Result<std::string> TsaClient::timestamp(std::string_view data, DigestAlgorithm digest) const {
  const EVP_MD* m = md(static_cast<int>(digest));
  std::string hash = ossl::digest(data, m);
  TsReqPtr req(TS_REQ_new(), TS_REQ_free);
  TsMsgImprintPtr imprint(TS_MSG_IMPRINT_new(), TS_MSG_IMPRINT_free);
  X509_ALGOR* alg = X509_ALGOR_new();
  unsigned char nonce_bytes[8];
  RAND_bytes(nonce_bytes, sizeof nonce_bytes);
  nonce_bytes[0] &= 0x7f;
  BignumPtr nonce_bn(BN_bin2bn(nonce_bytes, sizeof nonce_bytes, nullptr), BN_free);
  Asn1IntegerPtr nonce(BN_to_ASN1_INTEGER(nonce_bn.get(), nullptr), ASN1_INTEGER_free);
  bool ok = req && imprint && alg && nonce && TS_REQ_set_version(req.get(), 1) == 1 &&
            X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(m)), V_ASN1_NULL, nullptr) == 1 &&
            TS_MSG_IMPRINT_set_algo(imprint.get(), alg) == 1 &&
            TS_MSG_IMPRINT_set_msg(imprint.get(),
                                   reinterpret_cast<unsigned char*>(hash.data()),
                                   static_cast<int>(hash.size())) == 1 &&
            TS_REQ_set_msg_imprint(req.get(), imprint.get()) == 1 &&
            TS_REQ_set_nonce(req.get(), nonce.get()) == 1 && TS_REQ_set_cert_req(req.get(), 1) == 1;
  X509_ALGOR_free(alg);
  if (!ok) return sslFail(ErrorCode::CryptoFailure, "time-stamp request");
  auto bytes = transport_(der(req.get()));
  if (!bytes) return std::unexpected(bytes.error());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  TsRespPtr resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(bytes->size())), TS_RESP_free);
  if (!resp) return sslFail(ErrorCode::SignatureInvalid, "the TSA answer is not a TimeStampResp");
  TsVerifyCtxPtr vctx(TS_REQ_to_TS_VERIFY_CTX(req.get(), nullptr), TS_VERIFY_CTX_free);
  if (!vctx) return sslFail(ErrorCode::CryptoFailure, "time-stamp verify context");
  TS_VERIFY_CTX_set_flags(vctx.get(), TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
  if (TS_RESP_verify_response(vctx.get(), resp.get()) != 1) {
    return sslFail(ErrorCode::SignatureInvalid, "the TSA answer does not match the request");
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  unsigned char* out = nullptr;
  int n = i2d_PKCS7(token, &out);
  if (n <= 0) return sslFail(ErrorCode::CryptoFailure, "time-stamp token");
  std::string result(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return result;
}

Result<TimeStampInfo> verifyTimeStampToken(std::string_view token_der, std::string_view data,
                                           const TrustStore& trust) {
  const auto* p = reinterpret_cast<const unsigned char*>(token_der.data());
  Pkcs7Ptr token(d2i_PKCS7(nullptr, &p, static_cast<long>(token_der.size())), PKCS7_free);
  if (!token) return sslFail(ErrorCode::SignatureInvalid, "not a time-stamp token");
  TsVerifyCtxPtr ctx(TS_VERIFY_CTX_new(), TS_VERIFY_CTX_free);
  const auto& st = trust.state();
  // The context frees what it is given: hand it its own references.
  X509_STORE_up_ref(st.store.get());
  TS_VERIFY_CTX_set_store(ctx.get(), st.store.get());
  STACK_OF(X509)* certs = sk_X509_new_null();
  for (const auto& c : st.intermediates) {
    X509_up_ref(c.get());
    sk_X509_push(certs, c.get());
  }
  TS_VERIFY_CTX_set_certs(ctx.get(), certs);
  TS_VERIFY_CTX_set_data(ctx.get(),
                         BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_SIGNATURE | TS_VFY_DATA | TS_VFY_VERSION);
  if (TS_RESP_verify_token(ctx.get(), token.get()) != 1) {
    return sslFail(ErrorCode::SignatureInvalid, "time-stamp token does not verify");
  }
  std::unique_ptr<TS_TST_INFO, decltype(&TS_TST_INFO_free)> info(
      PKCS7_to_TS_TST_INFO(token.get()), TS_TST_INFO_free);
  if (!info) return sslFail(ErrorCode::SignatureInvalid, "time-stamp token content");
  TimeStampInfo out;
  out.time = fromAsn1Time(TS_TST_INFO_get_time(info.get()));
  BignumPtr serial(ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(info.get()), nullptr), BN_free);
  if (serial) {
    char* h = BN_bn2hex(serial.get());
    out.serial = h;
    OPENSSL_free(h);
  }
  char oid[128];
  OBJ_obj2txt(oid, sizeof oid, TS_TST_INFO_get_policy_id(info.get()), 1);
  out.policy = oid;
  STACK_OF(X509)* signers = PKCS7_get0_signers(token.get(), nullptr, 0);
  if (signers != nullptr && sk_X509_num(signers) > 0) {
    char* name = X509_NAME_oneline(X509_get_subject_name(sk_X509_value(signers, 0)), nullptr, 0);
    out.tsa = name;
    OPENSSL_free(name);
  }
  sk_X509_free(signers);
  ERR_clear_error();
  return out;
}

LocalTsa::LocalTsa(SigningKey key, std::string policy_oid)
    : key_(std::move(key)), policy_oid_(std::move(policy_oid)) {}

Result<std::string> LocalTsa::respond(std::string_view request_der) const {
  TsRespCtxPtr ctx(TS_RESP_CTX_new(), TS_RESP_CTX_free);
  Asn1ObjectPtr policy(OBJ_txt2obj(policy_oid_.c_str(), 1), ASN1_OBJECT_free);
  if (!ctx || !policy) return sslFail(ErrorCode::CryptoFailure, "TSA context");
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (X509* c : key_.chain()) sk_X509_push(chain, c);
  bool ok = TS_RESP_CTX_set_signer_cert(ctx.get(), key_.certificate()) == 1 &&
            TS_RESP_CTX_set_signer_key(ctx.get(), key_.privateKey()) == 1 &&
            TS_RESP_CTX_set_certs(ctx.get(), chain) == 1 &&
            TS_RESP_CTX_set_def_policy(ctx.get(), policy.get()) == 1 &&
            TS_RESP_CTX_add_md(ctx.get(), EVP_sha256()) == 1 &&
            TS_RESP_CTX_add_md(ctx.get(), EVP_sha384()) == 1 &&
            TS_RESP_CTX_add_md(ctx.get(), EVP_sha512()) == 1 &&
            TS_RESP_CTX_set_signer_digest(ctx.get(), EVP_sha256()) == 1 &&
            TS_RESP_CTX_set_accuracy(ctx.get(), 1, 0, 0) == 1;
  sk_X509_free(chain);  // set_certs keeps its own copies
  if (!ok) return sslFail(ErrorCode::CryptoFailure, "TSA configuration");
  TS_RESP_CTX_set_serial_cb(ctx.get(), randomSerial, nullptr);
  auto in = memBio(request_der);
  TsRespPtr resp(TS_RESP_create_response(ctx.get(), in.get()), TS_RESP_free);
  if (!resp) return sslFail(ErrorCode::CryptoFailure, "TSA response");
  unsigned char* out = nullptr;
  int n = i2d_TS_RESP(resp.get(), &out);
  if (n <= 0) return sslFail(ErrorCode::CryptoFailure, "TSA response encoding");
  std::string result(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return result;
}

TsaTransport LocalTsa::transport() const {
  return [self = *this](std::string_view req) { return self.respond(req); };
}

}  // namespace lienthong::signing
