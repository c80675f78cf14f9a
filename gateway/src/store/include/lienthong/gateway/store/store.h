// The durable store of a node: messages (the signed bytes exactly as received, with the hop
// traces kept beside them), one delivery row per recipient, the status history, and a
// tamper-evident audit log (append-only, each record carrying the SHA-256 of the one before, with
// signed checkpoints). `Store` is the interface the gateway uses; `openSqliteStore` gives the
// embedded implementation (Poco::Data over SQLite, WAL mode, schema migrations, group commit: a
// committer thread runs concurrent writes in one transaction and answers each caller only once
// that transaction is durable). A PostgreSQL store for several nodes sharing a database
// implements the same interface.
// Implementations are thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lienthong/gateway/store/clock.h"
#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

// Summary: a node's signed register summary for its parent (evidence/summary.h), carried by the
// same store-and-forward path as documents and statuses.
enum class MessageKind { Document, Status, Summary };
std::string_view kindName(MessageKind k);  // "document", "status", "summary"

// How one recipient is reached from this node.
enum class RouteKind { Local, Peer, Paper };
std::string_view routeName(RouteKind r);  // "local", "peer", "paper"

// Delivery states, stored and shown by name. pending: waiting for the dispatcher; delivered:
// handed to the next node or placed in the mailbox; paper: recorded as a paper delivery; failed:
// retries exhausted; acknowledged: fetched and acknowledged by the recipient office (or an axis
// client's "done" receipt); processing: an axis client took it and has not settled it; refused:
// an axis client's "fail" receipt; recalled / updated / replaced / revoked: a later package or
// status acted on it; handed_over: the node was retired and another node took the delivery on
// (Store::handOver).
enum class DeliveryState {
  Pending, Delivered, Paper, Failed, Acknowledged, Processing, Refused, Recalled, Updated, Replaced, Revoked,
  HandedOver,
};
std::string_view deliveryStateName(DeliveryState s);  // "pending", "delivered", ...
// The state of a name; InvalidArgument listing the names otherwise.
Result<DeliveryState> parseDeliveryState(std::string_view name);

struct NewDelivery {
  std::string recipient;  // OrganId as written in the message (the directory's spelling when
                          // the two differ only in letter case)
  RouteKind route = RouteKind::Local;
  std::string next_node;  // the peer node for RouteKind::Peer
  // The code the message named when the recipient is another unit: a closed code's successor
  // (Directory::resolve); "" when it is the recipient itself.
  std::string addressed_to;
};

struct NewMessage {
  MessageKind kind = MessageKind::Document;
  std::string sender;       // From/OrganId (the reporting unit for a status)
  std::string dedupe_key;   // DocumentId for documents, the content hash for statuses
  std::string document_id;  // the document itself, or the one a status is about
  std::string document_sender;  // for a status: the original document's sender
  std::string content_hash;     // SHA-256 hex of the bytes
  std::string bytes;            // exactly as received
  std::string hops;             // hop traces, "node@time;node@time"
  std::string subject;
  int business_type = 0;        // BussinessDocType
  std::string target_document;  // for update/replace/revoke: the earlier DocumentId(s), one a line
  std::string received_from;    // credential that handed it over ("office:...", "node:..."): the
                                // actor of the audit record
  int status_code = 0;          // for a status
  std::vector<NewDelivery> deliveries;
  std::string audit_detail;
  std::string warnings;         // what intake tolerated: a JSON array of {code,message,line,element}
};

struct Accepted {
  std::int64_t id = 0;
  bool duplicate = false;  // the same message was already stored: `id` is the first one
};

struct StoredMessage {
  std::int64_t id = 0;
  MessageKind kind = MessageKind::Document;
  std::string sender;
  std::string document_id;
  std::string document_sender;
  std::string content_hash;
  std::string bytes;
  std::string hops;
  std::string subject;
  int business_type = 0;
  std::string target_document;
  int status_code = 0;
  std::int64_t received_ms = 0;
  std::string warnings;  // JSON array, "" when none (or stored before warnings were kept)
  std::string dedupe_key;     // see NewMessage
  std::string received_from;  // see NewMessage
};

