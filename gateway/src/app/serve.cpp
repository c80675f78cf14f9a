#include "lienthong/gateway/app/serve.h"

#include <filesystem>

#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/schemas/organ_id.h"
#include "lienthong/schemas/schema_set.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/trust_list.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/trust_store.h"

namespace lienthong::gateway {

namespace fs = std::filesystem;

std::string resolveWebDir(const NodeConfig& config) {
  if (!config.web_dir.empty()) return config.web_dir;
  std::error_code ec;
  if (fs::exists(fs::path("gateway/web") / "dashboard.html", ec)) {
    return fs::absolute("gateway/web", ec).string();
  }
#ifdef LIENTHONG_WEB_DIR
  return LIENTHONG_WEB_DIR;
#else
  return "gateway/web";
#endif
}

Result<std::shared_ptr<const schemas::Directory>> loadNodeDirectory(const NodeConfig& config) {
  auto schemas = schemas::SchemaSet::load();
  if (!schemas) return std::unexpected(schemas.error());
  auto dir = schemas::Directory::loadFile(config.directory_file, **schemas);
  if (!dir) {
    return fail(ErrorCode::Config, config.source + ": directory.file: '" + config.directory_file +
                                       "': " + dir.error().describe());
  }
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

Result<std::shared_ptr<const signing::PdfVerifier>> makePdfVerifier(const std::string& trust,
                                                                    const SignaturePolicy& policy) {
  auto store = signing::nationalTrustStore(trust);  // the node's CA beside the national list
  if (!store) return fail(ErrorCode::Config, "trust.dir: '" + trust + "': " + store.error().message);
  signing::ValidationPolicy v;
  v.allow_sha1 = policy.allow_sha1;
  v.revocation.check = policy.revocation != RevocationMode::Off;
  v.revocation.timeout = std::chrono::milliseconds(policy.revocation_timeout_ms);
  return std::shared_ptr<const signing::PdfVerifier>(
      std::make_shared<const signing::PdfVerifier>(std::move(*store), v));
}

Result<SealCheck> makeSealCheck(const std::string& trust) {
  auto store = signing::TrustStore::load(trust);
  if (!store) return fail(ErrorCode::Config, "trust.dir: '" + trust + "': " + store.error().message);
  signing::ValidationPolicy policy;
  // As for audit checkpoints: the path to a trusted root is checked, revocation is not (a
  // summary stays evidence after its seal is retired; a node's credential is what is revoked).
  policy.revocation.check = false;
  auto verifier = std::make_shared<const signing::CmsVerifier>(std::move(*store), policy);
  return SealCheck([verifier](std::string_view content, std::string_view der,
                              const schemas::Unit& seal) -> Result<void> {
    auto report = verifier->verify(content, der);
    if (!report.passed()) {
      return fail(ErrorCode::SignatureInvalid, "signature " +
                                                   std::string(signing::subIndicationName(report.sub_indication)) +
                                                   ": " + report.detail);
    }
    const auto& signer = *report.signer;
    const auto key = [](std::string_view c) { return schemas::organKey(c); };
    if (!signer.organ_id.empty()) {
      const std::string k = key(signer.organ_id);
      if (k == key(seal.code) || (!seal.legacy_code.empty() && k == key(seal.legacy_code))) return {};
    } else if (signer.uids.empty() && signing::sameAgencyName(signer.common_name, seal.name)) {
      return {};  // a real seal certificate with no identifier names the agency in its CN
    }
    return fail(ErrorCode::CertificateInvalid,
                "signed by '" + signer.subject + "', not by the seal of " + seal.code + " (" + seal.name +
                    "), the unit the node acts as");
  });
}

Result<Evidence> prepareEvidence(const NodeConfig& config, NodeOptions& options, ServeExtras extras) {
  if (!options.directory) {
    auto dir = loadNodeDirectory(config);
    if (!dir) return std::unexpected(dir.error());
    options.directory = schemas::LiveDirectory::make(std::move(*dir));
  }
  std::string name = config.name;
  if (name.empty()) {  // as Node::start: the directory's top node
    for (const auto& n : options.directory->current()->nodes()) {
      if (n.parent.empty()) {
        name = n.name;
        break;
      }
    }
  }
  std::shared_ptr<const signing::PdfVerifier> pdf = extras.pdf_verifier;
  std::string trust = config.trust;  // never tls.ca: signatures have their own trust list
  if (!pdf && extras.measure_pdf && !trust.empty()) {
    auto v = makePdfVerifier(trust, config.signature);
    if (!v) return fail(ErrorCode::Config, config.source + ": " + v.error().message);
    pdf = std::move(*v);
  }
  std::error_code ec;
  fs::create_directories(config.data_dir, ec);
  if (ec) {
    return fail(ErrorCode::Config, config.source + ": node.data: cannot create '" +
                                       config.data_dir + "': " + ec.message());
  }
  EvidenceOptions eo;
  eo.store_file = (fs::path(config.data_dir) / "store.sqlite").string();
  eo.directory = options.directory;
  eo.node_name = name;
  eo.web_dir = extras.web_dir.empty() ? resolveWebDir(config) : extras.web_dir;
  eo.coverage = std::move(extras.coverage);
  eo.pdf_verifier = std::move(pdf);
  if (!config.signing_key.empty()) {
    auto signer = makeCmsSigner(config.signing_key, config.signing_passphrase, config.signing_cert);
    if (!signer) return fail(ErrorCode::Config, config.source + ": " + signer.error().message);
    eo.summary_signer = std::move(*signer);
  }
  if (!trust.empty()) {
    auto check = makeSealCheck(trust);
    if (!check) return fail(ErrorCode::Config, config.source + ": " + check.error().message);
    eo.seal_check = std::move(*check);
  }
  eo.summary_interval_ms = config.summary_seconds * 1000;
  eo.summary_window_days = config.summary_window_days;
  auto evidence = openEvidence(eo);
  if (!evidence) return std::unexpected(evidence.error());
  for (auto& r : evidence->routes) options.extra_routes.push_back(r);
  // Summaries made at most every interval, and at least: work skipped because the last run was
  // too recent waits for the next housekeeping, which comes no later than one interval.
  if (evidence->summariser && eo.summary_interval_ms > 0) {
    options.housekeeping_ms = std::min(options.housekeeping_ms, std::max(1000, eo.summary_interval_ms));
  }
  auto previous = std::move(options.after_stored);
  options.after_stored = [ev = *evidence, previous]() mutable -> Result<void> {
    if (previous) {
      if (auto r = previous(); !r) return r;
    }
    return ev.housekeeping();
  };
  return evidence;
}

}  // namespace lienthong::gateway
