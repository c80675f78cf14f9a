#include "lienthong/signing/trust_store.h"

#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <fstream>
#include <sstream>

#include "lienthong/schemas/codec.h"
#include "trust_state.h"

namespace lienthong::signing {

using namespace ossl;

namespace {

Result<std::string> slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool selfSigned(X509* c) { return (X509_get_extension_flags(c) & EXFLAG_SS) != 0; }

Result<std::string> readAll(BIO* bio) {
  std::string out;
  char buf[16384];
  int n = 0;
  while ((n = BIO_read(bio, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// The TLS client context of one HttpFetch, made at its first https request.
class HttpsContext {
 public:
  explicit HttpsContext(std::string anchors_pem) : anchors_pem_(std::move(anchors_pem)) {}

  Result<SSL_CTX*> get() {
    std::lock_guard lock(mutex_);
    if (ctx_) return ctx_.get();
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx || SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
      return sslFail(ErrorCode::Internal, "TLS context");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (anchors_pem_.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
        return sslFail(ErrorCode::Config, "the system's CA certificates");
      }
    } else {
      auto certs = readCertificatesPem(anchors_pem_);
      if (!certs) return std::unexpected(certs.error());
      for (auto& c : *certs) {
        if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), c.get()) != 1) ERR_clear_error();
      }
    }
    ctx_ = std::move(ctx);
    return ctx_.get();
  }

 private:
  std::string anchors_pem_;
  std::mutex mutex_;  // guards ctx_
  SslCtxPtr ctx_;
};

// What the BIO callback of one https request needs.
struct TlsTarget {
  SSL_CTX* ctx = nullptr;
  std::string host;
};

// OpenSSL's HTTP client calls this after connecting (puts TLS over the socket, checking the
// server certificate and its name or IP address) and before disconnecting (takes TLS off).
BIO* tlsLayer(BIO* bio, void* arg, int connect, int detail) {
  const auto* target = static_cast<const TlsTarget*>(arg);
  if (connect != 0) {
    if (detail == 0) return bio;
    SSL* ssl = SSL_new(target->ctx);
    BIO* tls = BIO_new(BIO_f_ssl());
    if (ssl == nullptr || tls == nullptr) {
      SSL_free(ssl);
      BIO_free(tls);
      return nullptr;
    }
    ossl::Asn1OctetStringPtr ip(a2i_IPADDRESS(target->host.c_str()), ASN1_OCTET_STRING_free);
    ERR_clear_error();
    bool named = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target->host.c_str()) == 1
                    : SSL_set_tlsext_host_name(ssl, target->host.c_str()) == 1 &&
                          SSL_set1_host(ssl, target->host.c_str()) == 1;
    if (!named) {
      SSL_free(ssl);
      BIO_free(tls);
      return nullptr;
    }
    SSL_set_connect_state(ssl);
    BIO_set_ssl(tls, ssl, BIO_CLOSE);
    return BIO_push(tls, bio);
  }
  if (BIO_method_type(bio) != BIO_TYPE_SSL) return bio;
  BIO_ssl_shutdown(bio);
  BIO* inner = BIO_pop(bio);
  BIO_free(bio);
  ERR_clear_error();
  return inner;
}

struct UrlParts {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
};

Result<UrlParts> parseUrl(const std::string& url) {
  char* host = nullptr;
  char* port = nullptr;
  char* path = nullptr;
  int use_ssl = 0;
  if (OSSL_HTTP_parse_url(url.c_str(), &use_ssl, nullptr, &host, &port, nullptr, &path, nullptr,
                          nullptr) != 1) {
    return sslFail(ErrorCode::Network, "bad URL " + url);
  }
  UrlParts out{use_ssl != 0, host, port, path};
  OPENSSL_free(host);
  OPENSSL_free(port);
  OPENSSL_free(path);
  return out;
}

}  // namespace

HttpFetch defaultHttpFetch() { return defaultHttpFetch(std::string()); }

