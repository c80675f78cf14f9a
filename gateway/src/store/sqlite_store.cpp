// The embedded store: Poco::Data over SQLite in WAL mode, synchronous=FULL (a commit that
// returned is on disk, so a 202 is never lost to a crash). Writes go through one writer
// connection owned by a committer thread, which takes every write waiting in its queue and runs
// them in one transaction (each in its own savepoint, so one failing write does not undo the
// others), commits once, then answers every caller: one fsync for many intakes (group commit).
// Reads use a small pool of reader connections, which WAL lets run beside the writer.
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

namespace {

constexpr std::pair<DeliveryState, std::string_view> kDeliveryStates[] = {
    {DeliveryState::Pending, "pending"},     {DeliveryState::Delivered, "delivered"},
    {DeliveryState::Paper, "paper"},         {DeliveryState::Failed, "failed"},
    {DeliveryState::Acknowledged, "acknowledged"}, {DeliveryState::Processing, "processing"},
    {DeliveryState::Refused, "refused"},     {DeliveryState::Recalled, "recalled"},
    {DeliveryState::Updated, "updated"},     {DeliveryState::Replaced, "replaced"},
    {DeliveryState::Revoked, "revoked"},
};

}  // namespace

std::string_view deliveryStateName(DeliveryState s) {
  for (const auto& [state, name] : kDeliveryStates) {
    if (state == s) return name;
  }
  return "pending";
}

Result<DeliveryState> parseDeliveryState(std::string_view name) {
  std::string names;
  for (const auto& [state, n] : kDeliveryStates) {
    if (n == name) return state;
    names += names.empty() ? "" : ", ";
    names += n;
  }
  return fail(ErrorCode::InvalidArgument, "'" + std::string(name) + "' is not a delivery state (" + names +
                                              ") / không phải trạng thái chuyển phát");
}

std::string sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md.data(), &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
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
  };
  return kMigrations;
}

// The migration after which existing audit records are chained (they had no hashes before).
constexpr int kChainMigration = 2;

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
    " business_type, target_document, status_code, received_ms, warnings";
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
      auto s = parseDeliveryState(state[i]);
      // A state no version of Lienthong writes: the row is not what the store made.
      if (!s) throw Poco::Data::DataException("delivery " + std::to_string(id[i]) + ": " + s.error().message);
      out.push_back(Delivery{id[i], message_id[i], recipient[i], parseRoute(route[i]),
                             next_node[i], *s, attempts[i], next_attempt_ms[i],
                             last_error[i], created_ms[i], done_ms[i]});
    }
    return out;
  }
};

struct MessageRows {
  std::vector<Int64> id, received_ms;
  std::vector<std::string> kind, sender, document_id, document_sender, content_hash, bytes, hops,
      subject, target_document, warnings;
  std::vector<int> business_type, status_code;

  void bind(Poco::Data::Statement& st) {
    st, into(id), into(kind), into(sender), into(document_id), into(document_sender),
        into(content_hash), into(bytes), into(hops), into(subject), into(business_type),
        into(target_document), into(status_code), into(received_ms), into(warnings);
  }
  std::vector<StoredMessage> take() const {
    std::vector<StoredMessage> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(StoredMessage{
          id[i], kind[i] == "status" ? MessageKind::Status : MessageKind::Document, sender[i],
          document_id[i], document_sender[i], content_hash[i], bytes[i], hops[i], subject[i],
          business_type[i], target_document[i], status_code[i], received_ms[i], warnings[i]});
    }
    return out;
  }
};


