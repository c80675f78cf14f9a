// Trust anchors, intermediate certificates and revocation data a verifier validates against, and
// the policy it applies. Anchors and intermediates come from a folder (*.pem, *.crt, *.cer; a
// self-signed certificate is an anchor, any other an intermediate; *.crl files are CRLs) or from a
// PEM bundle. CRLs fetched from a distribution point URL are cached until their nextUpdate.
// Thread-safe: the certificates are immutable after loading; the CRL cache has its own mutex.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

namespace lienthong::signing {

// Fetches bytes over HTTP for revocation (CRL GET, OCSP POST) and time-stamps. The default uses
// OpenSSL's HTTP client with the policy's timeout, over TLS (1.2 or later, server certificate and
// host name or IP address checked) for https URLs; tests and the gateway may pass their own.
struct HttpRequest {
  std::string url;
  std::string body;          // empty: GET
  std::string content_type;  // for POST
  std::chrono::milliseconds timeout{5000};
};
using HttpFetch = std::function<Result<std::string>(const HttpRequest&)>;
// https servers are checked against the system's CA certificates.
HttpFetch defaultHttpFetch();
// https servers are checked against the certificates of `tls_anchors_pem` only.
HttpFetch defaultHttpFetch(std::string tls_anchors_pem);

struct RevocationPolicy {
  bool check = true;       // false: status NOT_CHECKED with a warning, never an error
  bool use_ocsp = true;    // the certificate's AIA OCSP URL (or ocsp_url)
  bool use_crl = true;     // CRLs of the trust store, then the certificate's CRL distribution point
  std::string ocsp_url;    // overrides the AIA URL when set
  bool ocsp_nonce = true;  // send a nonce and require it back
  // An OCSP response older than this (thisUpdate) without nextUpdate is stale.
  std::chrono::seconds ocsp_max_age{std::chrono::hours(24)};
  std::chrono::seconds clock_skew{300};
  std::chrono::milliseconds timeout{5000};
  // Also check intermediate CA certificates, not only the signer's.
  bool check_intermediates = true;
  // Check a certificate of the built path only when it names a source (OCSP, CRL distribution
  // point) or the store holds CRLs; others are skipped with a warning. Decided per certificate
  // of the path built from the verified signer, never from what the signature lists first.
  bool only_when_named = false;
};

struct ValidationPolicy {
  bool allow_sha1 = false;  // legacy rsa-sha1 samples: accepted with a "weak" warning when true
  int min_rsa_bits = 2048;
  // The signer certificate must carry digitalSignature or nonRepudiation in keyUsage.
  bool require_key_usage = true;
  RevocationPolicy revocation;
  // Validate as of this time instead of the signing time (tests, re-validation).
  std::optional<std::chrono::system_clock::time_point> validation_time;
  // Without a verified time-stamp the certificate is judged now: expired now gives
  // OUT_OF_BOUNDS_NO_POE, revoked now REVOKED_NO_POE (both INDETERMINATE). With this set, a
  // claimed signing time that the signature covers (the CMS signing-time signed attribute, a
  // PDF's /M inside the byte range) is used as the signing time instead; a SigningTime outside
  // what the signature covers (an XML Object no Reference points to) never is. Off by default.
  bool trust_claimed_signing_time = false;
};

class TrustStore {
 public:
  TrustStore();
  // Config error when no anchor is found, unless `require_anchor` is false (a local folder
  // beside the built-in trust list may hold only intermediates and CRLs).
  static Result<TrustStore> fromFolder(const std::filesystem::path& dir, bool require_anchor = true);
  static Result<TrustStore> fromBundle(const std::filesystem::path& pem_file,
                                       bool require_anchor = true);
  // Loads a folder or a bundle depending on what `path` is.
  static Result<TrustStore> load(const std::filesystem::path& path, bool require_anchor = true);

  Result<void> addAnchorsPem(std::string_view pem);
  Result<void> addIntermediatesPem(std::string_view pem);
  // Adds every certificate of `pem`, sorting self-signed ones into anchors.
  Result<void> addCertificatesPem(std::string_view pem);
  Result<void> addCrl(std::string_view pem_or_der, std::string origin = "memory");
  void setHttpFetch(HttpFetch fetch);
  // The trust list version validation reports name (see trust_list.h); "" when unversioned.
  void setVersion(std::string version);
  const std::string& version() const;

  std::size_t anchorCount() const;
  std::size_t intermediateCount() const;
  std::size_t crlCount() const;

  struct State;
  const State& state() const { return *state_; }

 private:
  std::shared_ptr<State> state_;
};

}  // namespace lienthong::signing
