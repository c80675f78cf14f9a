#include "lienthong/gateway/signature.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "lienthong/gateway/auth.h"
#include "lienthong/schemas/codec.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"

namespace lienthong::gateway {

namespace {

using signing::SubIndication;
using signing::ValidationReport;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

// What one DER certificate says about revocation: whether it names an OCSP responder or a CRL
// distribution point, and whether it is self-signed (a trust anchor, never checked).
struct CertSources {
  bool readable = false;
  bool names_source = false;
  bool self_signed = false;
};

CertSources inspect(const std::string& der) {
  CertSources out;
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!cert) return out;
  out.readable = true;
  out.self_signed = X509_check_issued(cert.get(), cert.get()) == X509_V_OK;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(cert.get());
  out.names_source = urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0;
  X509_email_free(urls);
  if (out.names_source) return out;
  auto* dps = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr));
  out.names_source = dps != nullptr && sk_DIST_POINT_num(dps) > 0;
  sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
  return out;
}

// Which revocation sources the certificates carried in the signature's KeyInfo name: the signer's
// (the first certificate, as XmlSigner writes it) and those of the CA certificates after it.
// A certificate that cannot be read here counts as naming one, so the checking verifier decides.
struct SignatureSources {
  bool signer = false;
  bool all_cas = true;
};

SignatureSources signatureSources(std::string_view bytes) {
  static constexpr std::string_view kTag = "X509Certificate>";
  SignatureSources out;
  bool first = true;
  std::size_t pos = 0;
  while ((pos = bytes.find(kTag, pos)) != std::string_view::npos) {
    const std::size_t start = pos + kTag.size();
    pos = start;
    if (start < kTag.size() + 1 || bytes[start - kTag.size() - 1] == '/') continue;  // a close tag
    const std::size_t end = bytes.find('<', start);
    if (end == std::string_view::npos) break;
    auto der = schemas::codec::decodeBase64(bytes.substr(start, end - start));
    const CertSources c = der ? inspect(*der) : CertSources{};
    const bool names = !c.readable || c.names_source;
    if (first) {
      out.signer = names;
      first = false;
    } else if (!c.self_signed && !names) {
      out.all_cas = false;
    }
    pos = end;
  }
  return out;
}

bool certificateProblem(SubIndication s) {
  switch (s) {
    case SubIndication::Revoked:
    case SubIndication::Expired:
    case SubIndication::NotYetValid:
    case SubIndication::NoSigningCertificateFound:
    case SubIndication::NoCertificateChainFound:
    case SubIndication::ChainConstraintsFailure:
    case SubIndication::CertificateChainGeneralFailure:
    case SubIndication::TryLater:
      return true;
    default:
      return false;
  }
}

class XmlChecker final : public EnvelopeChecker {
 public:
  XmlChecker(const signing::TrustStore& trust, const SignaturePolicy& policy,
             std::shared_ptr<const RoutingTable> routing, std::size_t max_bytes)
      : policy_(policy),
        routing_(std::move(routing)),
        trust_has_crls_(trust.crlCount() > 0),
        checking_(trust, validationPolicy(policy, true, true), limits(max_bytes)),
        signer_only_(trust, validationPolicy(policy, true, false), limits(max_bytes)),
        unchecked_(trust, validationPolicy(policy, false, false), limits(max_bytes)) {}

