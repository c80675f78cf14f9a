#include "lienthong/gateway/node/signature.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <mutex>

#include "lienthong/gateway/http/auth.h"
#include "lienthong/schemas/codec.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/trust_list.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/validation_report.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"

namespace lienthong::gateway {

namespace {

using signing::SubIndication;
using signing::ValidationReport;

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
    case SubIndication::OutOfBoundsNoPoe:
    case SubIndication::RevokedNoPoe:
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
        checking_(trust, validationPolicy(policy, true), limits(max_bytes)),
        unchecked_(trust, validationPolicy(policy, false), limits(max_bytes)) {}

  Result<void> check(std::string_view bytes, bool /*is_signed*/, const EnvelopeContext& ctx,
                     std::string& report_json) const override {
    // Which certificates are checked for revocation (policy auto: those that name a source) is
    // decided by the validator on the path built from the verified signer, never from the order
    // of the certificates in KeyInfo.
    const signing::XmlVerifier* verifier =
        policy_.revocation == RevocationMode::Off ? &unchecked_ : &checking_;
    ValidationReport report = verifier->verify(bytes);
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
      if (!signerMayAct(signer, ctx) && !(report.signer && realProfileMatches(*report.signer, ctx))) {
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
  static signing::ValidationPolicy validationPolicy(const SignaturePolicy& p, bool check) {
    signing::ValidationPolicy v;
    v.allow_sha1 = p.allow_sha1;
    v.revocation.check = check && p.revocation != RevocationMode::Off;
    v.revocation.only_when_named = p.revocation == RevocationMode::Auto;
    v.revocation.timeout = std::chrono::milliseconds(p.revocation_timeout_ms);
    return v;
  }
  static schemas::XmlLimits limits(std::size_t max_bytes) {
    schemas::XmlLimits l;
    l.max_bytes = max_bytes;
    return l;
  }

  // Real Vietnamese certificates carry no OrganId: an organisation's UID MST:<tax code> matches
  // an enterprise sender coded "02" + that tax code (or the code itself); a certificate with no
  // identifier at all (the public-duty CA's seals) matches when its CN is the sender's name in
  // the directory. A personal certificate (CCCD:, CMND:, ...) never acts for the unit.
  bool realProfileMatches(const signing::CertificateInfo& signer, const EnvelopeContext& ctx) const {
    if (!signer.organ_id.empty() || ctx.from.empty()) return false;
    bool any_uid = false;
    for (const auto& uid : signer.uids) {
      any_uid = true;
      if (uid.rfind("MST:", 0) == 0 || uid.rfind("MNS:", 0) == 0) {
        const std::string code = uid.substr(4);
        if (!code.empty() && (ctx.from == code || ctx.from == "02" + code)) return true;
      }
    }
    if (any_uid || !routing_) return false;
    const auto dir = routing_->directory();
    const schemas::Unit* unit = dir ? dir->find(ctx.from) : nullptr;
    return unit != nullptr && signing::sameAgencyName(signer.common_name, unit->name);
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
  mutable std::mutex seals_mu_;  // guards seals_of_ and seals_
  mutable std::shared_ptr<const schemas::Directory> seals_of_;
  mutable std::shared_ptr<const std::vector<std::string>> seals_;
  signing::XmlVerifier checking_;  // revocation checked (auto: where a source is named)
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
  auto local = signing::TrustStore::load(trust);
  if (!local) {
    return fail(ErrorCode::Config, "trust.dir: '" + trust + "': " + local.error().message);
  }
  if (local->anchorCount() == 0) {
    return fail(ErrorCode::Config, "trust.dir: '" + trust + "' holds no trust anchor (a self-signed CA certificate)");
  }
  // The node's CA beside the built-in Vietnamese trust list, never in its place.
  auto store = signing::nationalTrustStore(trust);
  if (!store) {
    return fail(ErrorCode::Config, "trust.dir: '" + trust + "': " + store.error().message);
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
  const schemas::Unit* u = directory.topUnitOf(node);
  if (u == nullptr) return {};
  return u->legacy_code.empty() ? u->code : u->legacy_code;
}

}  // namespace lienthong::gateway
