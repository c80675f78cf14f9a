#include "lienthong/signing/certificate_validator.h"

#include <openssl/ocsp.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <optional>

#include "lienthong/schemas/organ_id.h"
#include "trust_state.h"

namespace lienthong::signing {

using namespace ossl;
using Clock = std::chrono::system_clock;

namespace {

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()), BIO_free_all);
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bioString(bio.get());
}

// Whether `s` is well-formed UTF-8 with at least one multi-byte sequence.
bool multibyteUtf8(std::string_view s) {
  bool multi = false;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    multi = multi || len > 1;
    i += len;
  }
  return multi;
}

std::vector<std::string> entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  int pos = -1;
  while ((pos = X509_NAME_get_index_by_NID(name, nid, pos)) >= 0) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, pos));
    // Some CAs put UTF-8 bytes in a TeletexString: read as Latin-1 they would lose the
    // Vietnamese diacritics ("Nguyá»…n"), so valid multi-byte UTF-8 there is taken as it is.
    const int type = ASN1_STRING_type(s);
    if (type == V_ASN1_T61STRING || type == V_ASN1_PRINTABLESTRING || type == V_ASN1_IA5STRING) {
      const std::string_view raw(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s)));
      if (multibyteUtf8(raw)) {
        out.emplace_back(raw);
        continue;
      }
    }
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n >= 0) {
      out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
  }
  return out;
}

std::string first(const std::vector<std::string>& v) { return v.empty() ? std::string() : v[0]; }

std::string crlTime(const ASN1_TIME* t) { return t ? isoTime(fromAsn1Time(t)) : std::string(); }

}  // namespace

Result<std::vector<CertificateInfo>> describeCertificates(std::string_view pem_or_der) {
  std::vector<CertificateInfo> out;
  if (pem_or_der.find("-----BEGIN") != std::string_view::npos) {
    auto certs = ossl::readCertificatesPem(pem_or_der);
    if (!certs) return std::unexpected(certs.error());
    for (const auto& c : *certs) out.push_back(certificateInfo(c.get()));
  } else {
    auto c = ossl::readCertificateDer(pem_or_der);
    if (!c) return std::unexpected(c.error());
    out.push_back(certificateInfo(c->get()));
  }
  if (out.empty()) return fail(ErrorCode::CertificateInvalid, "no certificate in it");
  return out;
}

std::vector<std::filesystem::path> certificateFilesIn(const std::filesystem::path& file_or_folder) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(file_or_folder, ec)) return {file_or_folder};
  for (const auto& e : std::filesystem::directory_iterator(file_or_folder, ec)) {
    const auto ext = e.path().extension().string();
    if (ext == ".pem" || ext == ".crt" || ext == ".cer") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

CertificateInfo certificateInfo(X509* cert) {
  CertificateInfo info;
  const X509_NAME* subject = X509_get_subject_name(cert);
  info.subject = nameText(subject);
  info.issuer = nameText(X509_get_issuer_name(cert));
  info.common_name = first(entries(subject, NID_commonName));
  info.organization = first(entries(subject, NID_organizationName));
  info.uids = entries(subject, NID_userId);
  // organizationIdentifier names the unit outright; a UID or OU counts only when it is written in
  // a government form (legacy or Decision 20/2020): since codes of the "other" family parse too,
  // "MST:0100109106" or "CCCD:..." would otherwise pass for an OrganId.
  for (const auto& c : entries(subject, NID_organizationIdentifier)) {
    if (auto id = schemas::OrganId::parse(c)) {
      info.organ_id = id->str();
      break;
    }
  }
  for (int nid : {NID_userId, NID_organizationalUnitName}) {
    if (!info.organ_id.empty()) break;
    for (const auto& c : entries(subject, nid)) {
      auto id = schemas::OrganId::parse(c);
      if (id && id->form() != schemas::OrganId::Form::Other) {
        info.organ_id = id->str();
        break;
      }
    }
  }
  BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr), BN_free);
  if (bn) {
    char* h = BN_bn2hex(bn.get());
    info.serial = h;
    OPENSSL_free(h);
  }
  info.not_before = isoTime(fromAsn1Time(X509_get0_notBefore(cert)));
  const auto end = fromAsn1Time(X509_get0_notAfter(cert));
  info.not_after = isoTime(end);
  info.not_after_unix = std::chrono::duration_cast<std::chrono::seconds>(end.time_since_epoch()).count();
  info.sha256 = hex(digest(certificateDer(cert), EVP_sha256()));
  return info;
}

