// The embedded store: Poco::Data over SQLite in WAL mode. One connection, guarded by a mutex,
// because a SQLite connection is not to be used from two threads at once and SQLite writes one
// transaction at a time anyway. synchronous=FULL: a commit that returned is on disk, so a 202 is
// never lost to a crash.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include "lienthong/gateway/store.h"

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

std::string_view kindName(MessageKind k) {
  return k == MessageKind::Document ? "document" : "status";
}

std::string_view routeName(RouteKind r) {
  switch (r) {
    case RouteKind::Local: return "local";
    case RouteKind::Peer: return "peer";
    case RouteKind::Paper: return "paper";
  }
  return "local";
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

RouteKind parseRoute(const std::string& s) {
  if (s == "peer") return RouteKind::Peer;
  if (s == "paper") return RouteKind::Paper;
  return RouteKind::Local;
}

// Schema versions, applied in order; the store records how many have run.
const std::vector<std::string>& migrations() {
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
  };
  return kMigrations;
}

// Splits a migration into statements (no ';' inside the SQL text above).
std::vector<std::string> statements(const std::string& sql) {
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

const char* kMessageColumns =
    "id, kind, sender, document_id, document_sender, content_hash, bytes, hops, subject,"
    " business_type, target_document, status_code, received_ms";
const char* kDeliveryColumns =
    "id, message_id, recipient, route, next_node, state, attempts, next_attempt_ms, last_error,"
    " created_ms, done_ms";

struct DeliveryRows {
  std::vector<Int64> id, message_id, next_attempt_ms, created_ms, done_ms;
  std::vector<std::string> recipient, route, next_node, state, last_error;
  std::vector<int> attempts;

  void bind(Poco::Data::Statement& st) {
    st, into(id), into(message_id), into(recipient), into(route), into(next_node), into(state),
        into(attempts), into(next_attempt_ms), into(last_error), into(created_ms), into(done_ms);
  }
  std::vector<Delivery> take() const {
    std::vector<Delivery> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(Delivery{id[i], message_id[i], recipient[i], parseRoute(route[i]),
                             next_node[i], state[i], attempts[i], next_attempt_ms[i],
                             last_error[i], created_ms[i], done_ms[i]});
    }
    return out;
  }
};

struct MessageRows {
  std::vector<Int64> id, received_ms;
  std::vector<std::string> kind, sender, document_id, document_sender, content_hash, bytes, hops,
      subject, target_document;
  std::vector<int> business_type, status_code;

