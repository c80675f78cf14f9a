// The inside of a TrustStore, shared by the validator, the verifiers and the TSA check, with the
// caches that make repeated verifications cheap: certificates parsed from signatures (by DER),
// certificate paths built by X509_verify_cert (by signer and extra certificates, for the store's
// generation) and CRL signatures already checked (per CRL, by issuer). Every cache is bounded,
// guarded by the mutex declared next to it, and emptied when the store changes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"
#include "ossl.h"

namespace lienthong::signing {

// Lets unordered maps keyed by std::string be searched with a std::string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The issuers (SHA-256 fingerprints of their certificate) whose key verified one CRL.
struct CrlSignatureChecks {
  mutable std::mutex mutex;  // guards verified_by
  mutable std::set<std::string> verified_by;
  bool verified(const std::string& issuer_sha256) const;
  void remember(const std::string& issuer_sha256) const;
};

struct TrustStore::State {
  std::vector<ossl::X509Ptr> anchors;
  std::vector<ossl::X509Ptr> intermediates;
  ossl::X509StorePtr store{nullptr, X509_STORE_free};  // holds the anchors
  struct Crl {
    ossl::X509CrlPtr crl;
    std::string origin;
    std::shared_ptr<const CrlSignatureChecks> checks = std::make_shared<CrlSignatureChecks>();
  };
  std::vector<Crl> crls;  // loaded with the store; immutable afterwards
  HttpFetch fetch;
  std::string version;  // the trust list version named in every report, "" when unversioned

  struct CachedCrl {
    ossl::X509CrlPtr crl{nullptr, X509_CRL_free};
    std::chrono::system_clock::time_point next_update;
    CrlSignatureChecks checks;
  };
  mutable std::mutex cache_mutex;  // guards crl_cache
  mutable std::map<std::string, std::shared_ptr<CachedCrl>> crl_cache;  // by URL

  // Bumped by every change of anchors, intermediates or CRLs; part of every path cache key.
  std::atomic<std::uint64_t> generation{0};

  // A path X509_verify_cert built and accepted, valid for any validation time in
  // [not_before, not_after] (the intersection of the validity of every certificate on it).
  struct CachedPath {
    ossl::X509StackPtr chain;            // signer first, anchor last; owns references
    std::vector<CertificateInfo> infos;  // one per chain entry
    std::time_t not_before = 0;
    std::time_t not_after = 0;
  };
  // Only accepted paths are cached; emptied when full.
  static constexpr std::size_t kMaxCachedPaths = 1024;
  mutable std::mutex path_mutex;  // guards path_cache
  mutable std::unordered_map<std::string, std::shared_ptr<const CachedPath>, StringHash,
                             std::equal_to<>>
      path_cache;

  // Certificates come from untrusted input: at most this many (a few MB), emptied when full.
  static constexpr std::size_t kMaxCachedCertificates = 1024;
  mutable std::mutex cert_mutex;  // guards cert_cache and fingerprints
  // By the base64 text of X509Certificate as found in signatures.
  mutable std::unordered_map<std::string, ossl::X509Ptr, StringHash, std::equal_to<>> cert_cache;
  // The SHA-256 fingerprints of the certificates cert_cache holds (its references keep each
  // address from being reused while the entry lives).
  mutable std::unordered_map<const X509*, std::string> fingerprints;

  // Empties the caches after a change.
  void changed();
  // The cached path for `key` when `at` is inside its validity, else nullptr.
  std::shared_ptr<const CachedPath> findPath(const std::string& key, std::time_t at) const;
  void rememberPath(const std::string& key, std::shared_ptr<const CachedPath> path) const;
  // The certificate of the base64 text of an X509Certificate element, decoded and parsed once
  // and shared (a new reference for the caller).
  Result<ossl::X509Ptr> certificateBase64(std::string_view text) const;
  // SHA-256 of the certificate's DER, hex; from the cache when it holds `cert`. Empty on failure.
  std::string fingerprint(X509* cert) const;
};

Result<ossl::X509CrlPtr> parseCrl(std::string_view bytes);

}  // namespace lienthong::signing