  Result<void> check(std::string_view bytes, bool /*is_signed*/, const EnvelopeContext& ctx,
                     std::string& report_json) const override {
    const signing::XmlVerifier* verifier = &checking_;
    std::string note;
    if (policy_.revocation == RevocationMode::Off) {
      verifier = &unchecked_;
    } else if (policy_.revocation == RevocationMode::Auto && !trust_has_crls_) {
      const SignatureSources sources = signatureSources(bytes);
      if (!sources.signer) {
        verifier = &unchecked_;
        note = "revocation not checked: the signer's certificate names no OCSP responder or CRL "
               "and the trust store holds no CRL (policy: check when a source is given)";
      } else if (!sources.all_cas) {
        verifier = &signer_only_;
        note = "revocation of the CA certificates not checked: they name no OCSP responder or CRL "
               "(policy: check when a source is given)";
      }
    }
    ValidationReport report = verifier->verify(bytes);
    if (!note.empty() && report.passed()) report.warnings.push_back(note);
    if (!report.passed() && report.sub_indication == SubIndication::TryLater &&
        policy_.accept_unknown_revocation) {
      ValidationReport again = unchecked_.verify(bytes);
      if (again.passed()) {
        again.revocation = report.revocation;
        again.warnings.push_back("revocation status UNKNOWN (" + report.detail +
                                 "); accepted by policy.accept_unknown_revocation");
        report = std::move(again);
      }
    }
    if (!report.passed()) {
      report_json = "{\"report\":" + report.toJson() + "}";
      return fail(certificateProblem(report.sub_indication) ? ErrorCode::CertificateInvalid
                                                            : ErrorCode::SignatureInvalid,
                  "signature " + std::string(signing::indicationName(report.indication)) + "/" +
                      std::string(signing::subIndicationName(report.sub_indication)) + ": " +
                      report.detail,
                  0, "Signature");
    }
    if (policy_.signer_must_match) {
      const std::string signer = report.signer ? report.signer->organ_id : std::string();
      if (!signerMayAct(signer, ctx)) {
        report_json = "{\"report\":" + report.toJson() + "}";
        return fail(ErrorCode::CertificateInvalid,
                    "the message is From " + ctx.from + " but signed by " +
                        (signer.empty() ? "a certificate without an OrganId ('" +
                                              (report.signer ? report.signer->subject : "") + "')"
                                        : signer) +
                        (ctx.is_status ? " (a status may be signed by its unit or by a gateway "
                                         "node's seal)"
                                       : ""),
                    0, "Signature");
      }
    }
    return {};
  }

 private:
  static signing::ValidationPolicy validationPolicy(const SignaturePolicy& p, bool check,
                                                   bool intermediates) {
    signing::ValidationPolicy v;
    v.allow_sha1 = p.allow_sha1;
    v.revocation.check = check && p.revocation != RevocationMode::Off;
    v.revocation.check_intermediates = intermediates;
    v.revocation.timeout = std::chrono::milliseconds(p.revocation_timeout_ms);
    return v;
  }
  static schemas::XmlLimits limits(std::size_t max_bytes) {
    schemas::XmlLimits l;
    l.max_bytes = max_bytes;
    return l;
  }

  bool signerMayAct(const std::string& signer, const EnvelopeContext& ctx) const {
    if (signer.empty()) return false;
    if (routing_->sameUnit(signer, ctx.from)) return true;
    if (!ctx.is_status) return false;
    for (const auto& seal : *nodeSeals()) {
      if (routing_->sameUnit(signer, seal)) return true;
    }
    return false;
  }

  // The units gateway nodes sign their statuses as, worked out once per directory version.
  std::shared_ptr<const std::vector<std::string>> nodeSeals() const {
    const auto dir = routing_->directory();
    std::lock_guard lock(seals_mu_);
    if (seals_of_ != dir) {
      auto out = std::make_shared<std::vector<std::string>>();
      for (const auto& n : dir->nodes()) {
        auto u = nodeTopUnit(*dir, n.name);
        if (!u.empty()) out->push_back(std::move(u));
      }
      seals_ = std::move(out);
      seals_of_ = dir;
    }
    return seals_;
  }

  SignaturePolicy policy_;
  std::shared_ptr<const RoutingTable> routing_;
  bool trust_has_crls_;
  mutable std::mutex seals_mu_;  // guards seals_of_ and seals_
  mutable std::shared_ptr<const schemas::Directory> seals_of_;
  mutable std::shared_ptr<const std::vector<std::string>> seals_;
  signing::XmlVerifier checking_;     // signer and CA certificates
  signing::XmlVerifier signer_only_;  // the signer's certificate only
  signing::XmlVerifier unchecked_;
};

class XmlStatusSigner final : public MessageSigner {
 public:
  explicit XmlStatusSigner(signing::SigningKey key) : signer_(std::move(key)) {}
  Result<std::string> sign(const schemas::StatusMessage& status) const override {
    if (auto r = status.check(); !r) return std::unexpected(r.error());
    return signer_.sign(status.serialize(false));
  }

 private:
  signing::XmlSigner signer_;
};

}  // namespace

std::string_view revocationModeName(RevocationMode m) {
  switch (m) {
    case RevocationMode::Auto: return "auto";
    case RevocationMode::Require: return "require";
    case RevocationMode::Off: return "off";
  }
  return "auto";
}