void applyClaimedTime(ValidationReport& report, const ValidationPolicy& policy,
                      Clock::time_point& at) {
  if (report.signing_time_source != "validation" || !report.claimed_time) return;
  if (*report.claimed_time > Clock::now() + policy.revocation.clock_skew) {
    report.warnings.push_back("the claimed signing time " + isoTime(*report.claimed_time) +
                              " lies in the future");
    return;
  }
  if (!report.claimed_time_signed || !policy.trust_claimed_signing_time) return;
  at = *report.claimed_time;
  report.signing_time_source = "claimed";
  report.warnings.push_back("the claimed signing time " + isoTime(at) +
                            " is used as the signing time (policy trusts claimed times)");
}

CertificateValidator::CertificateValidator(TrustStore store, ValidationPolicy policy)
    : store_(std::move(store)), policy_(std::move(policy)) {}

namespace {

class RevocationChecker {
 public:
  RevocationChecker(const TrustStore::State& st, const RevocationPolicy& p, STACK_OF(X509)* chain)
      : st_(st), p_(p), chain_(chain) {}

  // `issuer_sha256`: the fingerprint of the issuer certificate, for the CRL signature cache.
  RevocationInfo check(X509* cert, X509* issuer, const std::string& issuer_sha256) const {
    RevocationInfo info;
    info.status = RevocationStatus::Unknown;
    std::string why;
    if (p_.use_ocsp) {
      auto r = ocsp(cert, issuer);
      if (r.status == RevocationStatus::Good || r.status == RevocationStatus::Revoked) return r;
      if (!r.detail.empty()) why = r.detail;
    }
    if (p_.use_crl) {
      auto r = crl(cert, issuer, issuer_sha256);
      if (r.status == RevocationStatus::Good || r.status == RevocationStatus::Revoked) return r;
      if (!r.detail.empty()) why += (why.empty() ? "" : "; ") + r.detail;
    }
    info.detail = why.empty() ? "no revocation source (no OCSP URL, no CRL)" : why;
    return info;
  }

 private:
  RevocationInfo ocsp(X509* cert, X509* issuer) const {
    RevocationInfo info;
    info.status = RevocationStatus::Unknown;
    std::string url = p_.ocsp_url;
    if (url.empty()) {
      STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
      if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
      X509_email_free(urls);
    }
    if (url.empty()) return info;
    info.source = "OCSP " + url;
    OcspRequestPtr req(OCSP_REQUEST_new(), OCSP_REQUEST_free);
    OCSP_CERTID* id = OCSP_cert_to_id(nullptr, cert, issuer);
    if (!req || id == nullptr) {
      OCSP_CERTID_free(id);
      info.detail = "OCSP request: " + lastError();
      return info;
    }
    OcspCertIdPtr id_copy(OCSP_CERTID_dup(id), OCSP_CERTID_free);
    OCSP_request_add0_id(req.get(), id);
    if (p_.ocsp_nonce) OCSP_request_add1_nonce(req.get(), nullptr, -1);
    unsigned char* der = nullptr;
    int n = i2d_OCSP_REQUEST(req.get(), &der);
    std::string body(reinterpret_cast<char*>(der), static_cast<std::size_t>(std::max(n, 0)));
    OPENSSL_free(der);
    auto bytes = st_.fetch(HttpRequest{url, body, "application/ocsp-request", p_.timeout});
    if (!bytes) {
      info.detail = "OCSP " + url + " unreachable: " + bytes.error().message;
      return info;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(bytes->size())),
                         OCSP_RESPONSE_free);
    if (!resp || OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
      info.detail = "OCSP " + url + " gave no successful response";
      ERR_clear_error();
      return info;
    }
    OcspBasicPtr basic(OCSP_response_get1_basic(resp.get()), OCSP_BASICRESP_free);
    if (!basic) {
      info.detail = "OCSP response without a basic response";
      return info;
    }
    if (p_.ocsp_nonce && OCSP_check_nonce(req.get(), basic.get()) != 1) {
      info.detail = "OCSP response nonce does not match the request";
      return info;
    }
    if (OCSP_basic_verify(basic.get(), chain_, st_.store.get(), 0) <= 0) {
      info.detail = "OCSP response signature not trusted: " + lastError();
      return info;
    }
    int status = 0;
    int reason = 0;
    ASN1_GENERALIZEDTIME* revtime = nullptr;
    ASN1_GENERALIZEDTIME* thisupd = nullptr;
    ASN1_GENERALIZEDTIME* nextupd = nullptr;
    if (OCSP_resp_find_status(basic.get(), id_copy.get(), &status, &reason, &revtime, &thisupd,
                              &nextupd) != 1) {
      info.detail = "OCSP response does not name the certificate";
      return info;
    }
    if (OCSP_check_validity(thisupd, nextupd, static_cast<long>(p_.clock_skew.count()),
                            nextupd != nullptr ? -1 : static_cast<long>(p_.ocsp_max_age.count())) != 1) {
      info.detail = "OCSP response is not fresh: " + lastError();
      return info;
    }
    info.produced_at = crlTime(thisupd);
    if (status == V_OCSP_CERTSTATUS_GOOD) {
      info.status = RevocationStatus::Good;
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
      info.status = RevocationStatus::Revoked;
      info.revoked_at = crlTime(revtime);
    } else {
      info.detail = "OCSP responder does not know the certificate";
    }
    return info;
  }

