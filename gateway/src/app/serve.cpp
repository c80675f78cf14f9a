#include "lienthong/gateway/app/serve.h"

#include <filesystem>

#include "lienthong/schemas/schema_set.h"
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
  auto evidence = openEvidence(eo);
  if (!evidence) return std::unexpected(evidence.error());
  for (auto& r : evidence->routes) options.extra_routes.push_back(r);
  auto previous = std::move(options.after_stored);
  options.after_stored = [indexer = evidence->indexer, previous]() -> Result<void> {
    if (previous) {
      if (auto r = previous(); !r) return r;
    }
    auto stats = indexer->run();
    if (!stats) return std::unexpected(stats.error());
    return {};
  };
  return evidence;
}

}  // namespace lienthong::gateway