HttpFetch defaultHttpFetch(std::string tls_anchors_pem) {
  auto https = std::make_shared<HttpsContext>(std::move(tls_anchors_pem));
  return [https](const HttpRequest& r) -> Result<std::string> {
    const int timeout =
        std::max<int>(1, static_cast<int>((r.timeout.count() + 999) / 1000));
    constexpr std::size_t kMaxResponse = 64u << 20;
    auto url = parseUrl(r.url);
    if (!url) return std::unexpected(url.error());
    TlsTarget target;
    target.host = url->host;
    if (url->tls) {
      auto ctx = https->get();
      if (!ctx) return std::unexpected(ctx.error());
      target.ctx = *ctx;
    }
    OSSL_HTTP_bio_cb_t layer = url->tls ? tlsLayer : nullptr;
    BIO* resp = nullptr;
    if (r.body.empty()) {
      resp = OSSL_HTTP_get(r.url.c_str(), nullptr, nullptr, nullptr, nullptr, layer, &target, 0,
                           nullptr, nullptr, 0, kMaxResponse, timeout);
    } else {
      auto req = memBio(r.body);
      resp = OSSL_HTTP_transfer(nullptr, url->host.c_str(), url->port.c_str(), url->path.c_str(),
                                url->tls ? 1 : 0, nullptr, nullptr, nullptr, nullptr, layer,
                                &target, 0, nullptr, r.content_type.c_str(), req.get(), nullptr, 0,
                                kMaxResponse, timeout, 0);
    }
    if (resp == nullptr) return sslFail(ErrorCode::Network, "HTTP request to " + r.url + " failed");
    BioPtr owned(resp, BIO_free_all);
    return readAll(resp);
  };
}

TrustStore::TrustStore() : state_(std::make_shared<State>()) {
  state_->store.reset(X509_STORE_new());
  state_->fetch = defaultHttpFetch();
}

Result<void> TrustStore::addAnchorsPem(std::string_view pem) {
  auto certs = readCertificatesPem(pem);
  if (!certs) return std::unexpected(certs.error());
  for (auto& c : *certs) {
    if (X509_STORE_add_cert(state_->store.get(), c.get()) != 1) {
      ERR_clear_error();  // a duplicate anchor is harmless
    }
    state_->anchors.push_back(std::move(c));
  }
  state_->changed();
  return {};
}

Result<void> TrustStore::addIntermediatesPem(std::string_view pem) {
  auto certs = readCertificatesPem(pem);
  if (!certs) return std::unexpected(certs.error());
  for (auto& c : *certs) state_->intermediates.push_back(std::move(c));
  state_->changed();
  return {};
}

Result<void> TrustStore::addCertificatesPem(std::string_view pem) {
  auto certs = readCertificatesPem(pem);
  if (!certs) return std::unexpected(certs.error());
  for (auto& c : *certs) {
    if (selfSigned(c.get())) {
      X509_STORE_add_cert(state_->store.get(), c.get());
      ERR_clear_error();
      state_->anchors.push_back(std::move(c));
    } else {
      state_->intermediates.push_back(std::move(c));
    }
  }
  state_->changed();
  return {};
}

Result<void> TrustStore::addCrl(std::string_view pem_or_der, std::string origin) {
  auto crl = parseCrl(pem_or_der);
  if (!crl) return std::unexpected(crl.error());
  state_->crls.push_back(State::Crl{std::move(*crl), std::move(origin)});
  state_->changed();
  return {};
}

void TrustStore::setHttpFetch(HttpFetch fetch) { state_->fetch = std::move(fetch); }
void TrustStore::setVersion(std::string version) { state_->version = std::move(version); }
const std::string& TrustStore::version() const { return state_->version; }
std::size_t TrustStore::anchorCount() const { return state_->anchors.size(); }
std::size_t TrustStore::intermediateCount() const { return state_->intermediates.size(); }
std::size_t TrustStore::crlCount() const { return state_->crls.size(); }

Result<TrustStore> TrustStore::fromFolder(const std::filesystem::path& dir, bool require_anchor) {
  TrustStore ts;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  if (ec) return fail(ErrorCode::Io, "cannot list " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto ext = f.extension().string();
    if (ext != ".pem" && ext != ".crt" && ext != ".cer" && ext != ".crl") continue;
    auto bytes = slurp(f);
    if (!bytes) return std::unexpected(bytes.error());
    Result<void> r;
    if (ext == ".crl") {
      r = ts.addCrl(*bytes, "file:" + f.string());
    } else if (bytes->find("-----BEGIN") == std::string::npos) {
      auto c = readCertificateDer(*bytes);
      if (!c) {
        r = std::unexpected(c.error());
      } else {
        auto pem = BioPtr(BIO_new(BIO_s_mem()), BIO_free_all);
        PEM_write_bio_X509(pem.get(), c->get());
        r = ts.addCertificatesPem(bioString(pem.get()));
      }
    } else if (bytes->find("-----BEGIN X509 CRL") != std::string::npos) {
      r = ts.addCrl(*bytes, "file:" + f.string());
    } else {
      r = ts.addCertificatesPem(*bytes);
    }
    if (!r) {
      auto e = r.error();
      e.message = f.string() + ": " + e.message;
      return std::unexpected(e);
    }
  }
  if (require_anchor && ts.anchorCount() == 0) {
    return fail(ErrorCode::Config, "no trust anchor (self-signed certificate) in " + dir.string());
  }
  return ts;
}