  // Checks `cert` against a CRL issued by `issuer`; nullopt-like Unknown when the CRL does not fit.
  // The signature check is done once per CRL and issuer certificate (`checks` remembers it).
  RevocationInfo against(X509_CRL* c, const CrlSignatureChecks& checks, const std::string& origin,
                         X509* cert, X509* issuer, const std::string& issuer_sha256) const {
    RevocationInfo info;
    info.status = RevocationStatus::Unknown;
    info.source = "CRL " + origin;
    if (X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(issuer)) != 0) return info;
    const bool cacheable = !issuer_sha256.empty();
    if (!cacheable || !checks.verified(issuer_sha256)) {
      EVP_PKEY* key = X509_get0_pubkey(issuer);
      if (key == nullptr || X509_CRL_verify(c, key) != 1) {
        ERR_clear_error();
        info.detail = "CRL " + origin + " is not signed by the issuer";
        return info;
      }
      if (cacheable) checks.remember(issuer_sha256);
    }
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(c);
    if (next != nullptr && X509_cmp_time(next, nullptr) < 0) {
      info.detail = "CRL " + origin + " is stale (nextUpdate " + crlTime(next) + ")";
      return info;
    }
    info.produced_at = crlTime(X509_CRL_get0_lastUpdate(c));
    X509_REVOKED* rev = nullptr;
    if (X509_CRL_get0_by_cert(c, &rev, cert) == 1) {
      info.status = RevocationStatus::Revoked;
      info.revoked_at = crlTime(X509_REVOKED_get0_revocationDate(rev));
    } else {
      info.status = RevocationStatus::Good;
    }
    return info;
  }

  RevocationInfo crl(X509* cert, X509* issuer, const std::string& issuer_sha256) const {
    RevocationInfo last;
    last.status = RevocationStatus::Unknown;
    // Every CRL of the store that fits is read: one that lists the certificate wins over an
    // older one that does not.
    std::optional<RevocationInfo> good;
    for (const auto& c : st_.crls) {
      auto r = against(c.crl.get(), *c.checks, c.origin, cert, issuer, issuer_sha256);
      if (r.status == RevocationStatus::Revoked) return r;
      if (r.status == RevocationStatus::Good && !good) good = std::move(r);
      if (!r.detail.empty()) last.detail = r.detail;
    }
    if (good) return *good;
    auto* dps = static_cast<STACK_OF(DIST_POINT)*>(
        X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
    std::vector<std::string> urls;
    for (int i = 0; dps != nullptr && i < sk_DIST_POINT_num(dps); ++i) {
      DIST_POINT* dp = sk_DIST_POINT_value(dps, i);
      if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
      GENERAL_NAMES* names = dp->distpoint->name.fullname;
      for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
        GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
        if (gn->type != GEN_URI) continue;
        const ASN1_IA5STRING* uri = gn->d.uniformResourceIdentifier;
        std::string u(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<std::size_t>(ASN1_STRING_length(uri)));
        if (u.starts_with("http://")) urls.push_back(u);
      }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    for (const auto& url : urls) {
      auto cached = fetchCrl(url);
      if (!cached) {
        last.detail = cached.error().message;
        continue;
      }
      auto r = against((*cached)->crl.get(), (*cached)->checks, url, cert, issuer, issuer_sha256);
      if (r.status != RevocationStatus::Unknown) return r;
      if (!r.detail.empty()) last.detail = r.detail;
    }
    return last;
  }

  Result<std::shared_ptr<TrustStore::State::CachedCrl>> fetchCrl(const std::string& url) const {
    {
      std::lock_guard lock(st_.cache_mutex);
      auto it = st_.crl_cache.find(url);
      if (it != st_.crl_cache.end() && it->second->next_update > Clock::now()) return it->second;
    }
    auto bytes = st_.fetch(HttpRequest{url, {}, {}, p_.timeout});
    if (!bytes) return fail(ErrorCode::Network, "CRL " + url + " unreachable: " + bytes.error().message);
    auto parsed = parseCrl(*bytes);
    if (!parsed) return fail(ErrorCode::CertificateInvalid, "CRL " + url + ": " + parsed.error().message);
    auto entry = std::make_shared<TrustStore::State::CachedCrl>();
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(parsed->get());
    entry->next_update = next != nullptr ? fromAsn1Time(next) : Clock::now() + std::chrono::hours(1);
    entry->crl = std::move(*parsed);
    std::lock_guard lock(st_.cache_mutex);
    st_.crl_cache[url] = entry;
    return entry;
  }

  const TrustStore::State& st_;
  const RevocationPolicy& p_;
  STACK_OF(X509)* chain_;
};

