// Keys from PEM, PKCS#12 and PKCS#11 (libp11 engine). The engine API is deprecated in OpenSSL 3
// but libp11's engine is what Debian 12 ships for tokens, so this file alone allows it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "lienthong/signing/signing_key.h"

#include <openssl/engine.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include "ossl.h"

namespace lienthong::signing {

using namespace ossl;

struct EngineRelease {
  void operator()(ENGINE* e) const {
    ENGINE_finish(e);
    ENGINE_free(e);
  }
};

struct SigningKey::State {
  // Declared first so that it is destroyed last, after the key that uses it.
  std::unique_ptr<ENGINE, EngineRelease> engine;
  EvpPkeyPtr key{nullptr, EVP_PKEY_free};
  std::vector<X509Ptr> certs;  // signer first
  std::vector<X509*> chain;    // views of certs[1..]
  std::string source;
  // Guards operations on a token key: the engine's session is not shared safely between threads.
  mutable std::mutex token_mutex;
};

namespace {

Result<std::string> slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int passphraseCallback(char* buf, int size, int /*rwflag*/, void* u) {
  const auto* pass = static_cast<const std::string*>(u);
  if (pass->empty()) return -1;  // never prompt on a terminal
  int n = static_cast<int>(std::min<std::size_t>(pass->size(), static_cast<std::size_t>(size)));
  std::memcpy(buf, pass->data(), static_cast<std::size_t>(n));
  return n;
}

Result<std::shared_ptr<SigningKey::State>> finish(std::shared_ptr<SigningKey::State> st) {
  if (st->certs.empty()) return fail(ErrorCode::CertificateInvalid, "no certificate for the key");
  if (X509_check_private_key(st->certs.front().get(), st->key.get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::CertificateInvalid,
                "the certificate does not belong to the private key (" + st->source + ")");
  }
  int id = EVP_PKEY_get_base_id(st->key.get());
  if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC && id != EVP_PKEY_RSA_PSS) {
    return fail(ErrorCode::KeyUnavailable, "only RSA and EC keys can sign (" + st->source + ")");
  }
  for (std::size_t i = 1; i < st->certs.size(); ++i) st->chain.push_back(st->certs[i].get());
  return st;
}

}  // namespace

Result<SigningKey> SigningKey::fromPem(std::string_view key_pem, std::string_view passphrase,
                                       std::string_view certificates_pem) {
  auto st = std::make_shared<State>();
  st->source = "pem";
  auto bio = memBio(key_pem);
  std::string pass(passphrase);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphraseCallback, &pass);
  if (k == nullptr) {
    return sslFail(ErrorCode::KeyUnavailable,
                   "cannot read the PEM private key (wrong passphrase or not a key)");
  }
  st->key.reset(k);
  auto certs = readCertificatesPem(certificates_pem);
  if (!certs) return std::unexpected(certs.error());
  st->certs = std::move(*certs);
  auto done = finish(std::move(st));
  if (!done) return std::unexpected(done.error());
  return SigningKey(std::move(*done));
}

Result<SigningKey> SigningKey::fromPemFiles(const std::filesystem::path& key_pem,
                                            std::string_view passphrase,
                                            const std::filesystem::path& certificates_pem) {
  auto k = slurp(key_pem);
  if (!k) return std::unexpected(k.error());
  auto c = slurp(certificates_pem);
  if (!c) return std::unexpected(c.error());
  auto key = fromPem(*k, passphrase, *c);
  if (!key) {
    auto e = key.error();
    e.message = key_pem.string() + ": " + e.message;
    return std::unexpected(e);
  }
  std::const_pointer_cast<State>(key->state_)->source = "pem:" + key_pem.string();
  return key;
}