Result<TrustStore> TrustStore::fromBundle(const std::filesystem::path& pem_file,
                                          bool require_anchor) {
  auto bytes = slurp(pem_file);
  if (!bytes) return std::unexpected(bytes.error());
  TrustStore ts;
  auto r = ts.addCertificatesPem(*bytes);
  if (!r) return std::unexpected(r.error());
  // A bundle may carry CRLs too.
  auto bio = memBio(*bytes);
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    ts.state_->crls.push_back(State::Crl{X509CrlPtr(crl, X509_CRL_free), "file:" + pem_file.string()});
  }
  ts.state_->changed();
  ERR_clear_error();
  if (require_anchor && ts.anchorCount() == 0) {
    return fail(ErrorCode::Config, "no trust anchor (self-signed certificate) in " + pem_file.string());
  }
  return ts;
}

Result<TrustStore> TrustStore::load(const std::filesystem::path& path, bool require_anchor) {
  if (std::filesystem::is_directory(path)) return fromFolder(path, require_anchor);
  return fromBundle(path, require_anchor);
}

bool CrlSignatureChecks::verified(const std::string& issuer_sha256) const {
  std::lock_guard lock(mutex);
  return verified_by.contains(issuer_sha256);
}

void CrlSignatureChecks::remember(const std::string& issuer_sha256) const {
  std::lock_guard lock(mutex);
  verified_by.insert(issuer_sha256);
}

void TrustStore::State::changed() {
  generation.fetch_add(1);
  {
    std::lock_guard lock(path_mutex);
    path_cache.clear();
  }
}

std::shared_ptr<const TrustStore::State::CachedPath> TrustStore::State::findPath(
    const std::string& key, std::time_t at) const {
  std::lock_guard lock(path_mutex);
  auto it = path_cache.find(key);
  if (it == path_cache.end() || at < it->second->not_before || at > it->second->not_after) {
    return nullptr;
  }
  return it->second;
}

void TrustStore::State::rememberPath(const std::string& key,
                                     std::shared_ptr<const CachedPath> path) const {
  std::lock_guard lock(path_mutex);
  if (path_cache.size() >= kMaxCachedPaths) path_cache.clear();
  path_cache[key] = std::move(path);
}

namespace {

std::string computeFingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
    ERR_clear_error();
    return {};
  }
  return hex(std::string_view(reinterpret_cast<char*>(md), n));
}

}  // namespace

Result<X509Ptr> TrustStore::State::certificateBase64(std::string_view text) const {
  {
    std::lock_guard lock(cert_mutex);
    auto it = cert_cache.find(text);
    if (it != cert_cache.end()) return upRef(it->second.get());
  }
  auto der = schemas::codec::decodeBase64(text);
  if (!der) return fail(ErrorCode::CertificateInvalid, "X509Certificate is not base64");
  auto parsed = readCertificateDer(*der);
  if (!parsed) return std::unexpected(parsed.error());
  // Fill OpenSSL's extension cache now, so that shared readers never race to fill it.
  X509_check_purpose(parsed->get(), -1, 0);
  std::string sha256 = computeFingerprint(parsed->get());
  std::lock_guard lock(cert_mutex);
  if (cert_cache.size() >= kMaxCachedCertificates) {
    fingerprints.clear();
    cert_cache.clear();
  }
  auto [it, inserted] = cert_cache.try_emplace(std::string(text), upRef(parsed->get()));
  if (inserted && !sha256.empty()) fingerprints.emplace(it->second.get(), std::move(sha256));
  return std::move(*parsed);
}

std::string TrustStore::State::fingerprint(X509* cert) const {
  {
    std::lock_guard lock(cert_mutex);
    auto it = fingerprints.find(cert);
    if (it != fingerprints.end()) return it->second;
  }
  return computeFingerprint(cert);
}

Result<X509CrlPtr> parseCrl(std::string_view bytes) {
  X509_CRL* crl = nullptr;
  if (bytes.find("-----BEGIN X509 CRL") != std::string_view::npos) {
    auto bio = memBio(bytes);
    crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()));
  }
  if (crl == nullptr) return sslFail(ErrorCode::CertificateInvalid, "not a CRL");
  return X509CrlPtr(crl, X509_CRL_free);
}

}  // namespace lienthong::signing