SubIndication chainFailure(int err) {
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED: return SubIndication::Expired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return SubIndication::NotYetValid;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: return SubIndication::NoCertificateChainFound;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_INVALID_PURPOSE:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN: return SubIndication::ChainConstraintsFailure;
    default: return SubIndication::CertificateChainGeneralFailure;
  }
}

}  // namespace

namespace {

// The path cache key: the store's generation, the signer, then the extra certificates in a fixed
// order (a path found with an intermediate from one signature is not reused for another that
// lacks it). Empty when a fingerprint cannot be computed: no caching then.
std::string pathKey(const TrustStore::State& st, X509* signer, const std::vector<X509*>& extra) {
  std::string key = st.fingerprint(signer);
  if (key.empty()) return {};
  std::vector<std::string> others;
  for (X509* c : extra) {
    others.push_back(st.fingerprint(c));
    if (others.back().empty()) return {};
  }
  std::sort(others.begin(), others.end());
  key = std::to_string(st.generation.load()) + ":" + key;
  for (const auto& o : others) key += "," + o;
  return key;
}

std::time_t asn1Seconds(const ASN1_TIME* t) { return Clock::to_time_t(fromAsn1Time(t)); }

// "2026-11-20T03:04:05Z", as isoTime writes it.
std::optional<Clock::time_point> parseIsoTime(const std::string& s) {
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != 0) return std::nullopt;
  return Clock::from_time_t(timegm(&tm));
}

// The signing time a revocation date may be compared with: one a verified time-stamp proves,
// or a claimed one when the policy trusts it.
std::optional<Clock::time_point> provenSigningTime(const ValidationReport& report,
                                                   const ValidationPolicy& policy) {
  if (!report.signing_time) return std::nullopt;
  if (report.signing_time_source == "timestamp") return report.signing_time;
  if (report.signing_time_source == "claimed" && policy.trust_claimed_signing_time) {
    return report.signing_time;
  }
  return std::nullopt;
}