struct Delivery {
  std::int64_t id = 0;
  std::int64_t message_id = 0;
  std::string recipient;
  RouteKind route = RouteKind::Local;
  std::string next_node;
  DeliveryState state = DeliveryState::Pending;
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  std::int64_t created_ms = 0;
  std::int64_t done_ms = 0;
  std::string addressed_to;  // see NewDelivery
};

struct MailboxEntry {
  Delivery delivery;
  std::string sender;
  std::string document_id;
  std::string subject;
  std::int64_t received_ms = 0;
};

struct StatusRecord {
  std::string document_sender;
  std::string document_id;
  std::string reporter;  // the unit that reported it
  int code = 0;
  std::string description;
  std::string timestamp;  // as written in the status message
  std::int64_t recorded_ms = 0;
};

// One record of the audit log. `hash` is auditRecordHash(record); `prev_hash` the hash of the
// record before (kAuditGenesis for the first).
struct AuditRecord {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string event;        // "received document", "delivery delivered", "ca.issue", ...
  std::string actor;        // "office:000.00.00.H41", "node:province", "system", "admin:alice"
  std::string document_id;  // the DocumentId concerned, if any
  std::string subject;      // other ids: "message:12", "delivery:34", "serial:0A1B"
  std::string detail;
  std::string prev_hash;
  std::string hash;
};

// What a caller appends; the store fills in id, time and the hashes.
struct AuditEntry {
  std::string event;
  std::string actor;
  std::string document_id;
  std::string subject;
  std::string detail;
};

inline constexpr std::string_view kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";
// SHA-256 (hex) over the record's id, time, event, actor, document id, subject, detail and
// prev_hash, each length-prefixed so no two records share a serialization.
std::string auditRecordHash(const AuditRecord& r);

// A signed statement of the audit log's head: `body` is JSON ({"node","last_record","last_hash",
// "records","at"}), `signature` the base64 CMS (detached) over `body` by the node's seal.
struct AuditCheckpoint {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::int64_t last_record = 0;
  std::string last_hash;
  std::int64_t records = 0;
  std::string body;
  std::string signature;
};

// What waits for one next hop: `route` peer with the node's name, or local with the unit.
struct Backlog {
  RouteKind route = RouteKind::Peer;
  std::string hop;
  std::int64_t pending = 0;
  std::int64_t oldest_created_ms = 0;
};

// Retiring a node (issue 17, `lienthong node retire`): what the retiring node hands over, and
// what the node taking its work on keeps of it.
// A delivery as the retiring node has it, with the way the receiving node gives it (`to`).
struct HandedDelivery {
  NewDelivery to;
  DeliveryState state = DeliveryState::Pending;
  int attempts = 0;
  std::int64_t created_ms = 0;
  std::int64_t done_ms = 0;
  std::string last_error;
};
// One message of the retiring node: `message` as it was stored there (its `deliveries` unused),
// with its id there (`origin_id`), when it reached that node and the deliveries to keep.
struct HandedMessage {
  std::string from_node;
  std::int64_t origin_id = 0;
  NewMessage message;
  std::int64_t received_ms = 0;
  std::vector<HandedDelivery> deliveries;
};
struct AdoptedMessage {
  std::int64_t id = 0;       // the message here
  bool merged = false;       // this node already held it (same kind, sender, dedupe key, bytes)
  bool again = false;        // handed over before: nothing changed
  int deliveries = 0;        // deliveries added
};
// A message taken from a retiring node: its id there and here.
struct HandoverItem {
  std::int64_t origin_id = 0;
  std::int64_t message_id = 0;
  std::string content_hash;
};

