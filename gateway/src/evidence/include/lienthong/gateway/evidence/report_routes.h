// The evidence part of a node's HTTP API: the registers, the issuance reports and the auditors'
// dashboard, as routes to mount through NodeOptions::extra_routes. JSON unless noted:
//   GET  /api/v1/register?unit=ID&direction=out|in&from=D&to=D&format=json|csv|html
//        (office: its own unit only; admin, auditor) the register; csv/html are the 10 columns
//        of Decree 30 for the outgoing register
//   POST /api/v1/register/paper   (office: its own unit; admin) a clerk's record, JSON body
//        {"unit","number","notation","date","type","subject","signer","recipients":[...],
//         "dispatch_date","copies","file_keeper","receipt","notes","document_id",
//         "direction":"out"|"in","sender","arrival_date"}  -> 201 the entry
//   GET  /api/v1/reports/issuance?scope=unit:ID|subtree:ID|level:N&period=P[&tree=as_was|today]&format=json|csv|text
//        (auditor, admin)
//   GET  /api/v1/reports/units        (auditor, admin) units homed here, levels, targets
//   GET  /api/v1/reports/deliveries   (auditor, admin) pending and failed deliveries
//   GET  /api/v1/reports/coverage     (auditor, admin) certificates issued vs needed per unit
//   GET  /dashboard, /dashboard/dashboard.js, /dashboard/chart.js   (anyone: the page holds no
//        data; it asks for a bearer token, keeps it in sessionStorage and calls the API with it;
//        503 when the web folder or Chart.js is not installed)
//
// Mounting: serve.h's prepareEvidence does it for `lienthong serve` and the demo (routes appended
// to NodeOptions::extra_routes, indexer->run() on the node's housekeeping thread after each
// stored message); reports also call run() first.
// Thread-safe: the routes share the book, indexer and reporter, which are.
#pragma once

#include <Poco/JSON/Object.h>

#include <atomic>
#include <mutex>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/evidence/register.h"
#include "lienthong/gateway/evidence/register_indexer.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/gateway/evidence/report.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::signing {
class PdfVerifier;
}

namespace lienthong::gateway {

// A unit's certificate coverage as the node's CA counts it (the CA's coverage(), converted by
// coverageOf in node_ca.h): the evidence pages show it, they do not read the CA.
struct UnitCoverage {
  std::string unit;
  std::int64_t needed = 0;         // officials needing a personal certificate
  std::int64_t signers_valid = 0;  // valid personal signer certificates
  std::int64_t missing = 0;        // needed - signers_valid, never below 0
  std::int64_t seals_valid = 0;    // valid agency seal certificates
  std::int64_t expiring = 0;       // valid certificates ending within the warning window
};
using CoverageFn = std::function<Result<std::vector<UnitCoverage>>()>;
// {"unit", "needed", "signers_valid", "missing", "seals_valid", "expiring"}: as the coverage
// report and the summaries (summary.h) write a unit's coverage.
Poco::JSON::Object::Ptr coverageJson(const UnitCoverage& c);

// Checks a detached CMS signature over `content` against the node's trust list and that its
// signer is the seal of `seal_unit` (its OrganId, or for certificates that carry none, the
// agency name); SignatureInvalid / CertificateInvalid saying why otherwise. For the summaries
// of the nodes below (summary.h).
using SealCheck = std::function<Result<void>(std::string_view content, std::string_view signature_der,
                                             const schemas::Unit& seal_unit)>;
class SummaryBook;
class Summariser;

struct EvidenceOptions {
  std::string store_file;  // the node's store.sqlite (the register's tables go beside)
  std::shared_ptr<const schemas::LiveDirectory> directory;  // the node's (NodeOptions::directory)
  std::string node_name;
  Targets targets;      // Targets::load(file), or the default 90% for every level
  std::string web_dir;  // gateway/web: dashboard.html, dashboard.js and
                        // node_modules/chart.js/dist/chart.umd.js (scripts/install-web.sh)
  CoverageFn coverage;  // coverageOf(ca); empty: the node runs no CA
  std::shared_ptr<const signing::PdfVerifier> pdf_verifier;  // empty: PDFs "not measured"
  // Summaries (summary.h): signed with `summary_signer` (the node's seal; empty: this node sends
  // none), made at most every `summary_interval_ms` (0: only when asked), over every day or,
  // after a first full pass, the last `summary_window_days` (0: every day); those from below
  // checked with `seal_check` (empty: refused).
  BlobSigner summary_signer;
  SealCheck seal_check;
  int summary_interval_ms = 300000;
  int summary_window_days = 0;
};

// Where the evidence writes into the node's store: the register's administrative acts (paper
// records) and the summaries it makes or takes in (summary.h). The running node's store once
// attached (attach(nullptr) before the store goes away); until then, a store opened on the same
// file (the CLI, tools; the node forwards what was stored when it starts). Thread-safe.
class StoreRelay {
 public:
  explicit StoreRelay(std::string store_file) : store_file_(std::move(store_file)) {}
  void attach(Store* store) { store_.store(store); }
  Result<void> append(const AuditEntry& entry);
  Result<Accepted> insertMessage(const NewMessage& message);

 private:
  Result<Store*> target();
  std::string store_file_;
  std::atomic<Store*> store_{nullptr};
  std::mutex mu_;                 // guards own_
  std::unique_ptr<Store> own_;    // opened when nothing is attached
};

struct Evidence {
  std::shared_ptr<StoreRelay> audit;  // attach the node's store after Node::start
  std::shared_ptr<RegisterBook> book;
  std::shared_ptr<RegisterIndexer> indexer;
  std::shared_ptr<Reporter> reporter;
  std::shared_ptr<SummaryBook> summaries;  // from the nodes below
  std::shared_ptr<Summariser> summariser;  // this node's, for its parent
  std::vector<HttpRoute> routes;
  // After the register is indexed (the housekeeping hook): reads in the summaries that came and
  // sends this node's when due.
  Result<void> housekeeping();
};

// Opens the register beside the store and builds the routes. Storage when the register cannot be
// opened. A web folder lacking one of the page's files is not an error: /dashboard* then answer
// 503 naming the file and "run scripts/install-web.sh".
Result<Evidence> openEvidence(const EvidenceOptions& options);

// The routes alone, over an existing reporter (what openEvidence puts in Evidence::routes).
Result<std::vector<HttpRoute>> evidenceRoutes(std::shared_ptr<Reporter> reporter,
                                              const EvidenceOptions& options);

}  // namespace lienthong::gateway