Result<std::shared_ptr<const EnvelopeChecker>> makeXmlChecker(
    const std::string& trust, const SignaturePolicy& policy,
    std::shared_ptr<const RoutingTable> routing, std::size_t max_bytes) {
  auto store = signing::TrustStore::load(trust);
  if (!store) {
    return fail(ErrorCode::Config, "trust.dir: '" + trust + "': " + store.error().message);
  }
  if (store->anchorCount() == 0) {
    return fail(ErrorCode::Config, "trust.dir: '" + trust + "' holds no trust anchor (a self-signed CA certificate)");
  }
  return std::shared_ptr<const EnvelopeChecker>(
      std::make_shared<XmlChecker>(*store, policy, std::move(routing), max_bytes));
}

Result<std::shared_ptr<const MessageSigner>> makeXmlSigner(const std::string& key,
                                                           const std::string& passphrase,
                                                           const std::string& certificates) {
  auto k = signing::SigningKey::load(key, passphrase, certificates);
  if (!k) return fail(k.error().code, "signing.key: '" + key + "': " + k.error().message);
  return std::shared_ptr<const MessageSigner>(std::make_shared<XmlStatusSigner>(std::move(*k)));
}

Result<BlobSigner> makeCmsSigner(const std::string& key, const std::string& passphrase,
                                 const std::string& certificates) {
  auto k = signing::SigningKey::load(key, passphrase, certificates);
  if (!k) return fail(k.error().code, "signing.key: '" + key + "': " + k.error().message);
  auto signer = std::make_shared<const signing::CmsSigner>(std::move(*k));
  return BlobSigner([signer](std::string_view content) { return signer->sign(content); });
}

Result<BlobVerifier> makeCmsVerifier(const std::string& trust, std::vector<std::string> allowed_signers) {
  auto store = signing::TrustStore::load(trust);
  if (!store) return fail(ErrorCode::Config, "trust: '" + trust + "': " + store.error().message);
  signing::ValidationPolicy policy;
  policy.revocation.check = false;
  auto verifier = std::make_shared<const signing::CmsVerifier>(*store, policy);
  return BlobVerifier([verifier, allowed = std::move(allowed_signers)](
                          std::string_view content, std::string_view der) -> Result<std::string> {
    auto report = verifier->verify(content, der);
    if (!report.passed()) {
      return fail(ErrorCode::SignatureInvalid,
                  std::string(signing::subIndicationName(report.sub_indication)) + ": " + report.detail);
    }
    if (!allowed.empty() &&
        (!report.signer || std::find(allowed.begin(), allowed.end(), report.signer->sha256) == allowed.end())) {
      return fail(ErrorCode::SignatureInvalid,
                  "signed by " + (report.signer ? report.signer->subject : std::string("an unknown certificate")) +
                      ", not by the node's own seal");
    }
    return report.signer ? report.signer->subject : std::string();
  });
}

Result<std::vector<std::string>> certificateFingerprints(const std::string& pem_file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(pem_file.c_str(), "r"), &BIO_free);
  if (!bio) return fail(ErrorCode::Io, "cannot read '" + pem_file + "'");
  std::vector<std::string> out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    out.push_back(certificateSha256(c));
    X509_free(c);
  }
  if (out.empty()) return fail(ErrorCode::InvalidArgument, "'" + pem_file + "' holds no PEM certificate");
  return out;
}

Result<std::string> sealFingerprint(const std::string& key, const std::string& passphrase,
                                    const std::string& certificates) {
  auto k = signing::SigningKey::load(key, passphrase, certificates);
  if (!k) return fail(k.error().code, "signing.key: '" + key + "': " + k.error().message);
  if (k->certificate() == nullptr) return fail(ErrorCode::InvalidArgument, "signing.key: '" + key + "' has no certificate");
  return certificateSha256(k->certificate());
}

std::string nodeTopUnit(const schemas::Directory& directory, const std::string& node) {
  for (const auto& u : directory.units()) {
    if (u.home_node != node) continue;
    const schemas::Unit* parent = u.parent.empty() ? nullptr : directory.find(u.parent);
    if (parent == nullptr || parent->home_node != node) return u.legacy_code.empty() ? u.code : u.legacy_code;
  }
  return {};
}

}  // namespace lienthong::gateway
