// Evidence flowing up the node tree (issue 17): each node sends its parent signed summaries of
// its register, one row per unit homed there and day, so the province's reports cover every unit
// of every node below it while the detail rows stay at each unit's home node.
//
// The wire (POST /api/v1/summaries, application/json, from a node credential):
//   {"format": "lienthong-summary/1", "body": "<JSON text>", "signature": "<base64 CMS>"}
// `signature` is a detached CMS SignedData over the exact bytes of `body`, made with the origin
// node's seal (the key it signs its statuses and audit checkpoints with). `body`:
//   {"node": "district-a", "directory": "<version>", "made": <ms>, "rows": [
//     {"unit": "000.00.31.H41", "day": "2022-07-01", "version": 3,
//      "electronic_only": 2, "paper_only": 0, "both": 0, "not_issued": 0,
//      "received": 1, "rejected": 0, "recalled": 0,
//      "pdf": {"checked": 2, "unchecked": 0, "attachments": 2, "both_valid": 2},
//      "latency": {"1": [812, 903], "3": [], "6": []}}, ...],
//    "coverage": [{"unit": "000.00.31.H41", "needed": 12, "signers_valid": 9, "missing": 3,
//                  "seals_valid": 1, "expiring": 0}]}   (optional: a node running a CA, when it changed)
// A row is the day's complete figures for the unit, never an increment: a receiver keeps, per
// origin node, unit and day, the row with the highest version, so a correction (a later
// version) replaces, and a retry or a message forwarded twice changes nothing.
//
// The receiving node checks, before storing anything: the envelope and body (400 naming the row
// and field); that the origin node lies below it and the message came from the child on the way
// (403); the signature against its trust list, made by the certificate of the origin node's seal
// unit (the unit the node acts as, Directory::topUnitOf; 422); that every row's unit is homed at
// the origin node (403). A node with a parent stores what it took with a delivery to its parent,
// so summaries climb the tree by the ordinary store-and-forward path, with retries, and survive
// restarts on both sides.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lienthong/gateway/evidence/report.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/store/summary_store.h"
#include "lienthong/schemas/live_directory.h"

namespace lienthong::gateway {

inline constexpr std::string_view kSummaryFormat = "lienthong-summary/1";

struct SummaryRow {
  UnitDay figures;  // unit, day and the day's figures (latency values sorted)
  std::int64_t version = 0;
};

struct SummaryBatch {
  std::string node;               // the origin node
  std::string directory_version;  // the directory it was made on
  std::int64_t made_ms = 0;
  std::vector<SummaryRow> rows;
  // The certificate coverage of the origin node's units as its CA counts them now (only from a
  // node that runs a CA, and only when it changed): "coverage": [{"unit", "needed",
  // "signers_valid", "missing", "seals_valid", "expiring"}].
  std::vector<UnitCoverage> coverage;
};

std::string summaryBodyJson(const SummaryBatch& batch);
// InvalidArgument naming the row and member ("rows[3].day: '2022-02-30' is not a date").
Result<SummaryBatch> parseSummaryBody(std::string_view json);

struct SummaryEnvelope {
  std::string body;
  std::string signature_der;
};
std::string summaryEnvelopeJson(std::string_view body, std::string_view signature_der);
Result<SummaryEnvelope> parseSummaryEnvelope(std::string_view bytes);

// SHA-256 hex of a row's figures without its version: what the outbox compares.
std::string figuresHash(const UnitDay& figures);
// A row as the summary store keeps it, and back (latency as text).
SummaryFigures toFigures(const UnitDay& figures, std::int64_t version);
UnitDay fromFigures(const SummaryFigures& f);

// What this node keeps from the nodes below it: reads the stored summary messages in (they were
// checked when they came) and adds up rows for reports. Thread-safe.
class SummaryBook {
 public:
  explicit SummaryBook(std::shared_ptr<SummaryStore> store);
  static Result<std::shared_ptr<SummaryBook>> open(const std::string& store_file);

  // Applies the summary messages stored since the last run (a message that no longer parses is
  // skipped and counted: it was checked at intake, so only damage does that).
  Result<int> ingest();
  // (origin node, the unit's rows for days in [from, to] added up); reads in first.
  Result<std::vector<std::pair<std::string, UnitDay>>> unitTotals(const std::string& from,
                                                                  const std::string& to);
  Result<std::vector<SummarySource>> sources();
  // The latest coverage of each unit from each origin node; reads in first.
  Result<std::vector<ReceivedCoverage>> coverage();
  SummaryStore& store() { return *store_; }

 private:
  std::shared_ptr<SummaryStore> store_;
  std::mutex ingest_mu_;  // one reader at a time (the cursor is read, then moved)
};

struct SummaryRunStats {
  std::string parent;  // "" when this node has none: nothing to send
  int rows = 0;        // unit-days sent (new or changed)
  int unchanged = 0;   // unit-days as last sent
  int messages = 0;
};

// Makes this node's summaries and stores them for its parent. Thread-safe (runs serialized).
class Summariser {
 public:
  struct Options {
    int interval_ms = 300000;  // runIfDue: at most this often; 0: never
    int window_days = 0;      // 0: every run recomputes every day; N: after a first full pass,
                              // only documents dated in the last N days
    int rows_per_message = 500;
    CoverageFn coverage;  // this node's CA (node_ca.h coverageOf); empty: no coverage sent
  };
  Summariser(std::shared_ptr<Reporter> reporter, std::shared_ptr<SummaryStore> store,
             std::shared_ptr<StoreRelay> relay, BlobSigner signer, Options options);

  // Computes the figures of every unit homed here per day, and sends (stores with a delivery to
  // the parent node) the rows that differ from what was last sent, each with the next version.
  Result<SummaryRunStats> run();
  // run() when the interval has passed since the last run (for the housekeeping thread).
  Result<SummaryRunStats> runIfDue();

 private:
  std::shared_ptr<Reporter> reporter_;
  std::shared_ptr<SummaryStore> store_;
  std::shared_ptr<StoreRelay> relay_;
  BlobSigner signer_;
  Options options_;
  std::mutex mu_;  // guards the fields below and serializes runs
  std::int64_t last_run_ms_ = 0;
  bool full_done_ = false;
};

// POST /api/v1/summaries (node): takes a summary from a node below (the checks above), stores it
// (with a delivery to this node's parent, if any) and reads it in: 202 {"id","rows","duplicate",
// "forwarded_to"}, 200 for a summary already stored. POST /api/v1/summaries/send (admin): runs
// the summariser now: 200 with its figures. GET /api/v1/summaries (auditor, admin): what came
// from each node below.
std::vector<HttpRoute> summaryRoutes(std::shared_ptr<SummaryBook> book, std::shared_ptr<Summariser> summariser,
                                     std::shared_ptr<StoreRelay> relay,
                                     std::shared_ptr<const schemas::LiveDirectory> directory,
                                     std::string node, SealCheck seal_check);

}  // namespace lienthong::gateway
