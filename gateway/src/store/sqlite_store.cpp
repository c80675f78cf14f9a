// The embedded store: Poco::Data over SQLite in WAL mode, synchronous=FULL (a commit that
// returned is on disk, so a 202 is never lost to a crash). Writes go through one writer
// connection owned by a committer thread, which takes every write waiting in its queue and runs
// them in one transaction (each in its own savepoint, so one failing write does not undo the
// others), commits once, then answers every caller: one fsync for many intakes (group commit).
// Reads use a small pool of reader connections, which WAL lets run beside the writer.
#include "sqlite_store_impl.h"

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

std::string_view kindName(MessageKind k) {
  switch (k) {
    case MessageKind::Document: return "document";
    case MessageKind::Status: return "status";
    case MessageKind::Summary: return "summary";
  }
  return "document";
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
    {DeliveryState::Revoked, "revoked"},     {DeliveryState::HandedOver, "handed_over"},
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

namespace sqlite_parts {

Result<void> SqliteStore::open(int readers, bool check_head) {
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

Result<void> SqliteStore::probeWrite() {
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

Result<void> SqliteStore::migrate() {
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

void SqliteStore::commitLoop() {
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

}  // namespace sqlite_parts

using namespace sqlite_parts;

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