Result<SigningKey> SigningKey::fromPkcs12(std::string_view der, std::string_view passphrase) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Pkcs12Ptr p12(d2i_PKCS12(nullptr, &p, static_cast<long>(der.size())), PKCS12_free);
  if (!p12) return sslFail(ErrorCode::KeyUnavailable, "not a PKCS#12 file");
  std::string pass(passphrase);
  EVP_PKEY* k = nullptr;
  X509* cert = nullptr;
  STACK_OF(X509)* ca = nullptr;
  if (PKCS12_parse(p12.get(), pass.c_str(), &k, &cert, &ca) != 1) {
    return sslFail(ErrorCode::KeyUnavailable, "cannot open the PKCS#12 file (wrong passphrase?)");
  }
  auto st = std::make_shared<State>();
  st->source = "pkcs12";
  st->key.reset(k);
  X509StackPtr chain(ca);
  if (cert == nullptr) return fail(ErrorCode::CertificateInvalid, "PKCS#12 holds no certificate");
  st->certs.emplace_back(cert, X509_free);
  while (chain && sk_X509_num(chain.get()) > 0) {
    st->certs.emplace_back(sk_X509_shift(chain.get()), X509_free);
  }
  auto done = finish(std::move(st));
  if (!done) return std::unexpected(done.error());
  return SigningKey(std::move(*done));
}

Result<SigningKey> SigningKey::fromPkcs12File(const std::filesystem::path& p12,
                                              std::string_view passphrase) {
  auto der = slurp(p12);
  if (!der) return std::unexpected(der.error());
  auto key = fromPkcs12(*der, passphrase);
  if (!key) {
    auto e = key.error();
    e.message = p12.string() + ": " + e.message;
    return std::unexpected(e);
  }
  std::const_pointer_cast<State>(key->state_)->source = "pkcs12:" + p12.string();
  return key;
}

Result<SigningKey> SigningKey::fromPkcs11(const Pkcs11Options& options) {
  if (!options.uri.starts_with("pkcs11:")) {
    return fail(ErrorCode::InvalidArgument, "a PKCS#11 key is named by a pkcs11: URI");
  }
  std::string engine_path = options.engine.string();
  if (engine_path.empty()) {
    for (const char* candidate : {"/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so",
                                  "/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so",
                                  "/usr/lib/engines-3/pkcs11.so"}) {
      if (std::filesystem::exists(candidate)) {
        engine_path = candidate;
        break;
      }
    }
  }
  if (engine_path.empty()) {
    return fail(ErrorCode::KeyUnavailable,
                "the libp11 OpenSSL engine (pkcs11.so) is not installed: apt-get install "
                "libengine-pkcs11-openssl");
  }
  auto st = std::make_shared<State>();
  // A private engine instance per key (LIST_ADD 0), so each key has its own module and session.
  ENGINE* raw = ENGINE_by_id("dynamic");
  if (raw == nullptr) return sslFail(ErrorCode::KeyUnavailable, "OpenSSL dynamic engine");
  bool ok = ENGINE_ctrl_cmd_string(raw, "SO_PATH", engine_path.c_str(), 0) == 1 &&
            ENGINE_ctrl_cmd_string(raw, "ID", "pkcs11", 0) == 1 &&
            ENGINE_ctrl_cmd_string(raw, "LIST_ADD", "0", 0) == 1 &&
            ENGINE_ctrl_cmd_string(raw, "LOAD", nullptr, 0) == 1;
  if (ok && !options.module.empty()) {
    ok = ENGINE_ctrl_cmd_string(raw, "MODULE_PATH", options.module.c_str(), 0) == 1;
  }
  if (!ok) {
    ENGINE_free(raw);
    return sslFail(ErrorCode::KeyUnavailable, "cannot load the pkcs11 engine " + engine_path);
  }
  if (ENGINE_init(raw) != 1) {
    ENGINE_free(raw);
    return sslFail(ErrorCode::KeyUnavailable, "cannot initialize the PKCS#11 module " +
                                                  options.module.string());
  }
  st->engine.reset(raw);
  if (!options.pin.empty() &&
      ENGINE_ctrl_cmd_string(raw, "PIN", options.pin.c_str(), 0) != 1) {
    return sslFail(ErrorCode::KeyUnavailable, "the PKCS#11 engine refused the PIN");
  }
  EVP_PKEY* k = ENGINE_load_private_key(raw, options.uri.c_str(), nullptr, nullptr);
  if (k == nullptr) {
    return sslFail(ErrorCode::KeyUnavailable,
                   "no private key at " + options.uri + " (check the token label, the object "
                   "and the PIN)");
  }
  st->key.reset(k);
  if (!options.certificate.empty()) {
    auto pem = slurp(options.certificate);
    if (!pem) return std::unexpected(pem.error());
    auto certs = readCertificatesPem(*pem);
    if (!certs) return std::unexpected(certs.error());
    st->certs = std::move(*certs);
  } else {
    struct {
      const char* id;
      X509* cert;
    } params{options.uri.c_str(), nullptr};
    if (ENGINE_ctrl_cmd(raw, "LOAD_CERT_CTRL", 0, &params, nullptr, 1) != 1 ||
        params.cert == nullptr) {
      return sslFail(ErrorCode::CertificateInvalid,
                     "no certificate on the token for " + options.uri + "; pass one with --cert");
    }
    st->certs.emplace_back(params.cert, X509_free);
  }
  // Never keep the PIN in the source text.
  std::string uri = options.uri;
  if (auto pos = uri.find("pin-value="); pos != std::string::npos) {
    auto end = uri.find_first_of(";?", pos);
    uri.erase(pos, end == std::string::npos ? std::string::npos : end - pos);
  }
  st->source = uri;
  auto done = finish(std::move(st));
  if (!done) return std::unexpected(done.error());
  return SigningKey(std::move(*done));
}