// Whether `at` comes from something other than the wall clock: a verified time-stamp, a signed
// claimed time the policy trusts, or a validation time the caller fixed.
bool hasProofOfExistence(const ValidationReport& report, const ValidationPolicy& policy) {
  if (policy.validation_time) return true;
  return report.signing_time_source == "timestamp" ||
         (report.signing_time_source == "claimed" && policy.trust_claimed_signing_time);
}

// Whether a certificate names a revocation source of its own (OCSP in AIA, a CRL distribution
// point).
bool namesRevocationSource(X509* cert) {
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert);
  const bool ocsp = urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0;
  X509_email_free(urls);
  if (ocsp) return true;
  auto* dps = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  const bool crl = dps != nullptr && sk_DIST_POINT_num(dps) > 0;
  sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
  return crl;
}

}  // namespace

bool CertificateValidator::validate(X509* signer, const std::vector<X509*>& extra_certs,
                                    Clock::time_point at, ValidationReport& report) const {
  const auto& st = store_.state();
  const std::time_t at_seconds = Clock::to_time_t(at);
  const std::string key = pathKey(st, signer, extra_certs);
  std::shared_ptr<const TrustStore::State::CachedPath> path;
  if (!key.empty()) path = st.findPath(key, at_seconds);

  report.signer = path ? path->infos.front() : certificateInfo(signer);
  report.trust_list = st.version;
  report.key_bits = EVP_PKEY_get_bits(X509_get0_pubkey(signer));
  if (EVP_PKEY_get_base_id(X509_get0_pubkey(signer)) == EVP_PKEY_RSA &&
      report.key_bits < policy_.min_rsa_bits) {
    report.setFailure(SubIndication::CryptoConstraintsFailure,
                      "RSA key of " + std::to_string(report.key_bits) + " bits is below " +
                          std::to_string(policy_.min_rsa_bits));
    return false;
  }

  if (!path) {
    X509StackRef untrusted(sk_X509_new_null());
    for (const auto& c : st.intermediates) sk_X509_push(untrusted.get(), c.get());
    for (X509* c : extra_certs) sk_X509_push(untrusted.get(), c);
    X509StoreCtxPtr ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    if (!ctx || X509_STORE_CTX_init(ctx.get(), st.store.get(), signer, untrusted.get()) != 1) {
      report.setFailure(SubIndication::CertificateChainGeneralFailure, "X509 store: " + lastError());
      return false;
    }
    X509_STORE_CTX_set_time(ctx.get(), 0, at_seconds);
    int ok = X509_verify_cert(ctx.get());
    X509StackPtr chain(X509_STORE_CTX_get1_chain(ctx.get()));
    std::vector<CertificateInfo> infos;
    for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
      infos.push_back(i == 0 ? *report.signer : certificateInfo(sk_X509_value(chain.get(), i)));
    }
    if (ok != 1 || !chain || sk_X509_num(chain.get()) == 0) {
      int err = X509_STORE_CTX_get_error(ctx.get());
      int depth = X509_STORE_CTX_get_error_depth(ctx.get());
      ERR_clear_error();
      report.chain = std::move(infos);
      std::string why = std::string("certificate path: ") + X509_verify_cert_error_string(err) +
                        " (depth " + std::to_string(depth) + ", at " + isoTime(at) + ")";
      SubIndication sub = chainFailure(err);
      // Expired now, and nothing but the signature's own claim says it was made earlier: the
      // signature cannot be judged (ETSI EN 319 102-1 OUT_OF_BOUNDS_NO_POE), never valid.
      if (sub == SubIndication::Expired && !hasProofOfExistence(report, policy_)) {
        sub = SubIndication::OutOfBoundsNoPoe;
        why += "; no time-stamp proves the signature was made before the expiry";
        if (report.claimed_time) why += " (claimed signing time " + isoTime(*report.claimed_time) + ")";
      }
      report.setFailure(sub, std::move(why));
      return false;
    }
    auto fresh = std::make_shared<TrustStore::State::CachedPath>();
    fresh->not_before = std::numeric_limits<std::time_t>::min();
    fresh->not_after = std::numeric_limits<std::time_t>::max();
    for (int i = 0; i < sk_X509_num(chain.get()); ++i) {
      X509* c = sk_X509_value(chain.get(), i);
      fresh->not_before = std::max(fresh->not_before, asn1Seconds(X509_get0_notBefore(c)));
      fresh->not_after = std::min(fresh->not_after, asn1Seconds(X509_get0_notAfter(c)));
    }
    fresh->chain = std::move(chain);
    fresh->infos = std::move(infos);
    path = fresh;
    if (!key.empty()) st.rememberPath(key, std::move(fresh));
  }
  report.chain = path->infos;

  std::uint32_t ku = X509_get_key_usage(signer);
  if (ku == UINT32_MAX) {
    if (policy_.require_key_usage) {
      report.setFailure(SubIndication::ChainConstraintsFailure,
                        "the signer certificate has no keyUsage extension");
      return false;
    }
    report.warnings.push_back("the signer certificate has no keyUsage extension");
  } else if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
    report.setFailure(SubIndication::ChainConstraintsFailure,
                      "keyUsage of the signer certificate allows neither digitalSignature nor "
                      "nonRepudiation");
    return false;
  }
  if (X509_cmp_time(X509_get0_notAfter(signer), nullptr) < 0) {
    report.warnings.push_back("the signer certificate has expired since the signing time");
  }

  if (!policy_.revocation.check) {
    report.revocation.status = RevocationStatus::NotChecked;
    report.warnings.push_back("revocation was not checked (policy)");
    return true;
  }
  // The checker gets a stack of its own: OpenSSL may sort a stack it searches.
  X509StackRef chain(sk_X509_dup(path->chain.get()));
  RevocationChecker checker(st, policy_.revocation, chain.get());
  const int n = sk_X509_num(chain.get());
  const int last = policy_.revocation.check_intermediates ? n - 1 : std::min(1, n - 1);
  for (int i = 0; i < last; ++i) {
    X509* cert = sk_X509_value(chain.get(), i);
    X509* issuer = sk_X509_value(chain.get(), i + 1);
    std::string who = i == 0 ? "the signer certificate" : "CA certificate " + report.chain[i].subject;
    // Which certificates are checked comes from the path built from the verified signer, never
    // from the order or content of what the signature carries.
    if (policy_.revocation.only_when_named && st.crls.empty() && policy_.revocation.ocsp_url.empty() &&
        !namesRevocationSource(cert)) {
      report.warnings.push_back("revocation of " + who +
                                " not checked: it names no OCSP responder or CRL and the trust "
                                "store holds no CRL (policy: check when a source is given)");
      if (i == 0) report.revocation.status = RevocationStatus::NotChecked;
      continue;
    }
    RevocationInfo info = checker.check(cert, issuer, path->infos[static_cast<std::size_t>(i) + 1].sha256);
    if (i == 0) report.revocation = info;
    if (info.status == RevocationStatus::Revoked) {
      const auto proven = provenSigningTime(report, policy_);
      const auto revoked_at = parseIsoTime(info.revoked_at);
      if (proven && revoked_at && *proven < *revoked_at) {
        report.warnings.push_back(
            who + " was revoked on " + info.revoked_at + " (" + info.source +
            "), after the signing time " + isoTime(*proven) + " proven by " +
            (report.signing_time_source == "timestamp" ? "a time-stamp"
                                                       : "the claimed signing time (policy)"));
        continue;
      }
      if (!proven) {
        report.setFailure(SubIndication::RevokedNoPoe,
                          who + " is revoked since " + info.revoked_at + " (" + info.source +
                              "); no time-stamp proves the signature older" +
                              (report.claimed_time
                                   ? " (claimed signing time " + isoTime(*report.claimed_time) + ")"
                                   : std::string()));
        return false;
      }
      report.setFailure(SubIndication::Revoked, who + " is revoked since " + info.revoked_at + " (" +
                                                    info.source + "), before the signing time " +
                                                    isoTime(*proven));
      return false;
    }
    if (info.status != RevocationStatus::Good) {
      report.setFailure(SubIndication::TryLater,
                        "revocation status of " + who + " is unknown: " + info.detail);
      return false;
    }
  }
  return true;
}

}  // namespace lienthong::signing