struct StoreCounts {
  std::int64_t messages = 0;
  std::int64_t pending = 0;
  std::int64_t retrying = 0;  // pending deliveries tried at least once: the retry queue
  std::int64_t delivered = 0;
  std::int64_t paper = 0;
  std::int64_t failed = 0;
  std::int64_t audit = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores the message, its deliveries and an audit record in one transaction; durable when it
  // returns. Same dedupe key and sender as a stored message: the first id (duplicate = true) when
  // the content hash is the same, Conflict when it differs.
  virtual Result<Accepted> insertMessage(const NewMessage& m) = 0;
  virtual Result<StoredMessage> message(std::int64_t id) = 0;
  // The stored document with this DocumentId from this sender.
  virtual Result<std::optional<StoredMessage>> findDocument(const std::string& sender,
                                                            const std::string& document_id) = 0;
  // The documents with this DocumentId, whoever sent them (a clerk asking by id alone).
  virtual Result<std::vector<StoredMessage>> findDocuments(const std::string& document_id) = 0;

  // Pending deliveries due at `now_ms` and under no running claim, oldest first, excluding those
  // in `busy`, peer deliveries to the nodes in `skip_nodes` and local ones to the units in
  // `skip_units` (the dispatcher's peers that are busy or resting, so they do not crowd the
  // others out of the list).
  virtual Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, int limit,
                                                      const std::vector<std::int64_t>& busy,
                                                      const std::vector<std::string>& skip_nodes = {},
                                                      const std::vector<std::string>& skip_units = {}) = 0;
  // Claims these deliveries for `owner` until `until_ms`: each one that is still pending and on
  // which no claim is running (its claimed_until is past); returns the ids claimed. One write, so
  // two dispatchers (threads, or processes on one database) never hand over the same delivery at
  // once. dueDeliveries leaves out deliveries under a running claim; finishDelivery and
  // scheduleRetry end the claim; one that is never ended runs out at `until_ms`.
  virtual Result<std::vector<std::int64_t>> claimDeliveries(const std::vector<std::int64_t>& ids,
                                                            const std::string& owner,
                                                            std::int64_t now_ms,
                                                            std::int64_t until_ms) = 0;
  // Ends the claims of `owner` on these deliveries (all of its claims when `ids` is empty)
  // without an outcome; returns how many were ended.
  virtual Result<int> releaseClaims(const std::string& owner, const std::vector<std::int64_t>& ids) = 0;
  // Makes every pending delivery to `node` (route peer) due at `now_ms`: the peer was seen again.
  // Returns how many were waiting for a later attempt.
  virtual Result<int> retryNow(const std::string& node, std::int64_t now_ms) = 0;
  // Pending deliveries created before `created_before_ms` (past the retry horizon), oldest first.
  virtual Result<std::vector<Delivery>> pendingCreatedBefore(std::int64_t created_before_ms,
                                                             int limit) = 0;
  // Pending deliveries per next hop (the peer node, or the unit for local ones) with the oldest.
  virtual Result<std::vector<Backlog>> backlog() = 0;
  virtual Result<std::vector<Delivery>> deliveriesOf(std::int64_t message_id) = 0;
  virtual Result<Delivery> delivery(std::int64_t id) = 0;
  // Moves a delivery to `state` (delivered, failed, acknowledged, ...) with an audit record.
  virtual Result<void> finishDelivery(std::int64_t id, DeliveryState state, std::int64_t now_ms,
                                      const std::string& note,
                                      const std::string& actor = "system") = 0;
  // Sends a pending delivery another way after a directory change: to `to.recipient` (a closed
  // code's successor, or the same unit) by `to.route` / `to.next_node`, due at `now_ms`,
  // addressed as `to.addressed_to`; with the audit record "delivery re-routed" (`note`, `actor`)
  // in the same transaction. False, and nothing changed, when the delivery is no longer pending
  // or a running claim is handing it over (the next hop re-routes it then).
  virtual Result<bool> rerouteDelivery(std::int64_t id, const NewDelivery& to, std::int64_t now_ms,
                                       const std::string& note, const std::string& actor) = 0;
  virtual Result<void> scheduleRetry(std::int64_t id, int attempts, std::int64_t next_ms,
                                     const std::string& error) = 0;
  // The earliest next attempt among pending deliveries, if any.
  virtual Result<std::optional<std::int64_t>> nextDue() = 0;

  // Local (mailbox) deliveries of documents for `recipient` in the given states (all but pending
  // when empty): localDeliveries of documents.
  virtual Result<std::vector<MailboxEntry>> mailbox(const std::string& recipient,
                                                    const std::vector<DeliveryState>& states) = 0;
  // Local deliveries of messages of `kind` (documents or statuses) for `recipient` in the given
  // states (all but pending when empty), oldest first: what an axis client lists.
  virtual Result<std::vector<MailboxEntry>> localDeliveries(const std::string& recipient,
                                                            MessageKind kind,
                                                            const std::vector<DeliveryState>& states) = 0;
  // Sets the state of the local deliveries of (sender, document_id) to `recipient`.
  virtual Result<int> setMailboxState(const std::string& sender, const std::string& document_id,
                                      const std::string& recipient, DeliveryState state) = 0;

  // Records a status that reached the sender's home, and finishes its delivery, in one
  // transaction.
  virtual Result<void> recordStatus(const StatusRecord& s, std::int64_t delivery_id,
                                    std::int64_t now_ms) = 0;
  virtual Result<std::vector<StatusRecord>> statusHistory(const std::string& document_sender,
                                                          const std::string& document_id) = 0;

  // Taking a retiring node's work on. adoptMessage stores one of its messages in one transaction
  // with an audit record (actor `actor`): a message held here already gets the deliveries it
  // lacks (the retiring node's local ones, and pending ones) and the earlier of the two arrival
  // times; any other is stored with all of them, states kept; one handed over before changes
  // nothing (again = true). Conflict when this node holds other bytes under the same key.
  virtual Result<AdoptedMessage> adoptMessage(const HandedMessage& m, const std::string& actor) = 0;
  // The messages taken from `from_node`, in their order there.
  virtual Result<std::vector<HandoverItem>> handoverItems(const std::string& from_node) = 0;
  // Status records of the retiring node; one recorded here already (the same document, reporter,
  // code and timestamp) is skipped. Returns how many were added.
  virtual Result<int> adoptStatuses(const std::vector<StatusRecord>& statuses, const std::string& actor) = 0;
  // What a retiring node hands over: its messages with id > after (at most `limit`, in id order)
  // and its status records (all, in the order recorded).
  virtual Result<std::vector<StoredMessage>> messagesAfter(std::int64_t after_id, int limit) = 0;
  virtual Result<std::vector<StatusRecord>> allStatuses() = 0;
  // On the retiring node, once the other node holds them: its pending deliveries and its local
  // ones still waiting to be fetched or settled (delivered, processing) become handed_over, each
  // with an audit record naming `to_node`. Returns how many.
  virtual Result<int> handOver(const std::string& to_node, const std::string& actor, std::int64_t now_ms) = 0;

  virtual Result<StoreCounts> counts() = 0;
  // Checks the bytes of the messages with id > after_id (at most `limit`, in id order) against
  // their content_hash, recording any damage as a read would; returns the last id checked
  // (after_id when there is none left).
  virtual Result<std::int64_t> verifyMessages(std::int64_t after_id, int limit) = 0;
  // Writes and commits one small row (durable, like any write): fails when the storage cannot
  // be written (disk full, read-only, I/O errors), for /healthz.
  virtual Result<void> probeWrite() = 0;
  // Appends one audit record (durable when it returns).
  virtual Result<void> appendAudit(const AuditEntry& entry) = 0;
  Result<void> audit(const std::string& event, const std::string& document_id,
                     const std::string& detail) {
    return appendAudit(AuditEntry{event, "system", document_id, "", detail});
  }
  // Audit records with id > after_id, in id order, at most `limit`.
  virtual Result<std::vector<AuditRecord>> auditRecords(std::int64_t after_id, int limit) = 0;
  virtual Result<std::optional<AuditRecord>> lastAudit() = 0;
  virtual Result<void> addCheckpoint(const AuditCheckpoint& c) = 0;
  // All checkpoints, oldest first.
  virtual Result<std::vector<AuditCheckpoint>> checkpoints() = 0;
};