  void bind(Poco::Data::Statement& st) {
    st, into(id), into(kind), into(sender), into(document_id), into(document_sender),
        into(content_hash), into(bytes), into(hops), into(subject), into(business_type),
        into(target_document), into(status_code), into(received_ms);
  }
  std::vector<StoredMessage> take() const {
    std::vector<StoredMessage> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(StoredMessage{
          id[i], kind[i] == "status" ? MessageKind::Status : MessageKind::Document, sender[i],
          document_id[i], document_sender[i], content_hash[i], bytes[i], hops[i], subject[i],
          business_type[i], target_document[i], status_code[i], received_ms[i]});
    }
    return out;
  }
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Poco::Data::Session> session)
      : session_(std::move(session)) {}

  Result<void> migrate() {
    return guarded("migrate", [&]() -> Result<void> {
      auto& s = *session_;
      std::string mode;
      s << "PRAGMA journal_mode=WAL", into(mode), now;
      if (mode != "wal") return fail(ErrorCode::Storage, "SQLite refused WAL mode (got " + mode + ")");
      s << "PRAGMA synchronous=FULL", now;
      s << "PRAGMA foreign_keys=ON", now;
      s << "PRAGMA busy_timeout=5000", now;
      s << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", now;
      Int64 rows = 0;
      s << "SELECT COUNT(*) FROM schema_version", into(rows), now;
      if (rows == 0) s << "INSERT INTO schema_version(version) VALUES (0)", now;
      int version = 0;
      s << "SELECT version FROM schema_version", into(version), now;
      const auto& all = migrations();
      if (version > static_cast<int>(all.size())) {
        return fail(ErrorCode::Storage, "the store was written by a newer lienthong (schema " +
                                            std::to_string(version) + ")");
      }
      for (int v = version; v < static_cast<int>(all.size()); ++v) {
        s.begin();
        try {
          for (const auto& stmt : statements(all[v])) s << stmt, now;
          int next = v + 1;
          s << "UPDATE schema_version SET version = ?", bind(next), now;
          s.commit();
        } catch (...) {
          s.rollback();
          throw;
        }
      }
      return {};
    });
  }

  Result<Accepted> insertMessage(const NewMessage& m) override {
    return guarded("insert message", [&]() -> Result<Accepted> {
      auto& s = *session_;
      const std::string kind(kindName(m.kind));
      std::vector<Int64> ids;
      std::vector<std::string> hashes;
      s << "SELECT id, content_hash FROM messages WHERE kind = ? AND sender = ? AND dedupe_key = ?",
          bind(kind), bind(m.sender), bind(m.dedupe_key), into(ids), into(hashes), now;
      if (!ids.empty()) {
        if (hashes[0] == m.content_hash) return Accepted{ids[0], true};
        return fail(ErrorCode::Conflict, "DocumentId '" + m.document_id + "' from " + m.sender +
                                             " was already received with different content (id " +
                                             std::to_string(ids[0]) + ")");
      }
      const Int64 now_ms = nowMs();
      s.begin();
      try {
        s << "INSERT INTO messages(kind, sender, dedupe_key, document_id, document_sender,"
             " content_hash, bytes, hops, subject, business_type, target_document, received_from,"
             " status_code, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            bind(kind), bind(m.sender), bind(m.dedupe_key), bind(m.document_id),
            bind(m.document_sender), bind(m.content_hash), bind(m.bytes), bind(m.hops),
            bind(m.subject), bind(m.business_type), bind(m.target_document), bind(m.received_from),
            bind(m.status_code), bind(now_ms), now;
        Int64 id = 0;
        s << "SELECT last_insert_rowid()", into(id), now;
        for (const auto& d : m.deliveries) {
          const std::string route(routeName(d.route));
          const std::string state(d.route == RouteKind::Paper ? kPaper : kPending);
          const Int64 done = d.route == RouteKind::Paper ? now_ms : 0;
          s << "INSERT INTO deliveries(message_id, recipient, route, next_node, state,"
               " next_attempt_ms, created_ms, done_ms) VALUES (?,?,?,?,?,?,?,?)",
              bind(id), bind(d.recipient), bind(route), bind(d.next_node), bind(state), bind(now_ms),
              bind(now_ms), bind(done), now;
        }
        const std::string event = "received " + kind;
        const std::string detail = m.audit_detail;
        s << "INSERT INTO audit(at_ms, event, document_id, detail) VALUES (?,?,?,?)",
            bind(now_ms), bind(event), bind(m.document_id), bind(detail), now;
        s.commit();
        return Accepted{id, false};
      } catch (...) {
        s.rollback();
        throw;
      }
    });
  }

  Result<StoredMessage> message(std::int64_t id) override {
    return guarded("read message", [&]() -> Result<StoredMessage> {
      MessageRows rows;
      Int64 key = id;
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kMessageColumns << " FROM messages WHERE id = ?", bind(key);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return fail(ErrorCode::NotFound, "no message " + std::to_string(id));
      return all.front();
    });
  }

  Result<std::optional<StoredMessage>> findDocument(const std::string& sender,
                                                    const std::string& document_id) override {
    return guarded("find document", [&]() -> Result<std::optional<StoredMessage>> {
      MessageRows rows;
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kMessageColumns
         << " FROM messages WHERE kind = 'document' AND sender = ? AND dedupe_key = ?",
          bind(sender), bind(document_id);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return std::optional<StoredMessage>{};
      return std::optional<StoredMessage>{all.front()};
    });
  }

  Result<std::vector<StoredMessage>> findDocuments(const std::string& document_id) override {
    return guarded("find documents", [&]() -> Result<std::vector<StoredMessage>> {
      MessageRows rows;
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kMessageColumns
         << " FROM messages WHERE kind = 'document' AND document_id = ? ORDER BY id",
          bind(document_id);
      rows.bind(st);
      st.execute();
      return rows.take();
    });
  }

  Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, int limit,
                                              const std::vector<std::int64_t>& busy) override {
    return guarded("due deliveries", [&]() -> Result<std::vector<Delivery>> {
      DeliveryRows rows;
      Int64 at = now_ms;
      int n = limit + static_cast<int>(busy.size());
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kDeliveryColumns
         << " FROM deliveries WHERE state = 'pending' AND next_attempt_ms <= ?"
            " ORDER BY next_attempt_ms, id LIMIT ?",
          bind(at), bind(n);
      rows.bind(st);
      st.execute();
      std::set<std::int64_t> skip(busy.begin(), busy.end());
      std::vector<Delivery> out;
      for (auto& d : rows.take()) {
        if (skip.contains(d.id)) continue;
        if (static_cast<int>(out.size()) >= limit) break;
        out.push_back(std::move(d));
      }
      return out;
    });
  }

  Result<std::vector<Delivery>> deliveriesOf(std::int64_t message_id) override {
    return guarded("read deliveries", [&]() -> Result<std::vector<Delivery>> {
      DeliveryRows rows;
      Int64 key = message_id;
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE message_id = ? ORDER BY id",
          bind(key);
      rows.bind(st);
      st.execute();
      return rows.take();
    });
  }

  Result<Delivery> delivery(std::int64_t id) override {
    return guarded("read delivery", [&]() -> Result<Delivery> {
      DeliveryRows rows;
      Int64 key = id;
      Poco::Data::Statement st(*session_);
      st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE id = ?", bind(key);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return fail(ErrorCode::NotFound, "no delivery " + std::to_string(id));
      return all.front();
    });
  }

  Result<void> finishDelivery(std::int64_t id, std::string_view state, std::int64_t now_ms,
                              const std::string& note) override {
    return guarded("finish delivery", [&]() -> Result<void> {
      auto& s = *session_;
      Int64 key = id, at = now_ms;
      const std::string st(state);
      s.begin();
      try {
        s << "UPDATE deliveries SET state = ?, done_ms = ?, last_error = ? WHERE id = ?", bind(st),
            bind(at), bind(note), bind(key), now;
        const std::string event = "delivery " + st;
        const std::string detail = "delivery " + std::to_string(id) + (note.empty() ? "" : ": ") + note;
        std::string document_id;
        s << "SELECT m.document_id FROM deliveries d JOIN messages m ON m.id = d.message_id"
             " WHERE d.id = ?", bind(key), into(document_id), now;
        s << "INSERT INTO audit(at_ms, event, document_id, detail) VALUES (?,?,?,?)", bind(at),
            bind(event), bind(document_id), bind(detail), now;
        s.commit();
        return {};
      } catch (...) {
        s.rollback();
        throw;
      }
    });
  }

  Result<void> scheduleRetry(std::int64_t id, int attempts, std::int64_t next_ms,
                             const std::string& error) override {
    return guarded("schedule retry", [&]() -> Result<void> {
      Int64 key = id, at = next_ms;
      *session_ << "UPDATE deliveries SET attempts = ?, next_attempt_ms = ?, last_error = ?"
                   " WHERE id = ?", bind(attempts), bind(at), bind(error), bind(key), now;
      return {};
    });
  }

  Result<std::optional<std::int64_t>> nextDue() override {
    return guarded("next due", [&]() -> Result<std::optional<std::int64_t>> {
      std::vector<Int64> at;
      *session_ << "SELECT MIN(next_attempt_ms) FROM deliveries WHERE state = 'pending'"
                   " HAVING COUNT(*) > 0", into(at), now;
      if (at.empty()) return std::optional<std::int64_t>{};
      return std::optional<std::int64_t>{at.front()};
    });
  }

  Result<std::vector<MailboxEntry>> mailbox(const std::string& recipient,
                                            const std::vector<std::string>& states) override {
    return guarded("mailbox", [&]() -> Result<std::vector<MailboxEntry>> {
      DeliveryRows rows;
      std::vector<std::string> sender, document_id, subject;
      std::vector<Int64> received;
      Poco::Data::Statement st(*session_);
      st << "SELECT d.id, d.message_id, d.recipient, d.route, d.next_node, d.state, d.attempts,"
            " d.next_attempt_ms, d.last_error, d.created_ms, d.done_ms, m.sender, m.document_id,"
            " m.subject, m.received_ms FROM deliveries d JOIN messages m ON m.id = d.message_id"
            " WHERE d.recipient = ? AND d.route = 'local' AND m.kind = 'document'"
            " AND d.state <> 'pending' ORDER BY d.id",
          bind(recipient);
      rows.bind(st);
      st, into(sender), into(document_id), into(subject), into(received);
      st.execute();
      auto ds = rows.take();
      std::vector<MailboxEntry> out;
      for (std::size_t i = 0; i < ds.size(); ++i) {
        if (!states.empty() &&
            std::find(states.begin(), states.end(), ds[i].state) == states.end()) {
          continue;
        }
        out.push_back(MailboxEntry{ds[i], sender[i], document_id[i], subject[i], received[i]});
      }
      return out;
    });
  }

  Result<int> setMailboxState(const std::string& sender, const std::string& document_id,
                              const std::string& recipient, std::string_view state) override {
    return guarded("set mailbox state", [&]() -> Result<int> {
      const std::string st(state);
      Poco::Data::Statement stmt(*session_);
      stmt << "UPDATE deliveries SET state = ? WHERE route = 'local' AND recipient = ? AND"
              " state <> 'pending' AND message_id IN (SELECT id FROM messages WHERE"
              " kind = 'document' AND sender = ? AND dedupe_key = ?)",
          bind(st), bind(recipient), bind(sender), bind(document_id);
      const auto n = stmt.execute();
      return static_cast<int>(n);
    });
  }

  Result<void> recordStatus(const StatusRecord& r, std::int64_t delivery_id,
                            std::int64_t now_ms) override {
    return guarded("record status", [&]() -> Result<void> {
      auto& s = *session_;
      Int64 at = now_ms, key = delivery_id;
      const std::string delivered(kDelivered);
      s.begin();
      try {
        s << "INSERT INTO statuses(document_sender, document_id, reporter, code, description,"
             " timestamp, recorded_ms) VALUES (?,?,?,?,?,?,?)",
            bind(r.document_sender), bind(r.document_id), bind(r.reporter), bind(r.code),
            bind(r.description), bind(r.timestamp), bind(at), now;
        s << "UPDATE deliveries SET state = ?, done_ms = ? WHERE id = ?", bind(delivered), bind(at),
            bind(key), now;
        const std::string event = "status " + std::to_string(r.code);
        const std::string detail = "from " + r.reporter + " for " + r.document_sender;
        s << "INSERT INTO audit(at_ms, event, document_id, detail) VALUES (?,?,?,?)", bind(at),
            bind(event), bind(r.document_id), bind(detail), now;
        s.commit();
        return {};
      } catch (...) {
        s.rollback();
        throw;
      }
    });
  }

  Result<std::vector<StatusRecord>> statusHistory(const std::string& document_sender,
                                                  const std::string& document_id) override {
    return guarded("status history", [&]() -> Result<std::vector<StatusRecord>> {
      std::vector<std::string> reporter, description, timestamp;
      std::vector<int> code;
      std::vector<Int64> recorded;
      *session_ << "SELECT reporter, code, description, timestamp, recorded_ms FROM statuses"
                   " WHERE document_sender = ? AND document_id = ? ORDER BY id",
          bind(document_sender), bind(document_id), into(reporter), into(code), into(description),
          into(timestamp), into(recorded), now;
      std::vector<StatusRecord> out;
      for (std::size_t i = 0; i < reporter.size(); ++i) {
        out.push_back(StatusRecord{document_sender, document_id, reporter[i], code[i],
                                   description[i], timestamp[i], recorded[i]});
      }
      return out;
    });
  }

  Result<StoreCounts> counts() override {
    return guarded("counts", [&]() -> Result<StoreCounts> {
      StoreCounts c;
      auto& s = *session_;
      s << "SELECT COUNT(*) FROM messages", into(c.messages), now;
      s << "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'", into(c.pending), now;
      s << "SELECT COUNT(*) FROM deliveries WHERE state NOT IN ('pending','paper','failed')",
          into(c.delivered), now;
      s << "SELECT COUNT(*) FROM deliveries WHERE state = 'paper'", into(c.paper), now;
      s << "SELECT COUNT(*) FROM deliveries WHERE state = 'failed'", into(c.failed), now;
      s << "SELECT COUNT(*) FROM audit", into(c.audit), now;
      return c;
    });
  }

  Result<void> audit(const std::string& event, const std::string& document_id,
                     const std::string& detail) override {
    return guarded("audit", [&]() -> Result<void> {
      Int64 at = nowMs();
      *session_ << "INSERT INTO audit(at_ms, event, document_id, detail) VALUES (?,?,?,?)",
          bind(at), bind(event), bind(document_id), bind(detail), now;
      return {};
    });
  }

 private:
  // Runs `f` under the connection lock; Poco's exceptions end here as Storage errors.
  template <typename F>
  auto guarded(const char* what, F&& f) -> decltype(f()) {
    std::lock_guard lock(mu_);
    try {
      return f();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Storage, std::string("store: ") + what + ": " + e.displayText());
    } catch (const std::exception& e) {
      return fail(ErrorCode::Storage, std::string("store: ") + what + ": " + e.what());
    }
  }

  std::mutex mu_;  // guards session_ (one SQLite connection, one user at a time)
  std::unique_ptr<Poco::Data::Session> session_;
};

}  // namespace

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path) {
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    auto session = std::make_unique<Poco::Data::Session>("SQLite", path);
    auto store = std::make_unique<SqliteStore>(std::move(session));
    if (auto r = store->migrate(); !r) return std::unexpected(r.error());
    return std::unique_ptr<Store>(std::move(store));
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Storage, "cannot open the store '" + path + "': " + e.displayText());
  }
}

}  // namespace lienthong::gateway
