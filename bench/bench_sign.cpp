// Signing benchmark, one thread, side by side in one process: lienthong's XmlSigner/XmlVerifier
// and in-process libxmlsec1 (xmlsec1-openssl) doing the same work on the same bytes, for 4 KB and
// 1 MB edXML packages with RSA-2048 and ECDSA P-256 keys issued by the CA engine; plus the raw
// EVP sign/verify rate of the same keys (what `openssl speed rsa2048` / `ecdsap256` measure) and
// the ratio of each XML operation to it.
//
// Work per operation:
//   sign:   parse the package, canonicalize and digest it, sign SignedInfo, write KeyInfo with the
//           signer's certificate and chain, serialize.
//   verify: parse the package lienthong signed, check the reference digest and the signature,
//           build the certificate path to the root (issuing CA from KeyInfo/trust store) and check
//           the signer against the issuing CA's CRL. lienthong also applies its strict profile.
// Rates are operations per second of this thread's CPU time (the machine is shared), with the
// wall-clock rate beside them.
//
// usage: bench_sign [seconds-per-case]   (default 1.0)
#include <time.h>

#include <libxml/parser.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/ca.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"

using namespace lienthong;
using namespace lienthong::signing;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_sign: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T orDie(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Rate {
  double cpu = 0;   // operations per CPU second of this thread
  double wall = 0;  // operations per wall-clock second
};

// Runs `op` (which returns false on a wrong result) for at least `seconds` of CPU time.
Rate measure(const std::function<bool()>& op, double seconds) {
  if (!op()) die("an operation gave a wrong result before timing");
  const double cpu0 = threadCpuSeconds();
  const auto wall0 = std::chrono::steady_clock::now();
  long n = 0;
  double cpu = 0;
  do {
    if (!op()) die("an operation gave a wrong result while timing");
    ++n;
    cpu = threadCpuSeconds() - cpu0;
  } while (cpu < seconds || n < 3);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return Rate{static_cast<double>(n) / cpu, static_cast<double>(n) / wall};
}

std::string packageOfSize(std::size_t target) {
  schemas::sample::PackageSpec spec;
  spec.zipped_appendix = false;
  spec.pdf_bytes = 0;
  const std::size_t base = schemas::sample::package(spec).serialize().size();
  spec.pdf_bytes = target > base ? (target - base) * 3 / 4 : 0;
  return schemas::sample::package(spec).serialize();
}

// The test PKI: the CA engine's root and issuing CA, one RSA-2048 and one P-256 signer, and the
// issuing CA's (empty) CRL.
struct Pki {
  std::string root_pem;
  std::string issuing_pem;
  std::string crl_der;
  std::string rsa_p12;
  std::string ec_p12;
};

constexpr const char* kP12Pass = "bench passphrase";

Pki makePki() {
  CaSettings s;
  s.province_name = "UBND tinh Lao Cai";
  s.organ_id = "000.00.00.H41";
  s.crl_url = "http://127.0.0.1:9/crl";
  s.ocsp_url = "http://127.0.0.1:9/ocsp";
  const char* pass = "bench CA passphrase";
  CaBundle bundle = orDie(createCa(s, pass), "createCa");
  CertificateAuthority ca = orDie(CertificateAuthority::load(s, bundle, pass), "load CA");
  SubjectFields subject;
  subject.common_name = "Nguyen Van An";
  subject.title = "Pho Chu tich";
  subject.organ_id = "000.00.31.H41";
  subject.personal_id = "CCCD:001099000123";
  Pki p;
  p.root_pem = ca.rootCertPem();
  p.issuing_pem = ca.issuingCertPem();
  p.rsa_p12 =
      orDie(ca.generate(CertProfile::PersonalSigner, subject, KeyType::Rsa2048, kP12Pass), "RSA")
          .pkcs12;
  p.ec_p12 =
      orDie(ca.generate(CertProfile::PersonalSigner, subject, KeyType::P256, kP12Pass), "P-256")
          .pkcs12;
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  p.crl_der = orDie(ca.makeCrl({}, 1, now - std::chrono::hours(1), now + std::chrono::hours(24 * 7)),
                    "CRL");
  return p;
}

// ---- lienthong ----

ValidationPolicy benchPolicy() {
  ValidationPolicy policy;
  policy.revocation.use_ocsp = false;  // no responder in the benchmark: the issuing CA's CRL
  policy.revocation.check_intermediates = false;  // the engine's root publishes no CRL here
  return policy;
}

TrustStore benchTrust(const Pki& p) {
  TrustStore ts;
  if (!ts.addAnchorsPem(p.root_pem)) die("anchor");
  if (!ts.addIntermediatesPem(p.issuing_pem)) die("intermediate");
  if (!ts.addCrl(p.crl_der, "bench")) die("CRL");
  return ts;
}

// ---- raw EVP (the `openssl speed` equivalent) ----

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// Sign and verify a SHA-256 digest, as openssl speed does.
struct RawRates {
  Rate sign;
  Rate verify;
};

RawRates rawRates(EVP_PKEY* priv, EVP_PKEY* pub, bool rsa, double seconds) {
  unsigned char dgst[32];
  for (unsigned i = 0; i < sizeof dgst; ++i) dgst[i] = static_cast<unsigned char>(i * 7 + 1);
  PkeyCtxPtr sctx(EVP_PKEY_CTX_new(priv, nullptr));
  PkeyCtxPtr vctx(EVP_PKEY_CTX_new(pub, nullptr));
  if (!sctx || !vctx || EVP_PKEY_sign_init(sctx.get()) != 1 ||
      EVP_PKEY_verify_init(vctx.get()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(sctx.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set_signature_md(vctx.get(), EVP_sha256()) != 1) {
    die("raw EVP context");
  }
  if (rsa && (EVP_PKEY_CTX_set_rsa_padding(sctx.get(), RSA_PKCS1_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_padding(vctx.get(), RSA_PKCS1_PADDING) != 1)) {
    die("raw RSA padding");
  }
  std::vector<unsigned char> sig(static_cast<std::size_t>(EVP_PKEY_get_size(priv)));
  std::size_t sig_len = sig.size();
  RawRates r;
  r.sign = measure(
      [&] {
        sig_len = sig.size();
        return EVP_PKEY_sign(sctx.get(), sig.data(), &sig_len, dgst, sizeof dgst) == 1;
      },
      seconds);
  r.verify = measure(
      [&] { return EVP_PKEY_verify(vctx.get(), sig.data(), sig_len, dgst, sizeof dgst) == 1; },
      seconds);
  return r;
}

// ---- libxmlsec1 in-process ----

struct XsKeyFree {
  void operator()(xmlSecKey* k) const { xmlSecKeyDestroy(k); }
};
using XsKeyPtr = std::unique_ptr<xmlSecKey, XsKeyFree>;
struct XsMngrFree {
  void operator()(xmlSecKeysMngr* m) const { xmlSecKeysMngrDestroy(m); }
};
using XsMngrPtr = std::unique_ptr<xmlSecKeysMngr, XsMngrFree>;
struct XsCtxFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};
using XsCtxPtr = std::unique_ptr<xmlSecDSigCtx, XsCtxFree>;
struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

constexpr const char* kEdxmlNs = "http://www.mic.gov.vn/TBT/QCVN_102_2016";

XmlDocPtr xsParse(const std::string& bytes) {
  // The same safety options as lienthong's parser: no DTD loading, no entities, no network.
  return XmlDocPtr(xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                                 XML_PARSE_NONET | XML_PARSE_HUGE));
}

xmlNode* xsHeader(xmlDoc* doc) {
  xmlNode* root = xmlDocGetRootElement(doc);
  xmlNode* env = root ? xmlSecFindChild(root, X("edXMLEnvelope"), X(kEdxmlNs)) : nullptr;
  return env ? xmlSecFindChild(env, X("edXMLHeader"), X(kEdxmlNs)) : nullptr;
}

// Signs like lienthong: enveloped + exclusive C14N, SHA-256, the key's certificates in X509Data.
bool xsSign(const std::string& input, xmlSecKey* key, bool ec, std::string& out) {
  XmlDocPtr doc = xsParse(input);
  xmlNode* header = doc ? xsHeader(doc.get()) : nullptr;
  if (header == nullptr) return false;
  xmlNode* sig = xmlSecTmplSignatureCreate(
      doc.get(), xmlSecTransformExclC14NId,
      ec ? xmlSecTransformEcdsaSha256Id : xmlSecTransformRsaSha256Id, nullptr);
  if (sig == nullptr) return false;
  xmlAddChild(header, sig);
  xmlNode* ref =
      xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, nullptr, X(""), nullptr);
  if (ref == nullptr || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == nullptr ||
      xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == nullptr) {
    return false;
  }
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(sig, nullptr);
  if (key_info == nullptr || xmlSecTmplKeyInfoAddX509Data(key_info) == nullptr) return false;
  XsCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return false;
  ctx->signKey = xmlSecKeyDuplicate(key);
  if (ctx->signKey == nullptr || xmlSecDSigCtxSign(ctx.get(), sig) < 0) return false;
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc.get(), &mem, &size, "UTF-8");
  if (mem == nullptr) return false;
  out.assign(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size));
  xmlFree(mem);
  return true;
}

