// SqliteStore, shared by its files: sqlite_store.cpp (opening, migrations, the committer
// and the reader pool), sqlite_store_messages.cpp (messages, statuses, counts and damage),
// sqlite_store_deliveries.cpp (deliveries and mailboxes) and sqlite_store_audit.cpp (the audit
// chain, its head file and checkpoints). Private to the store room.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Data/DataException.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {

namespace sqlite_parts {

using namespace Poco::Data::Keywords;
using Poco::Int64;

inline RouteKind parseRoute(const std::string& s) {
  if (s == "peer") return RouteKind::Peer;
  if (s == "paper") return RouteKind::Paper;
  return RouteKind::Local;
}

// Schema versions, applied in order; the store records how many have run.
inline const std::vector<std::string>& migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: messages, deliveries, statuses, audit.
      "CREATE TABLE messages ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " kind TEXT NOT NULL, sender TEXT NOT NULL, dedupe_key TEXT NOT NULL,"
      " document_id TEXT NOT NULL DEFAULT '', document_sender TEXT NOT NULL DEFAULT '',"
      " content_hash TEXT NOT NULL, bytes TEXT NOT NULL, hops TEXT NOT NULL DEFAULT '',"
      " subject TEXT NOT NULL DEFAULT '', business_type INTEGER NOT NULL DEFAULT 0,"
      " target_document TEXT NOT NULL DEFAULT '', received_from TEXT NOT NULL DEFAULT '',"
      " status_code INTEGER NOT NULL DEFAULT 0, received_ms INTEGER NOT NULL);"
      "CREATE UNIQUE INDEX messages_dedupe ON messages(kind, sender, dedupe_key);"
      "CREATE INDEX messages_document ON messages(document_id);"
      "CREATE TABLE deliveries ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " message_id INTEGER NOT NULL REFERENCES messages(id),"
      " recipient TEXT NOT NULL, route TEXT NOT NULL, next_node TEXT NOT NULL DEFAULT '',"
      " state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
      " next_attempt_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
      " created_ms INTEGER NOT NULL, done_ms INTEGER NOT NULL DEFAULT 0);"
      "CREATE INDEX deliveries_due ON deliveries(state, next_attempt_ms);"
      "CREATE INDEX deliveries_message ON deliveries(message_id);"
      "CREATE INDEX deliveries_recipient ON deliveries(recipient, route);"
      "CREATE TABLE statuses ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT,"
      " document_sender TEXT NOT NULL, document_id TEXT NOT NULL, reporter TEXT NOT NULL,"
      " code INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '',"
      " timestamp TEXT NOT NULL DEFAULT '', recorded_ms INTEGER NOT NULL);"
      "CREATE INDEX statuses_document ON statuses(document_sender, document_id);"
      "CREATE TABLE audit ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, event TEXT NOT NULL,"
      " document_id TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');",
      // 2: the audit log becomes a hash chain (records of version 1 are chained by the
      // migration, see kChainMigration) with signed checkpoints.
      "ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE audit ADD COLUMN subject TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';"
      "CREATE TABLE audit_checkpoints ("
      " id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,"
      " last_record INTEGER NOT NULL, last_hash TEXT NOT NULL, records INTEGER NOT NULL,"
      " body TEXT NOT NULL, signature TEXT NOT NULL);",
      // 3: the warnings intake tolerated, kept beside the message (JSON array).
      "ALTER TABLE messages ADD COLUMN warnings TEXT NOT NULL DEFAULT '';",
      // 4: a delivery a dispatcher is handing over is claimed in the store, with a time the claim
      // runs out (Store::claimDeliveries).
      "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';"
      "ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;",
      // 5: what a delivery to a closed code's successor was addressed to (NewDelivery).
      "ALTER TABLE deliveries ADD COLUMN addressed_to TEXT NOT NULL DEFAULT '';",
      // 6: the messages taken from a retiring node (Store::adoptMessage), by their id there.
      "CREATE TABLE handover_items ("
      " from_node TEXT NOT NULL, origin_id INTEGER NOT NULL, message_id INTEGER NOT NULL,"
      " content_hash TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (from_node, origin_id));",
  };
  return kMigrations;
}

