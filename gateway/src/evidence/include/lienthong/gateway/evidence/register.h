// The document registers of Decree 30/2020 for the units homed at this node: the outgoing
// register (sổ đăng ký văn bản đi) and the incoming one (sổ đăng ký văn bản đến). Two sources feed
// them: documents that passed through the gateway, indexed from the store by RegisterIndexer
// (register_indexer.h), and documents recorded by clerks (issued on paper, registered but not yet
// issued, or paper copies of documents that also went electronically).
//
// The register's tables (register_*) live in the node's SQLite file beside the store's; this
// class creates them (CREATE TABLE IF NOT EXISTS) and only ever reads the store's own tables
// (messages, deliveries, statuses). Thread-safe: one connection guarded by a mutex.
//
// Channel per recipient, and per document (what the reports count):
//   electronic  the gateway holds a local or peer delivery to the recipient that has not failed
//               (pending, delivered, acknowledged, or later acted on);
//   paper       the gateway recorded a paper delivery (a recipient without an electronic
//               channel), the package says Bussiness/Paper = 1 (a paper copy also goes), or a
//               clerk recorded a paper dispatch to that recipient;
//   a document is electronic-only, paper-only or both after the union over its recipients, and
//   not-yet-issued when no recipient got it either way (a clerk registered the number but did
//   not dispatch it yet, or every electronic delivery failed). The four add up to the total.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

enum class RegisterDirection { Outgoing, Incoming };
std::string_view directionName(RegisterDirection d);  // "out", "in"
Result<RegisterDirection> parseDirection(std::string_view text);

enum class IssueChannel { ElectronicOnly, PaperOnly, Both, NotIssued };
std::string_view issueChannelName(IssueChannel c);  // "electronic", "paper", "both", "not_issued"

struct RegisterRecipient {
  std::string organ_id;
  bool electronic = false;
  bool paper = false;
  std::string delivery_state;  // the store's delivery state, "" when the gateway has none
  IssueChannel channel() const;
};

struct RegisterEntry {
  std::int64_t id = 0;
  RegisterDirection direction = RegisterDirection::Outgoing;
  std::string unit;    // whose register: the sender (outgoing) or the recipient (incoming)
  std::string source;  // "gateway" or "clerk"
  std::int64_t message_id = 0;  // the store's message for gateway entries, 0 for clerk entries
  std::string document_id;
  std::string number;    // CodeNumber, "123"
  std::string notation;  // CodeNotation, "QĐ-UBND"
  std::string date;      // promulgation date, yyyy-mm-dd
  std::string type;      // document type as written (TypeName, else Type)
  std::string subject;   // trích yếu
  std::string signer;    // "KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn A"
  std::string sender;    // incoming: who sent it; outgoing: the unit itself
  std::vector<RegisterRecipient> recipients;
  std::string file_keeper;    // unit or person keeping the file copy
  int copies = 0;             // number of paper copies
  std::string dispatch_date;  // outgoing: yyyy-mm-dd dispatched, "" when not yet
  std::string arrival_date;   // incoming: yyyy-mm-dd it reached the unit
  std::string receipt;        // receipt signature note (ký nhận)
  std::string notes;
  // PDF attachments checked at indexing: -1 when not measured (no verifier configured, or a
  // clerk entry), else how many PDFs the package held and how many carried both valid
  // signatures (personal, then agency).
  int pdf_total = -1;
  int pdf_both_valid = 0;
  std::string recorded_by;
  std::int64_t recorded_ms = 0;
  // A revocation, update or replacement that came through the gateway: the DocumentIds it acts
  // on. Indexing notes the act on the earlier entries (same direction, unit and sender) instead
  // of adding a line; only when no earlier entry is in the register is this one added, so the
  // act is never lost.
  std::vector<std::string> acts_on;

  std::string numberNotation() const;  // "123/QĐ-UBND", or the one that is set
  IssueChannel channel() const;        // the union over recipients, see above
};

// What a clerk records: a document issued (or to be issued) on paper, or paper copies of a
// document that also went through the gateway (the same unit and DocumentId, or the same
// number/notation and date: the recipients named get a paper copy, nothing else changes).
struct PaperRecord {
  RegisterDirection direction = RegisterDirection::Outgoing;
  std::string unit;
  std::string document_id;  // optional
  std::string number;
  std::string notation;
  std::string date;  // yyyy-mm-dd
  std::string type;
  std::string subject;
  std::string signer;
  std::string sender;  // incoming only
  std::vector<std::string> recipients;
  std::string file_keeper;
  int copies = 0;
  std::string dispatch_date;  // "" = registered, not yet dispatched
  std::string arrival_date;   // incoming
  std::string receipt;
  std::string notes;
};

struct RegisterQuery {
  RegisterDirection direction = RegisterDirection::Outgoing;
  std::vector<std::string> units;  // empty: every unit
  std::string from;                // yyyy-mm-dd inclusive, "" open
  std::string to;                  // yyyy-mm-dd inclusive, "" open
};

// One document from the store for the indexer: what the messages and deliveries tables hold.
struct StoredDelivery {
  std::string recipient;
  std::string route;  // "local", "peer", "paper"
  std::string state;
};
struct StoredDocument {
  std::int64_t id = 0;
  std::string sender;
  std::string document_id;
  std::string bytes;
  std::string subject;
  int business_type = 0;
  std::int64_t received_ms = 0;
  std::vector<StoredDelivery> deliveries;
};