Result<SigningKey> SigningKey::load(const std::string& key, std::string_view passphrase,
                                    const std::filesystem::path& certificates,
                                    const std::filesystem::path& pkcs11_module) {
  if (key.starts_with("pkcs11:")) {
    Pkcs11Options o;
    o.uri = key;
    o.pin = std::string(passphrase);
    o.module = pkcs11_module;
    o.certificate = certificates;
    return fromPkcs11(o);
  }
  auto ext = std::filesystem::path(key).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".p12" || ext == ".pfx") return fromPkcs12File(key, passphrase);
  if (certificates.empty()) {
    return fail(ErrorCode::InvalidArgument, "a PEM key needs its certificate (--cert FILE)");
  }
  return fromPemFiles(key, passphrase, certificates);
}

KeyAlgorithm SigningKey::algorithm() const {
  return EVP_PKEY_get_base_id(state_->key.get()) == EVP_PKEY_EC ? KeyAlgorithm::Ec
                                                                 : KeyAlgorithm::Rsa;
}

int SigningKey::bits() const { return EVP_PKEY_get_bits(state_->key.get()); }
const std::string& SigningKey::source() const { return state_->source; }
X509* SigningKey::certificate() const { return state_->certs.front().get(); }
const std::vector<X509*>& SigningKey::chain() const { return state_->chain; }
EVP_PKEY* SigningKey::privateKey() const { return state_->key.get(); }
std::string SigningKey::certificateDer() const { return ossl::certificateDer(certificate()); }

SignatureScheme SigningKey::defaultScheme() const {
  return algorithm() == KeyAlgorithm::Ec ? SignatureScheme::Ecdsa : SignatureScheme::RsaPkcs1;
}

Result<std::string> SigningKey::sign(std::string_view data, DigestAlgorithm digest,
                                     SignatureScheme scheme) const {
  bool ec = algorithm() == KeyAlgorithm::Ec;
  if (ec != (scheme == SignatureScheme::Ecdsa)) {
    return fail(ErrorCode::InvalidArgument, std::string(schemeName(scheme)) +
                                                " does not fit a " + (ec ? "EC" : "RSA") + " key");
  }
  std::unique_lock<std::mutex> lock(state_->token_mutex, std::defer_lock);
  if (state_->engine) lock.lock();
  EvpMdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, md(static_cast<int>(digest)), nullptr,
                                 state_->key.get()) != 1) {
    return sslFail(ErrorCode::CryptoFailure, "sign init");
  }
  if (scheme == SignatureScheme::RsaPss &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return sslFail(ErrorCode::CryptoFailure, "RSA-PSS parameters");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return sslFail(ErrorCode::CryptoFailure, "sign");
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return sslFail(ErrorCode::CryptoFailure, "sign with " + state_->source);
  }
  out.resize(len);
  return out;
}

}  // namespace lienthong::signing