// The migration after which existing audit records are chained (they had no hashes before).
constexpr int kChainMigration = 2;

// Splits a migration into statements (no ';' inside the SQL text above).
inline std::vector<std::string> statements(const std::string& sql) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < sql.size()) {
    auto end = sql.find(';', start);
    if (end == std::string::npos) end = sql.size();
    std::string s = sql.substr(start, end - start);
    if (s.find_first_not_of(" \n\t") != std::string::npos) out.push_back(s);
    start = end + 1;
  }
  return out;
}

inline const char* kMessageColumns =
    "id, kind, sender, document_id, document_sender, content_hash, bytes, hops, subject,"
    " business_type, target_document, status_code, received_ms, warnings, dedupe_key, received_from";
inline const char* kDeliveryColumns =
    "id, message_id, recipient, route, next_node, state, attempts, next_attempt_ms, last_error,"
    " created_ms, done_ms, addressed_to";

struct DeliveryRows {
  std::vector<Int64> id, message_id, next_attempt_ms, created_ms, done_ms;
  std::vector<std::string> recipient, route, next_node, state, last_error, addressed_to;
  std::vector<int> attempts;

  void bind(Poco::Data::Statement& st) {
    st, into(id), into(message_id), into(recipient), into(route), into(next_node), into(state),
        into(attempts), into(next_attempt_ms), into(last_error), into(created_ms), into(done_ms),
        into(addressed_to);
  }
  std::vector<Delivery> take() const {
    std::vector<Delivery> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      auto s = parseDeliveryState(state[i]);
      // A state no version of Lienthong writes: the row is not what the store made.
      if (!s) throw Poco::Data::DataException("delivery " + std::to_string(id[i]) + ": " + s.error().message);
      out.push_back(Delivery{id[i], message_id[i], recipient[i], parseRoute(route[i]),
                             next_node[i], *s, attempts[i], next_attempt_ms[i],
                             last_error[i], created_ms[i], done_ms[i], addressed_to[i]});
    }
    return out;
  }
};

struct MessageRows {
  std::vector<Int64> id, received_ms;
  std::vector<std::string> kind, sender, document_id, document_sender, content_hash, bytes, hops,
      subject, target_document, warnings, dedupe_key, received_from;
  std::vector<int> business_type, status_code;

  void bind(Poco::Data::Statement& st) {
    st, into(id), into(kind), into(sender), into(document_id), into(document_sender),
        into(content_hash), into(bytes), into(hops), into(subject), into(business_type),
        into(target_document), into(status_code), into(received_ms), into(warnings), into(dedupe_key),
        into(received_from);
  }
  std::vector<StoredMessage> take() const {
    std::vector<StoredMessage> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(StoredMessage{
          id[i], kind[i] == "status"    ? MessageKind::Status
          : kind[i] == "summary" ? MessageKind::Summary
                                 : MessageKind::Document, sender[i],
          document_id[i], document_sender[i], content_hash[i], bytes[i], hops[i], subject[i],
          business_type[i], target_document[i], status_code[i], received_ms[i], warnings[i],
          dedupe_key[i], received_from[i]});
    }
    return out;
  }
};

inline void field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out.append(v);
  out += ';';
}

struct AuditRows {
  std::vector<Int64> id, at_ms;
  std::vector<std::string> event, actor, document_id, subject, detail, prev_hash, hash;
  void bind(Poco::Data::Statement& st) {
    st, into(id), into(at_ms), into(event), into(actor), into(document_id), into(subject),
        into(detail), into(prev_hash), into(hash);
  }
  std::vector<AuditRecord> take() const {
    std::vector<AuditRecord> out;
    out.reserve(id.size());
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(AuditRecord{id[i], at_ms[i], event[i], actor[i], document_id[i], subject[i],
                                detail[i], prev_hash[i], hash[i]});
    }
    return out;
  }
};
inline const char* kAuditColumns = "id, at_ms, event, actor, document_id, subject, detail, prev_hash, hash";

using Session = Poco::Data::Session;

// Storage error for an exception thrown by Poco or the standard library.
inline Error storageError(const char* what, const std::exception& e) {
  const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
  return Error{ErrorCode::Storage,
               std::string("store: ") + what + ": " + (pe ? pe->displayText() : std::string(e.what())),
               0,
               {}};
}

