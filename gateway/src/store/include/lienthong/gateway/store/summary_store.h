// Where a node keeps the register summaries of issue 17: what it sent its parent about its own
// units (the outbox: one version per unit and day), and what reached it from the nodes below
// (one row per origin node, unit and day, the highest version kept, so a correction replaces a
// row and a repeat never counts twice). The summaries themselves travel as ordinary messages
// of kind "summary" in the store (store.h); this store holds what was read out of them, with its
// own cursor over those messages moved in the same transaction. The wire format and the rules
// are the evidence room's (evidence/summary.h). Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

// One unit's register figures for one day, as a summary row carries them (or, summed by
// summaryTotals, for a period: `day` empty, `version` the number of rows).
struct SummaryFigures {
  std::string unit;
  std::string day;  // yyyy-mm-dd
  std::int64_t version = 0;
  std::int64_t electronic_only = 0;
  std::int64_t paper_only = 0;
  std::int64_t both = 0;
  std::int64_t not_issued = 0;
  std::int64_t received = 0;
  std::int64_t rejected = 0;
  std::int64_t recalled = 0;
  std::int64_t pdf_checked = 0;
  std::int64_t pdf_unchecked = 0;
  std::int64_t pdf_attachments = 0;
  std::int64_t pdf_both_valid = 0;
  // Time from the document reaching its home node to the first status, per (document,
  // recipient): "1:120,300;3:900;6:86400" (status code, then milliseconds); "" when none.
  std::string latency;
};

// What the outbox says was last sent for a unit and day.
struct OutboxMark {
  std::string unit;
  std::string day;
  std::int64_t version = 0;
  std::string hash;  // of the figures sent (evidence/summary.h)
};

// A stored message of kind "summary", for reading its rows out.
struct StoredSummaryMessage {
  std::int64_t id = 0;
  std::string sender;  // "node:<origin>"
  std::string bytes;
  std::int64_t received_ms = 0;
};

struct ReceivedRow {
  std::string node;  // the origin node
  std::int64_t message_id = 0;
  SummaryFigures figures;
};

// A unit's certificate coverage as the origin node's CA counted it when it made a summary: a
// snapshot, not per day; the latest one made is kept per origin node and unit.
struct CoverageFigures {
  std::string unit;
  std::int64_t needed = 0;
  std::int64_t signers_valid = 0;
  std::int64_t missing = 0;
  std::int64_t seals_valid = 0;
  std::int64_t expiring = 0;
};
struct ReceivedCoverage {
  std::string node;          // the origin node
  std::int64_t made_ms = 0;  // when it made the summary
  CoverageFigures figures;
};

// The sum of one origin node's rows for one unit over a period; `figures.latency` holds every
// row's latency text, joined with ';'.
struct SummaryTotal {
  std::string node;
  SummaryFigures figures;
};

// What has come in from one origin node.
struct SummarySource {
  std::string node;
  std::int64_t rows = 0;
  std::int64_t units = 0;
  std::int64_t messages = 0;
  std::string first_day;
  std::string last_day;
  std::int64_t last_received_ms = 0;
};

class SummaryStore {
 public:
  virtual ~SummaryStore() = default;

  // The outbox, keyed "unit\nday".
  virtual Result<std::map<std::string, OutboxMark>> outbox() = 0;
  // Records these rows as sent (replacing what was there), in one transaction.
  virtual Result<void> markSent(const std::vector<OutboxMark>& marks, std::int64_t now_ms) = 0;

  // Summary messages stored after message id `after` (at most `limit`), in id order; the cursor;
  // the rows read out of them applied with the new cursor in one transaction: a row replaces the
  // one kept for its node, unit and day only when its version is higher, and a coverage line
  // replaces the one kept for its node and unit when it was made no earlier. Returns how many rows
  // were taken.
  virtual Result<std::vector<StoredSummaryMessage>> summaryMessagesAfter(std::int64_t after, int limit) = 0;
  virtual Result<std::int64_t> cursor() = 0;
  virtual Result<int> apply(const std::vector<ReceivedRow>& rows, const std::vector<ReceivedCoverage>& coverage,
                            std::int64_t cursor, std::int64_t now_ms) = 0;
  // The coverage kept, per origin node and unit.
  virtual Result<std::vector<ReceivedCoverage>> coverage() = 0;

  // Per origin node and unit, the rows with day in [from, to] (inclusive, "" open) summed.
  virtual Result<std::vector<SummaryTotal>> totals(const std::string& from, const std::string& to) = 0;
  // Every row kept, for one origin node (all when empty), by unit and day.
  virtual Result<std::vector<ReceivedRow>> rows(const std::string& node) = 0;
  virtual Result<std::vector<SummarySource>> sources() = 0;
};

// The summary tables in the SQLite file at `path` (the node's store.sqlite), created when
// missing. One connection guarded by a mutex.
Result<std::unique_ptr<SummaryStore>> openSqliteSummaryStore(const std::string& path);

}  // namespace lienthong::gateway