bool xsVerify(const std::string& signed_doc, xmlSecKeysMngr* mngr) {
  XmlDocPtr doc = xsParse(signed_doc);
  if (!doc) return false;
  xmlNode* sig = xmlSecFindNode(xmlDocGetRootElement(doc.get()), xmlSecNodeSignature, xmlSecDSigNs);
  if (sig == nullptr) return false;
  XsCtxPtr ctx(xmlSecDSigCtxCreate(mngr));
  if (!ctx || xmlSecDSigCtxVerify(ctx.get(), sig) < 0) return false;
  return ctx->status == xmlSecDSigStatusSucceeded;
}

XsMngrPtr xsManager(const Pki& p) {
  XsMngrPtr mngr(xmlSecKeysMngrCreate());
  if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr.get()) < 0) die("xmlsec keys manager");
  const auto* root = reinterpret_cast<const xmlSecByte*>(p.root_pem.data());
  const auto* issuing = reinterpret_cast<const xmlSecByte*>(p.issuing_pem.data());
  if (xmlSecCryptoAppKeysMngrCertLoadMemory(mngr.get(), root,
                                            static_cast<xmlSecSize>(p.root_pem.size()),
                                            xmlSecKeyDataFormatPem, xmlSecKeyDataTypeTrusted) < 0 ||
      xmlSecCryptoAppKeysMngrCertLoadMemory(mngr.get(), issuing,
                                            static_cast<xmlSecSize>(p.issuing_pem.size()),
                                            xmlSecKeyDataFormatPem, xmlSecKeyDataTypeNone) < 0) {
    die("xmlsec certificates");
  }
  const auto* der = reinterpret_cast<const unsigned char*>(p.crl_der.data());
  X509_CRL* crl = d2i_X509_CRL(nullptr, &der, static_cast<long>(p.crl_der.size()));
  xmlSecKeyDataStore* store = xmlSecKeysMngrGetDataStore(mngr.get(), xmlSecOpenSSLX509StoreId);
  if (crl == nullptr || store == nullptr || xmlSecOpenSSLX509StoreAdoptCrl(store, crl) < 0) {
    X509_CRL_free(crl);
    die("xmlsec CRL");
  }
  return mngr;
}

