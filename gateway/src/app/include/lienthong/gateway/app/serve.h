// What `lienthong serve` (and the demo's province node) assembles around a Node, kept in the
// library so tests start a node exactly the same way: the directory loaded before the node
// starts, the evidence (register, reports, dashboard; report_routes.h) mounted on the node's
// HTTPS server, the register indexed on the node's housekeeping thread after each stored
// message, and a PDF verifier over the node's trust store so reports measure PDF signatures.
// Building is single-threaded; the Evidence it returns is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/gateway/evidence/report_routes.h"

namespace lienthong::gateway {

struct ServeExtras {
  std::string web_dir;  // empty: resolveWebDir(config)
  CoverageFn coverage;  // the CA's coverage() when the node runs one
  // Empty: made from the node's trust (trust.dir, else tls.ca) and policy by makePdfVerifier;
  // set `measure_pdf` false to leave PDFs "not measured".
  std::shared_ptr<const signing::PdfVerifier> pdf_verifier;
  bool measure_pdf = true;
};

// The dashboard's folder: web.dir when set, else ./gateway/web when it holds dashboard.html,
// else the gateway/web of the source tree this binary was built from.
std::string resolveWebDir(const NodeConfig& config);

// Loads config.directory_file (Config naming directory.file when it cannot be read).
Result<std::shared_ptr<const schemas::Directory>> loadNodeDirectory(const NodeConfig& config);

// A PDF verifier over `trust` (a folder or PEM bundle) with the node's signature policy.
Result<std::shared_ptr<const signing::PdfVerifier>> makePdfVerifier(const std::string& trust,
                                                                    const SignaturePolicy& policy);

// Checks summaries from the nodes below (report_routes.h SealCheck) against the trust anchors
// in `trust` (folder or bundle).
Result<SealCheck> makeSealCheck(const std::string& trust);

// Sets options.directory (loaded now unless already given; the evidence shares it, so a reload of
// the node's directory reaches the reports too), opens the evidence beside
// <data>/store.sqlite, appends its routes to options.extra_routes and sets options.after_stored
// to run the register indexer. Call before Node::start; keep the Evidence for as long as the node.
Result<Evidence> prepareEvidence(const NodeConfig& config, NodeOptions& options,
                                 ServeExtras extras = {});

}  // namespace lienthong::gateway