// Inserts the messages row of `m` (not its deliveries) inside the caller's transaction; its id.
Int64 insertMessageRow(Poco::Data::Session& s, const NewMessage& m, Int64 received_ms);

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, std::unique_ptr<Session> writer)
      : path_(std::move(path)), writer_(std::move(writer)) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
    if (head_fd_ >= 0) ::close(head_fd_);
  }

  Result<void> open(int readers, bool check_head);

  Result<Accepted> insertMessage(const NewMessage& m) override;

  Result<StoredMessage> message(std::int64_t id) override;

  Result<std::optional<StoredMessage>> findDocument(const std::string& sender,
                                                    const std::string& document_id) override;

  Result<std::vector<StoredMessage>> findDocuments(const std::string& document_id) override;

  Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, int limit,
                                              const std::vector<std::int64_t>& busy,
                                              const std::vector<std::string>& skip_nodes,
                                              const std::vector<std::string>& skip_units) override;

  Result<std::vector<Delivery>> deliveriesOf(std::int64_t message_id) override;

  Result<Delivery> delivery(std::int64_t id) override;

  Result<void> finishDelivery(std::int64_t id, DeliveryState state, std::int64_t now_ms,
                              const std::string& note, const std::string& actor) override;

  Result<bool> rerouteDelivery(std::int64_t id, const NewDelivery& to, std::int64_t now_ms,
                               const std::string& note, const std::string& actor) override;
  Result<void> scheduleRetry(std::int64_t id, int attempts, std::int64_t next_ms,
                             const std::string& error) override;

  Result<std::optional<std::int64_t>> nextDue() override;

  Result<std::vector<std::int64_t>> claimDeliveries(const std::vector<std::int64_t>& ids,
                                                    const std::string& owner, std::int64_t now_ms,
                                                    std::int64_t until_ms) override;
  Result<int> releaseClaims(const std::string& owner, const std::vector<std::int64_t>& ids) override;
  Result<int> retryNow(const std::string& node, std::int64_t now_ms) override;

  Result<std::vector<Delivery>> pendingCreatedBefore(std::int64_t created_before_ms,
                                                     int limit) override;

  Result<std::vector<Backlog>> backlog() override;

  Result<std::vector<MailboxEntry>> mailbox(const std::string& recipient,
                                            const std::vector<DeliveryState>& states) override;

  Result<std::vector<MailboxEntry>> localDeliveries(const std::string& recipient, MessageKind kind,
                                                    const std::vector<DeliveryState>& states) override;

  Result<int> setMailboxState(const std::string& sender, const std::string& document_id,
                              const std::string& recipient, DeliveryState state) override;

  Result<void> recordStatus(const StatusRecord& r, std::int64_t delivery_id,
                            std::int64_t now_ms) override;

  Result<std::vector<StatusRecord>> statusHistory(const std::string& document_sender,
                                                  const std::string& document_id) override;

  Result<AdoptedMessage> adoptMessage(const HandedMessage& m, const std::string& actor) override;
  Result<std::vector<HandoverItem>> handoverItems(const std::string& from_node) override;
  Result<int> adoptStatuses(const std::vector<StatusRecord>& statuses, const std::string& actor) override;
  Result<std::vector<StoredMessage>> messagesAfter(std::int64_t after_id, int limit) override;
  Result<std::vector<StatusRecord>> allStatuses() override;
  Result<int> handOver(const std::string& to_node, const std::string& actor, std::int64_t now_ms) override;

  Result<StoreCounts> counts() override;

  Result<std::int64_t> verifyMessages(std::int64_t after_id, int limit) override;

  Result<void> probeWrite() override;

  Result<void> appendAudit(const AuditEntry& entry) override;

  Result<std::vector<AuditRecord>> auditRecords(std::int64_t after_id, int limit) override;

  Result<std::optional<AuditRecord>> lastAudit() override;

  Result<void> addCheckpoint(const AuditCheckpoint& c) override;

  Result<std::vector<AuditCheckpoint>> checkpoints() override;

 private:
  struct Chain {
    std::int64_t last_id = 0;
    std::string last_hash;
  };

  // SQLite found a damaged page while serving: /healthz says so from now on.
  void noteDamage(const std::exception& e);

  // A stored message whose bytes no longer match their content_hash is never served: the
  // caller gets a Storage error naming it, and the damage is recorded once in the audit log.
  Result<StoredMessage> intact(StoredMessage m);
  // Each of these rows through intact(): the first damaged one is the error.
  Result<std::vector<StoredMessage>> allIntact(const MessageRows& rows);

  // The audit head outside the store (`<store>.audit-head`): "id hash" of the last committed
  // record, rewritten after every commit. A store that ends before it lost its tail.
  void writeHead();

  // One write waiting for the committer. `run` performs it on the writer connection and says
  // whether to keep its changes; `fail` replaces its result when the batch does not commit.
  struct WriteJob {
    std::function<bool(Session&)> run;
    std::function<void(const Error&)> fail;
    bool done = false;
  };

  // Compares the store's audit log with the head written outside it; then keeps that file open
  // to rewrite it after each commit.
  Result<void> checkHead(Session& s, bool check);

  Result<void> migrate();

  // Records written before the audit log was chained get their hashes, in id order.
  static void chainExisting(Session& s);

  // Appends one chained record on the writer connection (committer thread only).
  void appendChained(Session& s, std::int64_t at_ms, const AuditEntry& e);

  // Queues `f` for the committer and waits until its batch has committed (or failed).
  template <typename F>
  auto write(const char* what, F&& f) -> decltype(f(std::declval<Session&>())) {
    using R = decltype(f(std::declval<Session&>()));
    std::optional<R> result;
    WriteJob job;
    job.run = [&](Session& s) -> bool {
      try {
        result.emplace(f(s));
      } catch (const std::exception& e) {
        noteDamage(e);
        result.emplace(std::unexpected(storageError(what, e)));
      }
      return result->has_value();
    };
    job.fail = [&](const Error& e) { result.emplace(std::unexpected(e)); };
    {
      std::unique_lock lock(queue_mu_);
      if (stopping_) return fail(ErrorCode::Storage, std::string("store: ") + what + ": the store is closing");
      queue_.push_back(&job);
      queue_cv_.notify_all();
      done_cv_.wait(lock, [&] { return job.done; });
    }
    return std::move(*result);
  }

  void commitLoop();

  // Runs `f` on an idle reader connection; Poco's exceptions end here as Storage errors.
  template <typename F>
  auto read(const char* what, F&& f) -> decltype(f(std::declval<Session&>())) {
    Session* session = nullptr;
    {
      std::unique_lock lock(readers_mu_);
      readers_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
      session = idle_readers_.back();
      idle_readers_.pop_back();
    }
    struct Release {
      SqliteStore* self;
      Session* s;
      ~Release() {
        {
          std::lock_guard lock(self->readers_mu_);
          self->idle_readers_.push_back(s);
        }
        self->readers_cv_.notify_one();
      }
    } release{this, session};
    try {
      return f(*session);
    } catch (const std::exception& e) {
      noteDamage(e);
      return std::unexpected(storageError(what, e));
    }
  }

  static constexpr std::size_t kMaxBatch = 512;

  std::string path_;
  std::unique_ptr<Session> writer_;  // used by the committer thread only (and open() before it)
  Chain chain_;                      // the audit log's head; committer thread only
  int head_fd_ = -1;                 // <store>.audit-head; committer thread only
  std::int64_t head_written_ = 0;
  std::mutex damage_mu_;             // guards damaged_
  std::set<std::int64_t> damaged_;   // messages whose damage is already in the audit log
  std::string damage_;               // the first damage seen while running, for /healthz
  std::string write_failure_;        // the last write the storage refused, and when
  std::int64_t write_failure_ms_ = 0;

  std::mutex queue_mu_;  // guards queue_, stopping_ and every queued WriteJob::done
  std::condition_variable queue_cv_;
  std::condition_variable done_cv_;
  std::deque<WriteJob*> queue_;
  bool stopping_ = false;
  std::thread committer_;

  std::mutex readers_mu_;  // guards idle_readers_
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<Session>> readers_;  // owned; fixed after open()
  std::vector<Session*> idle_readers_;
};

}  // namespace sqlite_parts

}  // namespace lienthong::gateway