XsKeyPtr xsKey(const std::string& p12) {
  XsKeyPtr key(xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(p12.data()),
                                            static_cast<xmlSecSize>(p12.size()),
                                            xmlSecKeyDataFormatPkcs12, kP12Pass, nullptr, nullptr));
  if (!key) die("xmlsec PKCS#12 key");
  return key;
}

struct Row {
  std::string label;
  Rate lt;
  Rate xs;
  double raw = 0;
};

void printRows(const std::vector<Row>& rows) {
  std::printf("%-26s %12s %12s %12s %12s %8s %10s\n", "operation", "lienthong/s", "(wall/s)",
              "xmlsec1/s", "(wall/s)", "lt/xs", "lt/raw EVP");
  for (const auto& r : rows) {
    std::printf("%-26s %12.0f %12.0f %12.0f %12.0f %8.2f %10.2f\n", r.label.c_str(), r.lt.cpu,
                r.lt.wall, r.xs.cpu, r.xs.wall, r.lt.cpu / r.xs.cpu, r.lt.cpu / r.raw);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (seconds <= 0) die("usage: bench_sign [seconds-per-case]");

  xmlInitParser();
  if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(nullptr) < 0 ||
      xmlSecCryptoInit() < 0) {
    die("xmlsec initialisation");
  }

  const Pki pki = makePki();
  const std::string small = packageOfSize(4 * 1024);
  const std::string large = packageOfSize(1024 * 1024);
  const XmlVerifier verifier(benchTrust(pki), benchPolicy());
  XsMngrPtr mngr = xsManager(pki);

  std::printf("bench_sign: one thread, %.1f s of CPU per case; packages %zu and %zu bytes\n",
              seconds, small.size(), large.size());
  std::vector<Row> rows;
  for (bool ec : {false, true}) {
    const std::string& p12 = ec ? pki.ec_p12 : pki.rsa_p12;
    const char* alg = ec ? "P-256" : "RSA-2048";
    SigningKey key = orDie(SigningKey::fromPkcs12(p12, kP12Pass), "key");
    XmlSigner signer(key);
    XsKeyPtr xs_key = xsKey(p12);
    RawRates raw = rawRates(key.privateKey(), X509_get0_pubkey(key.certificate()), !ec, seconds);
    std::printf("raw EVP %-8s (openssl speed equivalent): sign %.0f/s, verify %.0f/s\n", alg,
                raw.sign.cpu, raw.verify.cpu);
    for (const std::string* doc : {&small, &large}) {
      const std::string size = doc == &small ? "4 KB" : "1 MB";
      const std::string signed_doc = orDie(signer.sign(*doc), "lienthong sign");
      if (!verifier.verify(signed_doc).passed()) die("lienthong does not verify its own output");
      std::string xs_out;
      Row sign_row{size + " " + alg + " sign", {}, {}, raw.sign.cpu};
      sign_row.lt = measure([&] { return signer.sign(*doc).has_value(); }, seconds);
      sign_row.xs = measure([&] { return xsSign(*doc, xs_key.get(), ec, xs_out); }, seconds);
      Row verify_row{size + " " + alg + " verify", {}, {}, raw.verify.cpu};
      verify_row.lt = measure([&] { return verifier.verify(signed_doc).passed(); }, seconds);
      verify_row.xs = measure([&] { return xsVerify(signed_doc, mngr.get()); }, seconds);
      rows.push_back(std::move(sign_row));
      rows.push_back(std::move(verify_row));
    }
  }
  std::printf("\n");
  printRows(rows);
  std::printf("\ntargets per core: 4 KB RSA-2048 sign >= 2500/s, 4 KB verify >= 6000/s, "
              "1 MB verify >= 300/s\n");

  mngr.reset();
  xmlSecCryptoShutdown();
  xmlSecCryptoAppShutdown();
  xmlSecShutdown();
  return 0;
}
