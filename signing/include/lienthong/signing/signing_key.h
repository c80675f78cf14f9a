// A signing credential: a private key plus its certificate and chain. The key may live in an
// encrypted PKCS#8 PEM file, a PKCS#12 file, or a PKCS#11 token (through the libp11 "pkcs11"
// OpenSSL engine); code that signs only calls sign() and never cares where the key lives.
// Copies share one immutable state; thread-safe (token operations are serialized internally).
#pragma once

#include <openssl/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/algorithms.h"

namespace lienthong::signing {

enum class KeyAlgorithm { Rsa, Ec };

struct Pkcs11Options {
  std::string uri;  // RFC 7512, e.g. "pkcs11:token=node;object=seal;type=private"
  std::string pin;  // user PIN; may also be given in the URI as pin-value
  // The PKCS#11 module (SoftHSM: /usr/lib/softhsm/libsofthsm2.so); empty = p11-kit default.
  std::filesystem::path module;
  // The libp11 engine shared object; empty = the system's engines-3/pkcs11.so.
  std::filesystem::path engine;
  // PEM with the certificate (leaf first, then chain); empty = read the certificate from the
  // token with the same URI (type=cert).
  std::filesystem::path certificate;
};

class SigningKey {
 public:
  // Encrypted (or plain) PKCS#8 / traditional PEM key; `certificates_pem` holds the signer's
  // certificate first, then its chain. KeyUnavailable with OpenSSL's reason on a wrong
  // passphrase; CertificateInvalid when the certificate does not match the key.
  static Result<SigningKey> fromPem(std::string_view key_pem, std::string_view passphrase,
                                    std::string_view certificates_pem);
  static Result<SigningKey> fromPemFiles(const std::filesystem::path& key_pem,
                                         std::string_view passphrase,
                                         const std::filesystem::path& certificates_pem);
  static Result<SigningKey> fromPkcs12(std::string_view der, std::string_view passphrase);
  static Result<SigningKey> fromPkcs12File(const std::filesystem::path& p12,
                                           std::string_view passphrase);
  static Result<SigningKey> fromPkcs11(const Pkcs11Options& options);
  // One entry point for commands and configuration: a "pkcs11:" URI, a .p12/.pfx file, or a PEM
  // key file (then `certificates` is required; for PKCS#11 it is optional).
  static Result<SigningKey> load(const std::string& key, std::string_view passphrase,
                                 const std::filesystem::path& certificates,
                                 const std::filesystem::path& pkcs11_module = {});

  KeyAlgorithm algorithm() const;
  int bits() const;
  // Where the key lives, for logs: "pem:/path", "pkcs12:/path", "pkcs11:..." (never the PIN).
  const std::string& source() const;
  // The signer's certificate and the certificates above it (not owned by the caller; valid while
  // any copy of this SigningKey lives).
  X509* certificate() const;
  const std::vector<X509*>& chain() const;
  // The private key handle, for OpenSSL APIs that sign themselves (CMS, TS). Valid while any
  // copy of this SigningKey lives; do not use it from several threads for a token key.
  EVP_PKEY* privateKey() const;
  // DER of the signer's certificate.
  std::string certificateDer() const;
  // Signs `data` (hashing it with `digest`). For ECDSA the result is DER (r, s); XMLDSig callers
  // convert. `scheme` must fit the key (RsaPss / RsaPkcs1 for RSA, Ecdsa for EC).
  Result<std::string> sign(std::string_view data, DigestAlgorithm digest,
                           SignatureScheme scheme) const;
  // The natural scheme for the key: RsaPkcs1 for RSA, Ecdsa for EC.
  SignatureScheme defaultScheme() const;

  struct State;

 private:
  explicit SigningKey(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace lienthong::signing