struct StoreOpenOptions {
  // PRAGMA quick_check and the schema's tables and columns, before anything else: a damaged
  // store is refused with damageError().
  bool quick_check = true;
  // Compare the audit log with `<path>.audit-head` (written outside the store after every
  // commit) and keep that file up to date; a store that ends before it lost its tail and is
  // refused. Off for tools that only read (audit verify, store check), which report it instead.
  bool check_head = true;
};

// Opens (creating and migrating as needed) the SQLite store at `path`, in WAL mode.
Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, StoreOpenOptions options = {});

// What checkStore found; ok() when nothing.
struct StoreCheck {
  std::string file;
  int schema_version = 0;
  std::int64_t messages = 0;  // messages whose content_hash was checked (full check)
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};
// quick (PRAGMA quick_check, schema sanity) or full (integrity_check, and every stored message's
// bytes against its content_hash). NotFound when there is no file; damage is in the result.
Result<StoreCheck> checkStore(const std::string& path, bool full);
// The Storage error a damaged store gives: the file, what is wrong, what to do.
Error damageError(const std::string& path, const StoreCheck& check);

// A backup of a node's SQLite store (`lienthong backup`): one SQLite file, a consistent copy made
// while the node runs (one read transaction: VACUUM INTO), holding also the checkpoint file kept
// beside the store (cut to the checkpoints the copy holds). Checked (integrity_check) before it
// is reported. `to` must not exist; nothing is left behind on an error.
struct BackupReport {
  std::string file;
  std::int64_t bytes = 0;
  std::int64_t messages = 0;
  std::int64_t audit_records = 0;
  std::int64_t last_record = 0;
  std::string last_hash;
  std::int64_t checkpoints_outside = 0;
  std::int64_t taken_ms = 0;
};
Result<BackupReport> backupSqliteStore(const std::string& store_path, const std::string& to);
// Puts a backup in place of the store at `store_path` (no node may run on it: the caller makes
// sure). The store, its -wal/-shm, its audit head and the checkpoint file are moved aside to
// `<store>.before-restore-<ms>...` first; the backup's checkpoint file comes back; the store is
// opened as a node opens it (a fresh audit head) and the restore is audited as `store restored`
// by `actor`, saying what the replaced store held beyond the backup.
struct RestoreReport {
  std::vector<std::string> moved_aside;
  std::int64_t messages = 0;
  std::int64_t last_record = 0;  // the restored audit log's last record before the restore's own
  std::int64_t head_before = 0;  // the replaced store's last committed record (its audit head), 0 unknown
  std::int64_t taken_ms = 0;
};
Result<RestoreReport> restoreSqliteStore(const std::string& backup, const std::string& store_path,
                                         const std::string& actor);

// The audit head kept outside the store: the last committed record's id and hash.
struct AuditHead {
  std::int64_t last_record = 0;
  std::string last_hash;
  std::int64_t at_ms = 0;
};
std::string auditHeadPath(const std::string& store_path);  // "<store>.audit-head"
Result<std::optional<AuditHead>> readAuditHead(const std::string& file);

// SHA-256 of `bytes`, lower-case hex: a message's content_hash.
std::string sha256Hex(std::string_view bytes);

}  // namespace lienthong::gateway