// First time a status code was recorded for a document by a reporter, and when the document
// reached this node (for the latency figures).
struct StatusTiming {
  std::string document_sender;
  std::string document_id;
  std::string reporter;
  int code = 0;
  std::int64_t first_ms = 0;
};

class RegisterBook {
 public:
  // Says whether a unit may have a register here (known to the directory, homed at this node);
  // UnknownUnit / InvalidArgument with the reason otherwise. Empty: every unit is accepted.
  using UnitCheck = std::function<Result<void>(const std::string& unit)>;

  // Opens the SQLite file at `path` (the node's store.sqlite) and creates the register tables.
  static Result<std::unique_ptr<RegisterBook>> open(const std::string& path, UnitCheck unit_check = {});
  ~RegisterBook();
  RegisterBook(const RegisterBook&) = delete;
  RegisterBook& operator=(const RegisterBook&) = delete;

  // Checks and records one clerk entry; returns it as stored (merged into a gateway entry when
  // it names one). InvalidArgument / BadDate naming the field when something is missing or wrong.
  Result<RegisterEntry> recordPaper(const PaperRecord& record, const std::string& actor);
  // All records in one transaction, or none: the first bad one fails the whole batch, named by
  // its position (`where(i)`, e.g. "paper.csv: line 7").
  Result<int> recordPaperBatch(const std::vector<PaperRecord>& records, const std::string& actor,
                               const std::function<std::string(std::size_t)>& where = {});

  Result<std::vector<RegisterEntry>> entries(const RegisterQuery& query);

  // Paper records are administrative acts: after a batch is recorded, `hook` writes it to the
  // node's chained audit log (event "paper recorded", the actor, what was recorded). A failing
  // hook fails the call. Set once, before the book is shared.
  using AuditHook = std::function<Result<void>(const std::string& event, const std::string& actor,
                                               const std::string& detail)>;
  void setAuditHook(AuditHook hook);

  // For the indexer: documents stored after message id `after` (at most `limit`), with their
  // deliveries; the indexing cursor; and the insertion of gateway entries with the new cursor in
  // one transaction (an entry that is already there is left as it is).
  Result<std::vector<StoredDocument>> storedDocumentsAfter(std::int64_t after, int limit);
  Result<std::int64_t> cursor();
  Result<void> addGatewayEntries(const std::vector<RegisterEntry>& entries, std::int64_t cursor);

  // Statuses recorded for documents sent by these units (first time per document, reporter
  // and code), and the time each of those documents reached the store.
  Result<std::vector<StatusTiming>> statusTimings(const std::vector<std::string>& senders);
  Result<std::map<std::string, std::int64_t>> receivedTimes(const std::vector<std::int64_t>& message_ids);
  // "sender\nDocumentId" of each recall request (status 13) these units sent.
  Result<std::vector<std::string>> recallsSent(const std::vector<std::string>& senders);

  // Pending and failed deliveries of the store, for the dashboard's delivery health.
  struct DeliveryBucket {
    std::string route;
    std::string state;
    std::int64_t count = 0;
    std::int64_t oldest_ms = 0;
  };
  struct FailedDelivery {
    std::int64_t id = 0;
    std::string document_id;
    std::string sender;
    std::string recipient;
    std::string route;
    int attempts = 0;
    std::string last_error;
    std::int64_t created_ms = 0;
  };
  Result<std::vector<DeliveryBucket>> deliveryBuckets();
  // Pending deliveries per next hop (the peer node, or the unit for local ones) and the oldest.
  struct HopBacklog {
    std::string route;
    std::string hop;
    std::int64_t pending = 0;
    std::int64_t oldest_ms = 0;
  };
  Result<std::vector<HopBacklog>> pendingByHop();
  Result<std::vector<FailedDelivery>> failedDeliveries(int limit);

  struct Impl;

 private:
  explicit RegisterBook(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A yyyy-mm-dd date check ("2022-02-30" is refused); `what` names the field in the message.
Result<void> checkDate(std::string_view date, std::string_view what);
// A paper record before it is stored: its dates, number, subject and recipients; InvalidArgument
// naming the field when wrong.
Result<void> checkPaperRecord(const PaperRecord& r);

// The 10-column outgoing register of Decree 30: number/notation; date; type and subject; signer;
// recipients; unit/person keeping the file copy; number of copies; dispatch date; receipt
// signature; notes. CSV (RFC 4180, UTF-8, header in Vietnamese) and a printable HTML page.
std::string registerCsv(const std::vector<RegisterEntry>& entries);
std::string registerHtml(const std::vector<RegisterEntry>& entries, const std::string& unit,
                         const std::string& unit_name, const std::string& from,
                         const std::string& to);
std::string registerJson(const std::vector<RegisterEntry>& entries);

// Clerk records from CSV, header line required, columns by name (any order): direction, unit,
// document_id, number, notation, date, type, subject, signer, sender, recipients (separated by
// ';'), file_keeper, copies, dispatch_date, arrival_date, receipt, notes. BadCsv naming the line
// and column.
Result<std::vector<PaperRecord>> parsePaperCsv(std::string_view text, const std::string& source);
// One record from a JSON object (the API's body); InvalidArgument naming the member.
Result<PaperRecord> parsePaperJson(std::string_view json);

// A CSV field, quoted when it needs to be (reading CSV: schemas/csv.h).
std::string csvField(std::string_view s);
// Escapes text for HTML element content and attribute values.
std::string htmlEscape(std::string_view s);

}  // namespace lienthong::gateway