void field(std::string& out, std::string_view v) {
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
const char* kAuditColumns = "id, at_ms, event, actor, document_id, subject, detail, prev_hash, hash";

using Session = Poco::Data::Session;

// Storage error for an exception thrown by Poco or the standard library.
Error storageError(const char* what, const std::exception& e) {
  const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
  return Error{ErrorCode::Storage,
               std::string("store: ") + what + ": " + (pe ? pe->displayText() : std::string(e.what())),
               0,
               {}};
}

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

  Result<void> open(int readers, bool check_head) {
    try {
      if (auto r = migrate(); !r) return r;
      auto& s = *writer_;
      // Outside the migrations: a scratch row /healthz rewrites to prove the storage writable.
      s << "CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL)", now;
      std::vector<Int64> id;
      std::vector<std::string> hash;
      s << "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", into(id), into(hash), now;
      chain_ = id.empty() ? Chain{0, std::string(kAuditGenesis)} : Chain{id[0], hash[0]};
      if (auto h = checkHead(s, check_head); !h) return h;
      for (int i = 0; i < readers; ++i) {
        auto r = std::make_unique<Session>("SQLite", path_);
        *r << "PRAGMA busy_timeout=5000", now;
        idle_readers_.push_back(r.get());
        readers_.push_back(std::move(r));
      }
    } catch (const std::exception& e) {
      return std::unexpected(storageError("open", e));
    }
    committer_ = std::thread([this] { commitLoop(); });
    return {};
  }

  Result<Accepted> insertMessage(const NewMessage& m) override {
    return write("insert message", [&](Session& s) -> Result<Accepted> {
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
      s << "INSERT INTO messages(kind, sender, dedupe_key, document_id, document_sender,"
           " content_hash, bytes, hops, subject, business_type, target_document, received_from,"
           " status_code, received_ms, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          bind(kind), bind(m.sender), bind(m.dedupe_key), bind(m.document_id),
          bind(m.document_sender), bind(m.content_hash), bind(m.bytes), bind(m.hops),
          bind(m.subject), bind(m.business_type), bind(m.target_document), bind(m.received_from),
          bind(m.status_code), bind(now_ms), bind(m.warnings), now;
      Int64 id = 0;
      s << "SELECT last_insert_rowid()", into(id), now;
      std::string subject = "message:" + std::to_string(id);
      for (const auto& d : m.deliveries) {
        const std::string route(routeName(d.route));
        const std::string state(deliveryStateName(d.route == RouteKind::Paper ? DeliveryState::Paper
                                                                               : DeliveryState::Pending));
        const Int64 done = d.route == RouteKind::Paper ? now_ms : 0;
        s << "INSERT INTO deliveries(message_id, recipient, route, next_node, state,"
             " next_attempt_ms, created_ms, done_ms) VALUES (?,?,?,?,?,?,?,?)",
            bind(id), bind(d.recipient), bind(route), bind(d.next_node), bind(state), bind(now_ms),
            bind(now_ms), bind(done), now;
      }
      appendChained(s, now_ms,
                    AuditEntry{"received " + kind, m.received_from.empty() ? "system" : m.received_from,
                               m.document_id, subject, m.audit_detail});
      return Accepted{id, false};
    });
  }

  Result<StoredMessage> message(std::int64_t id) override {
    return read("read message", [&](Session& s) -> Result<StoredMessage> {
      MessageRows rows;
      Int64 key = id;
      Poco::Data::Statement st(s);
      st << "SELECT " << kMessageColumns << " FROM messages WHERE id = ?", bind(key);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return fail(ErrorCode::NotFound, "no message " + std::to_string(id));
      return intact(std::move(all.front()));
    });
  }

  Result<std::optional<StoredMessage>> findDocument(const std::string& sender,
                                                    const std::string& document_id) override {
    return read("find document", [&](Session& s) -> Result<std::optional<StoredMessage>> {
      MessageRows rows;
      Poco::Data::Statement st(s);
      st << "SELECT " << kMessageColumns
         << " FROM messages WHERE kind = 'document' AND sender = ? AND dedupe_key = ?",
          bind(sender), bind(document_id);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return std::optional<StoredMessage>{};
      auto m = intact(std::move(all.front()));
      if (!m) return std::unexpected(m.error());
      return std::optional<StoredMessage>{std::move(*m)};
    });
  }

  Result<std::vector<StoredMessage>> findDocuments(const std::string& document_id) override {
    return read("find documents", [&](Session& s) -> Result<std::vector<StoredMessage>> {
      MessageRows rows;
      Poco::Data::Statement st(s);
      st << "SELECT " << kMessageColumns
         << " FROM messages WHERE kind = 'document' AND document_id = ? ORDER BY id",
          bind(document_id);
      rows.bind(st);
      st.execute();
      std::vector<StoredMessage> out;
      for (auto& one : rows.take()) {
        auto m = intact(std::move(one));
        if (!m) return std::unexpected(m.error());
        out.push_back(std::move(*m));
      }
      return out;
    });
  }

  Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, int limit,
                                              const std::vector<std::int64_t>& busy,
                                              const std::vector<std::string>& skip_nodes,
                                              const std::vector<std::string>& skip_units) override {
    return read("due deliveries", [&](Session& s) -> Result<std::vector<Delivery>> {
      DeliveryRows rows;
      Int64 at = now_ms;
      int n = limit + static_cast<int>(busy.size());
      const auto marks = [](std::size_t k) {
        std::string m;
        for (std::size_t i = 0; i < k; ++i) m += i == 0 ? "?" : ",?";
        return m;
      };
      Poco::Data::Statement st(s);
      st << "SELECT " << kDeliveryColumns
         << " FROM deliveries WHERE state = 'pending' AND next_attempt_ms <= ?"
         << (skip_nodes.empty() ? "" : " AND NOT (route = 'peer' AND next_node IN (" + marks(skip_nodes.size()) + "))")
         << (skip_units.empty() ? "" : " AND NOT (route = 'local' AND recipient IN (" + marks(skip_units.size()) + "))")
         << " ORDER BY next_attempt_ms, id LIMIT ?",
          bind(at);
      for (const auto& node : skip_nodes) st, bind(node);
      for (const auto& unit : skip_units) st, bind(unit);
      st, bind(n);
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
    return read("read deliveries", [&](Session& s) -> Result<std::vector<Delivery>> {
      DeliveryRows rows;
      Int64 key = message_id;
      Poco::Data::Statement st(s);
      st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE message_id = ? ORDER BY id",
          bind(key);
      rows.bind(st);
      st.execute();
      return rows.take();
    });
  }

  Result<Delivery> delivery(std::int64_t id) override {
    return read("read delivery", [&](Session& s) -> Result<Delivery> {
      DeliveryRows rows;
      Int64 key = id;
      Poco::Data::Statement st(s);
      st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE id = ?", bind(key);
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return fail(ErrorCode::NotFound, "no delivery " + std::to_string(id));
      return all.front();
    });
  }

  Result<void> finishDelivery(std::int64_t id, DeliveryState state, std::int64_t now_ms,
                              const std::string& note, const std::string& actor) override {
    return write("finish delivery", [&](Session& s) -> Result<void> {
      Int64 key = id, at = now_ms;
      const std::string st(deliveryStateName(state));
      // Already there (a status recorded it with its audit record): nothing to add.
      std::vector<std::string> was;
      s << "SELECT state FROM deliveries WHERE id = ?", bind(key), into(was), now;
      if (!was.empty() && was[0] == st) return {};
      s << "UPDATE deliveries SET state = ?, done_ms = ?, last_error = ? WHERE id = ?", bind(st),
          bind(at), bind(note), bind(key), now;
      std::vector<std::string> document_id;
      std::vector<Int64> message_id;
      s << "SELECT m.document_id, m.id FROM deliveries d JOIN messages m ON m.id = d.message_id"
           " WHERE d.id = ?", bind(key), into(document_id), into(message_id), now;
      appendChained(s, at,
                    AuditEntry{"delivery " + st, actor,
                               document_id.empty() ? std::string() : document_id[0],
                               "delivery:" + std::to_string(id) +
                                   (message_id.empty() ? "" : " message:" + std::to_string(message_id[0])),
                               note});
      return {};
    });
  }

  Result<void> scheduleRetry(std::int64_t id, int attempts, std::int64_t next_ms,
                             const std::string& error) override {
    return write("schedule retry", [&](Session& s) -> Result<void> {
      Int64 key = id, at = next_ms;
      s << "UPDATE deliveries SET attempts = ?, next_attempt_ms = ?, last_error = ?"
           " WHERE id = ?", bind(attempts), bind(at), bind(error), bind(key), now;
      return {};
    });
  }

  Result<std::optional<std::int64_t>> nextDue() override {
    return read("next due", [&](Session& s) -> Result<std::optional<std::int64_t>> {
      std::vector<Int64> at;
      s << "SELECT MIN(next_attempt_ms) FROM deliveries WHERE state = 'pending'"
           " HAVING COUNT(*) > 0", into(at), now;
      if (at.empty()) return std::optional<std::int64_t>{};
      return std::optional<std::int64_t>{at.front()};
    });
  }

  Result<int> retryNow(const std::string& node, std::int64_t now_ms) override {
    return write("retry now", [&](Session& s) -> Result<int> {
      Int64 at = now_ms;
      Poco::Data::Statement st(s);
      st << "UPDATE deliveries SET next_attempt_ms = ? WHERE state = 'pending' AND route = 'peer'"
            " AND next_node = ? AND next_attempt_ms > ?",
          bind(at), bind(node), bind(at);
      return static_cast<int>(st.execute());
    });
  }

  Result<std::vector<Delivery>> pendingCreatedBefore(std::int64_t created_before_ms,
                                                     int limit) override {
    return read("pending deliveries past the horizon", [&](Session& s) -> Result<std::vector<Delivery>> {
      DeliveryRows rows;
      Int64 before = created_before_ms;
      Poco::Data::Statement st(s);
      st << "SELECT " << kDeliveryColumns
         << " FROM deliveries WHERE state = 'pending' AND created_ms < ? ORDER BY id LIMIT ?",
          bind(before), bind(limit);
      rows.bind(st);
      st.execute();
      return rows.take();
    });
  }

  Result<std::vector<Backlog>> backlog() override {
    return read("backlog", [&](Session& s) -> Result<std::vector<Backlog>> {
      std::vector<std::string> route, hop;
      std::vector<Int64> pending, oldest;
      s << "SELECT route, CASE WHEN route = 'peer' THEN next_node ELSE recipient END AS hop,"
           " COUNT(*), MIN(created_ms) FROM deliveries WHERE state = 'pending'"
           " GROUP BY route, hop ORDER BY route, hop",
          into(route), into(hop), into(pending), into(oldest), now;
      std::vector<Backlog> out;
      for (std::size_t i = 0; i < route.size(); ++i) {
        out.push_back(Backlog{parseRoute(route[i]), hop[i], pending[i], oldest[i]});
      }
      return out;
    });
  }

  Result<std::vector<MailboxEntry>> mailbox(const std::string& recipient,
                                            const std::vector<DeliveryState>& states) override {
    return read("mailbox", [&](Session& s) -> Result<std::vector<MailboxEntry>> {
      DeliveryRows rows;
      std::vector<std::string> sender, document_id, subject;
      std::vector<Int64> received;
      Poco::Data::Statement st(s);
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

  Result<std::vector<MailboxEntry>> localDeliveries(const std::string& recipient, MessageKind kind,
                                                    const std::vector<DeliveryState>& states) override {
    return read("local deliveries", [&](Session& s) -> Result<std::vector<MailboxEntry>> {
      DeliveryRows rows;
      std::vector<std::string> sender, document_id, subject;
      std::vector<Int64> received;
      const std::string k(kindName(kind));
      Poco::Data::Statement st(s);
      st << "SELECT d.id, d.message_id, d.recipient, d.route, d.next_node, d.state, d.attempts,"
            " d.next_attempt_ms, d.last_error, d.created_ms, d.done_ms, m.sender, m.document_id,"
            " m.subject, m.received_ms FROM deliveries d JOIN messages m ON m.id = d.message_id"
            " WHERE d.recipient = ? AND d.route = 'local' AND m.kind = ?"
            " AND d.state <> 'pending' ORDER BY d.id",
          bind(recipient), bind(k);
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
                              const std::string& recipient, DeliveryState state) override {
    return write("set mailbox state", [&](Session& s) -> Result<int> {
      const std::string st(deliveryStateName(state));
      Poco::Data::Statement stmt(s);
      stmt << "UPDATE deliveries SET state = ? WHERE route = 'local' AND recipient = ? AND"
              " state <> 'pending' AND message_id IN (SELECT id FROM messages WHERE"
              " kind = 'document' AND sender = ? AND dedupe_key = ?)",
          bind(st), bind(recipient), bind(sender), bind(document_id);
      const auto n = stmt.execute();
      if (n > 0) {
        appendChained(s, nowMs(),
                      AuditEntry{"mailbox " + st, "system", document_id, "recipient:" + recipient,
                                 std::to_string(n) + " mailbox entries from " + sender});
      }
      return static_cast<int>(n);
    });
  }

  Result<void> recordStatus(const StatusRecord& r, std::int64_t delivery_id,
                            std::int64_t now_ms) override {
    return write("record status", [&](Session& s) -> Result<void> {
      Int64 at = now_ms, key = delivery_id;
      const std::string delivered(deliveryStateName(DeliveryState::Delivered));
      // Recorded once per delivery, however often the delivery is handed over.
      std::vector<std::string> state;
      s << "SELECT state FROM deliveries WHERE id = ?", bind(key), into(state), now;
      if (!state.empty() && state[0] != deliveryStateName(DeliveryState::Pending)) return {};
      s << "INSERT INTO statuses(document_sender, document_id, reporter, code, description,"
           " timestamp, recorded_ms) VALUES (?,?,?,?,?,?,?)",
          bind(r.document_sender), bind(r.document_id), bind(r.reporter), bind(r.code),
          bind(r.description), bind(r.timestamp), bind(at), now;
      s << "UPDATE deliveries SET state = ?, done_ms = ? WHERE id = ?", bind(delivered), bind(at),
          bind(key), now;
      appendChained(s, at,
                    AuditEntry{"status " + std::to_string(r.code), "system", r.document_id,
                               "delivery:" + std::to_string(delivery_id),
                               "from " + r.reporter + " for " + r.document_sender});
      // The delivery's own record goes in the same transaction: a crash after this commit
      // cannot leave a delivered status without it (finishDelivery then finds it done).
      std::vector<Int64> message_id;
      s << "SELECT message_id FROM deliveries WHERE id = ?", bind(key), into(message_id), now;
      appendChained(s, at,
                    AuditEntry{"delivery " + delivered, "system", r.document_id,
                               "delivery:" + std::to_string(delivery_id) +
                                   (message_id.empty() ? "" : " message:" + std::to_string(message_id[0])),
                               "mailbox"});
      return {};
    });
  }

  Result<std::vector<StatusRecord>> statusHistory(const std::string& document_sender,
                                                  const std::string& document_id) override {
    return read("status history", [&](Session& s) -> Result<std::vector<StatusRecord>> {
      std::vector<std::string> reporter, description, timestamp;
      std::vector<int> code;
      std::vector<Int64> recorded;
      s << "SELECT reporter, code, description, timestamp, recorded_ms FROM statuses"
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
    return read("counts", [&](Session& s) -> Result<StoreCounts> {
      StoreCounts c;
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

  Result<std::int64_t> verifyMessages(std::int64_t after_id, int limit) override {
    return read("verify messages", [&](Session& s) -> Result<std::int64_t> {
      MessageRows rows;
      Int64 after = after_id;
      Poco::Data::Statement st(s);
      st << "SELECT " << kMessageColumns << " FROM messages WHERE id > ? ORDER BY id LIMIT ?",
          bind(after), bind(limit);
      rows.bind(st);
      st.execute();
      std::int64_t last = after_id;
      for (auto& m : rows.take()) {
        last = m.id;
        (void)intact(std::move(m));
      }
      return last;
    });
  }

  Result<void> probeWrite() override {
    {
      std::lock_guard lock(damage_mu_);
      if (!damage_.empty()) {
        return fail(ErrorCode::Storage, "the store '" + path_ + "' is damaged: " + damage_ +
                                            "; run lienthong store check and restore it from a backup");
      }
      // A small probe may still fit where documents do not (a full disk): a refused write in
      // the last 10 s counts too.
      if (!write_failure_.empty() && nowMs() - write_failure_ms_ < 10000) {
        return fail(ErrorCode::Storage, "store: a write was refused " +
                                            std::to_string((nowMs() - write_failure_ms_) / 1000) +
                                            " s ago: " + write_failure_);
      }
    }
    return write("write probe", [&](Session& s) -> Result<void> {
      Int64 at = nowMs();
      s << "INSERT INTO health_probe(id, at_ms) VALUES (1, ?)"
           " ON CONFLICT(id) DO UPDATE SET at_ms = excluded.at_ms",
          bind(at), now;
      return {};
    });
  }

  Result<void> appendAudit(const AuditEntry& entry) override {
    return write("audit", [&](Session& s) -> Result<void> {
      appendChained(s, nowMs(), entry);
      return {};
    });
  }

  Result<std::vector<AuditRecord>> auditRecords(std::int64_t after_id, int limit) override {
    return read("audit records", [&](Session& s) -> Result<std::vector<AuditRecord>> {
      AuditRows rows;
      Int64 after = after_id;
      Poco::Data::Statement st(s);
      st << "SELECT " << kAuditColumns << " FROM audit WHERE id > ? ORDER BY id LIMIT ?",
          bind(after), bind(limit);
      rows.bind(st);
      st.execute();
      return rows.take();
    });
  }

  Result<std::optional<AuditRecord>> lastAudit() override {
    return read("last audit record", [&](Session& s) -> Result<std::optional<AuditRecord>> {
      AuditRows rows;
      Poco::Data::Statement st(s);
      st << "SELECT " << kAuditColumns << " FROM audit ORDER BY id DESC LIMIT 1";
      rows.bind(st);
      st.execute();
      auto all = rows.take();
      if (all.empty()) return std::optional<AuditRecord>{};
      return std::optional<AuditRecord>{all.front()};
    });
  }

  Result<void> addCheckpoint(const AuditCheckpoint& c) override {
    return write("add checkpoint", [&](Session& s) -> Result<void> {
      Int64 at = c.at_ms, last = c.last_record, records = c.records;
      s << "INSERT INTO audit_checkpoints(at_ms, last_record, last_hash, records, body, signature)"
           " VALUES (?,?,?,?,?,?)",
          bind(at), bind(last), bind(c.last_hash), bind(records), bind(c.body), bind(c.signature),
          now;
      return {};
    });
  }

  Result<std::vector<AuditCheckpoint>> checkpoints() override {
    return read("checkpoints", [&](Session& s) -> Result<std::vector<AuditCheckpoint>> {
      std::vector<Int64> id, at, last, records;
      std::vector<std::string> hash, body, sig;
      s << "SELECT id, at_ms, last_record, last_hash, records, body, signature"
           " FROM audit_checkpoints ORDER BY id",
          into(id), into(at), into(last), into(hash), into(records), into(body), into(sig), now;
      std::vector<AuditCheckpoint> out;
      for (std::size_t i = 0; i < id.size(); ++i) {
        out.push_back(AuditCheckpoint{id[i], at[i], last[i], hash[i], records[i], body[i], sig[i]});
      }
      return out;
    });
  }

 private:
  struct Chain {
    std::int64_t last_id = 0;
    std::string last_hash;
  };

  // SQLite found a damaged page while serving: /healthz says so from now on.
  void noteDamage(const std::exception& e) {
    namespace sq = Poco::Data::SQLite;
    if (const auto* c = dynamic_cast<const sq::CorruptImageException*>(&e)) {
      std::lock_guard lock(damage_mu_);
      if (damage_.empty()) damage_ = "SQLite found a damaged page (" + c->displayText() + ")";
    }
    // The storage refusing writes (full, read-only, I/O errors): /healthz reports it a while.
    if (dynamic_cast<const sq::DatabaseFullException*>(&e) || dynamic_cast<const sq::IOErrorException*>(&e) ||
        dynamic_cast<const sq::ReadOnlyException*>(&e) || dynamic_cast<const sq::CantOpenDBFileException*>(&e) ||
        dynamic_cast<const sq::DBAccessDeniedException*>(&e)) {
      std::lock_guard lock(damage_mu_);
      write_failure_ = dynamic_cast<const Poco::Exception&>(e).displayText();
      write_failure_ms_ = nowMs();
    }
  }

  // A stored message whose bytes no longer match their content_hash is never served: the
  // caller gets a Storage error naming it, and the damage is recorded once in the audit log.
  Result<StoredMessage> intact(StoredMessage m) {
    if (sha256Hex(m.bytes) == m.content_hash) return m;
    bool first = false;
    {
      std::lock_guard lock(damage_mu_);
      first = damaged_.insert(m.id).second;
      if (damage_.empty()) damage_ = "message " + std::to_string(m.id) + " does not match its content_hash";
    }
    const std::string what = "stored " + std::string(kindName(m.kind)) + " " + std::to_string(m.id) +
                             " ('" + m.document_id + "' from " + m.sender + ") is damaged in '" +
                             path_ + "': its bytes no longer match the SHA-256 recorded at intake";
    if (first) (void)appendAudit(AuditEntry{"store damage", "system", m.document_id,
                                            "message:" + std::to_string(m.id), what});
    return fail(ErrorCode::Storage, what + "; it is not served. Restore the store from a backup "
                                           "or ask the sender to send it again (lienthong store check "
                                           "lists every damaged message)");
  }

  // The audit head outside the store (`<store>.audit-head`): "id hash" of the last committed
  // record, rewritten after every commit. A store that ends before it lost its tail.
  void writeHead() {
    if (head_fd_ < 0 || chain_.last_id == head_written_) return;
    const std::string line = std::to_string(chain_.last_id) + " " + chain_.last_hash + " " +
                             std::to_string(nowMs()) + "\n";
    if (::pwrite(head_fd_, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size())) {
      (void)::ftruncate(head_fd_, static_cast<off_t>(line.size()));
      head_written_ = chain_.last_id;
    }
  }

  // One write waiting for the committer. `run` performs it on the writer connection and says
  // whether to keep its changes; `fail` replaces its result when the batch does not commit.
  struct WriteJob {
    std::function<bool(Session&)> run;
    std::function<void(const Error&)> fail;
    bool done = false;
  };

  // Compares the store's audit log with the head written outside it; then keeps that file open
  // to rewrite it after each commit.
  Result<void> checkHead(Session& s, bool check) {
    const std::string head = auditHeadPath(path_);
    if (check) {
      auto mark = readAuditHead(head);
      if (!mark) return std::unexpected(mark.error());
      if (*mark && (*mark)->last_record > 0) {  // record 0: the log was empty then
        const auto& [at_id, at_hash, at_ms] = **mark;
        std::vector<std::string> found;
        Int64 key = at_id;
        s << "SELECT hash FROM audit WHERE id = ?", bind(key), into(found), now;
        if (chain_.last_id < at_id) {
          // Another process (a node beside this tool) may have committed since the head was read.
          std::vector<Int64> last;
          s << "SELECT id FROM audit ORDER BY id DESC LIMIT 1", into(last), now;
          if (!last.empty() && last[0] >= at_id) {
            s << "SELECT hash FROM audit WHERE id = ?", bind(key), into(found), now;
          }
        }
        if (found.empty() || found[0] != at_hash) {
          return fail(ErrorCode::Storage,
                      "the store '" + path_ + "' has lost its last records: its audit log ends at record " +
                          std::to_string(chain_.last_id) + (found.empty() || chain_.last_id < at_id ? "" : " and differs there") +
                          ", but '" + head + "' says record " + std::to_string(at_id) +
                          " was committed (at " + timestampVn(at_ms) +
                          "); documents answered 202 after record " + std::to_string(chain_.last_id) +
                          " may be lost. The node does not start on it: restore the store (and its "
                          "-wal) from a backup, or, to go on with the store as it is, move '" + head +
                          "' aside (keep it as evidence; `lienthong audit verify` still reports the loss "
                          "against audit-checkpoints.jsonl)");
        }
      }
    }
    if (!check) return {};  // a reading tool (audit verify, store check) leaves the head alone
    head_fd_ = ::open(head.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    head_written_ = -1;
    writeHead();
    return {};
  }

  Result<void> migrate() {
    auto& s = *writer_;
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
        if (v + 1 == kChainMigration) chainExisting(s);
        int next = v + 1;
        s << "UPDATE schema_version SET version = ?", bind(next), now;
        s.commit();
      } catch (...) {
        s.rollback();
        throw;
      }
    }
    return {};
  }

  // Records written before the audit log was chained get their hashes, in id order.
  static void chainExisting(Session& s) {
    AuditRows rows;
    Poco::Data::Statement st(s);
    st << "SELECT " << kAuditColumns << " FROM audit ORDER BY id";
    rows.bind(st);
    st.execute();
    std::string prev(kAuditGenesis);
    for (auto& r : rows.take()) {
      if (r.actor.empty()) r.actor = "system";
      r.prev_hash = prev;
      r.hash = auditRecordHash(r);
      Int64 id = r.id;
      s << "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?", bind(r.actor),
          bind(r.prev_hash), bind(r.hash), bind(id), now;
      prev = r.hash;
    }
  }

  // Appends one chained record on the writer connection (committer thread only).
  void appendChained(Session& s, std::int64_t at_ms, const AuditEntry& e) {
    AuditRecord r{chain_.last_id + 1, at_ms, e.event, e.actor, e.document_id, e.subject, e.detail,
                  chain_.last_hash, {}};
    r.hash = auditRecordHash(r);
    Int64 id = r.id, at = r.at_ms;
    s << "INSERT INTO audit(id, at_ms, event, actor, document_id, subject, detail, prev_hash, hash)"
         " VALUES (?,?,?,?,?,?,?,?,?)",
        bind(id), bind(at), bind(r.event), bind(r.actor), bind(r.document_id), bind(r.subject),
        bind(r.detail), bind(r.prev_hash), bind(r.hash), now;
    chain_ = Chain{r.id, r.hash};
  }

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

  void commitLoop() {
    auto& s = *writer_;
    while (true) {
      std::vector<WriteJob*> batch;
      {
        std::unique_lock lock(queue_mu_);
        queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      Chain at_start = chain_;
      try {
        // IMMEDIATE: the write lock is taken (waiting busy_timeout) before anything is read. A
        // deferred transaction that reads first fails at once with "database is locked" when
        // another connection (the register's indexer) committed since its read began.
        s << "BEGIN IMMEDIATE", now;
        {
          // The chain's head as committed: another process (a CLI command recording an
          // administrative act in the same file) may have appended since the last batch.
          std::vector<Int64> id;
          std::vector<std::string> hash;
          s << "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", into(id), into(hash), now;
          chain_ = id.empty() ? Chain{0, std::string(kAuditGenesis)} : Chain{id[0], hash[0]};
          at_start = chain_;
        }
        for (WriteJob* job : batch) {
          const Chain before = chain_;
          s << "SAVEPOINT job", now;
          if (!job->run(s)) {
            s << "ROLLBACK TO job", now;
            chain_ = before;
          }
          s << "RELEASE job", now;
        }
        s << "COMMIT", now;
        writeHead();
      } catch (const std::exception& e) {
        try {
          s << "ROLLBACK", now;
        } catch (const std::exception&) {
          // The transaction is gone either way; its callers are told below.
        }
        chain_ = at_start;
        noteDamage(e);
        const Error err = storageError("commit", e);
        for (WriteJob* job : batch) job->fail(err);
      }
      {
        std::lock_guard lock(queue_mu_);
        for (WriteJob* job : batch) job->done = true;
      }
      done_cv_.notify_all();
    }
  }

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

}  // namespace

std::string auditRecordHash(const AuditRecord& r) {
  std::string canon;
  canon.reserve(128 + r.event.size() + r.detail.size() + r.subject.size());
  field(canon, std::to_string(r.id));
  field(canon, std::to_string(r.at_ms));
  field(canon, r.event);
  field(canon, r.actor);
  field(canon, r.document_id);
  field(canon, r.subject);
  field(canon, r.detail);
  field(canon, r.prev_hash);
  return sha256Hex(canon);
}

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, StoreOpenOptions options) {
  if (options.quick_check && std::filesystem::exists(path)) {
    auto check = checkStore(path, false);
    if (!check) return std::unexpected(check.error());
    if (!check->ok()) return std::unexpected(damageError(path, *check));
  }
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    auto session = std::make_unique<Poco::Data::Session>("SQLite", path);
    auto store = std::make_unique<SqliteStore>(path, std::move(session));
    if (auto r = store->open(4, options.check_head); !r) return std::unexpected(r.error());
    return std::unique_ptr<Store>(std::move(store));
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Storage, "cannot open the store '" + path + "': " + e.displayText());
  }
}

std::string auditHeadPath(const std::string& store_path) { return store_path + ".audit-head"; }

Result<std::optional<AuditHead>> readAuditHead(const std::string& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<AuditHead>{};
  std::ifstream in(file);
  AuditHead h;
  if (!(in >> h.last_record >> h.last_hash >> h.at_ms)) {
    if (std::filesystem::file_size(file, ec) == 0) return std::optional<AuditHead>{};
    return fail(ErrorCode::Storage, "'" + file + "' is not an audit head (id hash time): remove it "
                                    "if the store is known to be intact");
  }
  return std::optional<AuditHead>{h};
}

Error damageError(const std::string& path, const StoreCheck& check) {
  std::string what;
  for (std::size_t i = 0; i < check.problems.size() && i < 5; ++i) what += (i ? "; " : "") + check.problems[i];
  if (check.problems.size() > 5) what += "; and " + std::to_string(check.problems.size() - 5) + " more";
  return Error{ErrorCode::Storage,
               "the store '" + path + "' is damaged: " + what +
                   ". The node does not start on a damaged store: stop it, copy the file (with its "
                   "-wal) aside as evidence, restore the last backup, and run `lienthong store check "
                   "--data DIR` for the full report / Kho dữ liệu bị hỏng: khôi phục từ bản sao lưu",
               0,
               {}};
}

Result<StoreCheck> checkStore(const std::string& path, bool full) {
  StoreCheck out;
  out.file = path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(ErrorCode::NotFound, "no store at '" + path + "'");
  }
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    Session s("SQLite", path);
    s << "PRAGMA busy_timeout=5000", now;
    std::vector<std::string> rows;
    s << (full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)"), into(rows), now;
    for (const auto& r : rows) {
      if (r != "ok") out.problems.push_back("SQLite " + std::string(full ? "integrity_check" : "quick_check") + ": " + r);
    }
    std::vector<std::string> tables;
    s << "SELECT name FROM sqlite_master WHERE type = 'table'", into(tables), now;
    const auto has = [&](const std::string& t) { return std::find(tables.begin(), tables.end(), t) != tables.end(); };
    if (has("schema_version")) {
      std::vector<int> version;
      s << "SELECT version FROM schema_version", into(version), now;
      if (version.size() != 1) {
        out.problems.push_back("schema_version holds " + std::to_string(version.size()) + " rows instead of 1");
      } else {
        out.schema_version = version[0];
        const std::vector<std::pair<int, std::string>> needed = {
            {1, "messages"}, {1, "deliveries"}, {1, "statuses"}, {1, "audit"}, {2, "audit_checkpoints"}};
        for (const auto& [since, table] : needed) {
          if (version[0] >= since && !has(table)) out.problems.push_back("table '" + table + "' is missing");
        }
        // The columns every read relies on.
        const std::vector<std::pair<std::string, std::vector<std::string>>> columns = {
            {"messages", {"id", "kind", "sender", "content_hash", "bytes", "received_ms"}},
            {"deliveries", {"id", "message_id", "recipient", "route", "state", "next_attempt_ms"}},
            {"audit", {"id", "at_ms", "event", "prev_hash", "hash"}}};
        for (const auto& [table, cols] : columns) {
          if (!has(table)) continue;
          std::vector<int> cid, notnull, pk;
          std::vector<std::string> name, type;
          std::vector<Poco::Nullable<std::string>> dflt;
          s << "PRAGMA table_info(" + table + ")", into(cid), into(name), into(type), into(notnull),
              into(dflt), into(pk), now;
          for (const auto& c : cols) {
            if (std::find(name.begin(), name.end(), c) == name.end()) {
              out.problems.push_back("table '" + table + "' has no column '" + c + "'");
            }
          }
        }
      }
    }
    if (full && out.problems.empty() && has("messages")) {
      Int64 after = 0;
      while (true) {
        std::vector<Int64> id;
        std::vector<std::string> hash, bytes;
        s << "SELECT id, content_hash, bytes FROM messages WHERE id > ? ORDER BY id LIMIT 200",
            bind(after), into(id), into(hash), into(bytes), now;
        if (id.empty()) break;
        for (std::size_t i = 0; i < id.size(); ++i) {
          ++out.messages;
          if (sha256Hex(bytes[i]) != hash[i]) {
            out.problems.push_back("message " + std::to_string(id[i]) +
                                   ": its bytes do not match its content_hash");
          }
        }
        after = id.back();
      }
    }
  } catch (const Poco::Exception& e) {
    out.problems.push_back("SQLite cannot read it: " + e.displayText() +
                           " (the file's header or pages are damaged, or it is not a store)");
  }
  return out;
}

}  // namespace lienthong::gateway
