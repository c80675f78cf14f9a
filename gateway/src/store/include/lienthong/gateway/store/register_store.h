// The registers' records of Decree 30/2020 (outgoing and incoming) and the storage they live in.
// RegisterStore is the one way to the register tables (register_entries, register_recipients,
// register_cursor) and to what the evidence reads of the store's own tables (messages,
// deliveries, statuses); its SQLite implementation keeps them in the node's store file. The
// rules over the records (what a clerk may record, the audit of it) are the evidence room's
// RegisterBook. Implementations are thread-safe.
#pragma once

#include <cstdint>
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
  std::string source;  // "gateway", "clerk", or "import" (a DMS's history, PaperRecord::channel)
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
  // A line of a DMS's own history (register import, from before the unit's documents went
  // through this gateway): how the DMS recorded that it went out, "electronic", "paper", "both"
  // or "not_issued"; electronic there means the DMS's own exchange. "" for a clerk's record:
  // paper once dispatched. Such a line has the source "import".
  std::string channel;
};

// One outgoing register line as the reports count it: what entries() gives, without the text
// fields, so that a year of a province's register is read lean.
struct EntryTally {
  std::string unit;
  std::string date;
  std::string document_id;
  std::int64_t message_id = 0;
  int pdf_total = -1;
  int pdf_both_valid = 0;
  bool electronic = false;  // some recipient got it electronically (RegisterRecipient)
  bool paper = false;       // some recipient got it on paper
  IssueChannel channel() const;
};
// Incoming register lines of one unit on one day (the arrival date, else the document's).
struct DayCount {
  std::string unit;
  std::string day;
  std::int64_t count = 0;
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

// Pending and failed deliveries of the store, for the dashboard's delivery health.
struct RegisterDeliveryBucket {
  std::string route;
  std::string state;
  std::int64_t count = 0;
  std::int64_t oldest_ms = 0;
};
struct RegisterFailedDelivery {
  std::int64_t id = 0;
  std::string document_id;
  std::string sender;
  std::string recipient;
  std::string route;
  int attempts = 0;
  std::string last_error;
  std::int64_t created_ms = 0;
};
// Pending deliveries per next hop (the peer node, or the unit for local ones) and the oldest.
struct RegisterHopBacklog {
  std::string route;
  std::string hop;
  std::int64_t pending = 0;
  std::int64_t oldest_ms = 0;
};

class RegisterStore {
 public:
  virtual ~RegisterStore() = default;

  // Clerk records, already checked, in one transaction (all or none): a record naming an entry
  // already there (same direction and unit, and the same DocumentId, or the same number,
  // notation and date) completes it with the fields it gives; otherwise it is a new clerk
  // entry. Each named recipient gets a line, marked paper when the record was dispatched.
  virtual Result<int> recordPaper(const std::vector<PaperRecord>& records, const std::string& actor,
                                  std::int64_t now_ms) = 0;
  // The id of the entry a record names (as recordPaper matches), if there is one.
  virtual Result<std::optional<std::int64_t>> entryFor(const PaperRecord& record) = 0;
  // Entries in register order (date, then id), with their recipients and, for gateway entries,
  // the store's delivery state per recipient.
  virtual Result<std::vector<RegisterEntry>> entries(const RegisterQuery& query) = 0;

  // The same lines as entries() would give (outgoing ones with their channel; incoming ones
  // counted per unit and day), read lean for the reports.
  virtual Result<std::vector<EntryTally>> outgoingTallies(const RegisterQuery& query) = 0;
  virtual Result<std::vector<DayCount>> incomingCounts(const RegisterQuery& query) = 0;

  // For the indexer: documents stored after message id `after` (at most `limit`) with their
  // deliveries; the indexing cursor; gateway entries added (an entry already there is left as
  // it is; an act on earlier documents notes them instead) with the new cursor, in one
  // transaction.
  virtual Result<std::vector<StoredDocument>> storedDocumentsAfter(std::int64_t after, int limit) = 0;
  virtual Result<std::int64_t> cursor() = 0;
  virtual Result<void> addGatewayEntries(const std::vector<RegisterEntry>& entries, std::int64_t cursor,
                                         std::int64_t now_ms) = 0;

  // Statuses recorded for documents sent by these units (first time per document, reporter and
  // code); when each of these messages reached the store ("sender\nDocumentId" -> ms); the
  // recall requests (status 13) these units sent ("sender\nDocumentId").
  virtual Result<std::vector<StatusTiming>> statusTimings(const std::vector<std::string>& senders) = 0;
  virtual Result<std::map<std::string, std::int64_t>> receivedTimes(
      const std::vector<std::int64_t>& message_ids) = 0;
  virtual Result<std::vector<std::string>> recallsSent(const std::vector<std::string>& senders) = 0;

  // Retiring a node (issue 17): its register lines, as entries() gave them there, with
  // `message_id` already this store's id of the message (0 for clerk lines). One transaction; a
  // line held already (the same direction and unit, and the same message, or for a clerk line
  // the same DocumentId, else number, notation and date) is replaced by it, so a handover run
  // twice changes nothing. Returns how many were added (not replaced).
  virtual Result<int> adoptEntries(const std::vector<RegisterEntry>& entries, std::int64_t now_ms) = 0;

  virtual Result<std::vector<RegisterDeliveryBucket>> deliveryBuckets() = 0;
  virtual Result<std::vector<RegisterHopBacklog>> pendingByHop() = 0;
  virtual Result<std::vector<RegisterFailedDelivery>> failedDeliveries(int limit) = 0;
};

// Register lines per unit and direction, with the outgoing lines' channels: what a retiring
// node and the node taking its work on compare (`lienthong node retire`).
struct RegisterTally {
  std::int64_t outgoing = 0;
  std::int64_t incoming = 0;
  std::int64_t electronic_only = 0;
  std::int64_t paper_only = 0;
  std::int64_t both = 0;
  std::int64_t not_issued = 0;
  bool operator==(const RegisterTally&) const = default;
};
std::map<std::string, RegisterTally> tallyRegister(const std::vector<RegisterEntry>& outgoing,
                                                   const std::vector<RegisterEntry>& incoming);

// The register tables in the SQLite file at `path` (the node's store.sqlite), created when
// missing. One connection guarded by a mutex; a second writer waits (busy_timeout) as the
// store's own does.
Result<std::unique_ptr<RegisterStore>> openSqliteRegisterStore(const std::string& path);

}  // namespace lienthong::gateway
