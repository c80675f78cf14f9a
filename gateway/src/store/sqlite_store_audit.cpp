// The store's audit chain: records appended with their hash links, the head file beside the
// store that shows a truncated log, and the signed checkpoints.
#include "sqlite_store_impl.h"

namespace lienthong::gateway::sqlite_parts {

Result<void> SqliteStore::appendAudit(const AuditEntry& entry) {
  return write("audit", [&](Session& s) -> Result<void> {
    appendChained(s, nowMs(), entry);
    return {};
  });
}

Result<std::vector<AuditRecord>> SqliteStore::auditRecords(std::int64_t after_id, int limit) {
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

Result<std::optional<AuditRecord>> SqliteStore::lastAudit() {
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

Result<void> SqliteStore::addCheckpoint(const AuditCheckpoint& c) {
  return write("add checkpoint", [&](Session& s) -> Result<void> {
    Int64 at = c.at_ms, last = c.last_record, records = c.records;
    s << "INSERT INTO audit_checkpoints(at_ms, last_record, last_hash, records, body, signature)"
         " VALUES (?,?,?,?,?,?)",
        bind(at), bind(last), bind(c.last_hash), bind(records), bind(c.body), bind(c.signature),
        now;
    return {};
  });
}

Result<std::vector<AuditCheckpoint>> SqliteStore::checkpoints() {
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

// The audit head outside the store (`<store>.audit-head`): "id hash" of the last committed
// record, rewritten after every commit. A store that ends before it lost its tail.
void SqliteStore::writeHead() {
  if (head_fd_ < 0 || chain_.last_id == head_written_) return;
  const std::string line = std::to_string(chain_.last_id) + " " + chain_.last_hash + " " +
                           std::to_string(nowMs()) + "\n";
  if (::pwrite(head_fd_, line.data(), line.size(), 0) == static_cast<ssize_t>(line.size())) {
    (void)::ftruncate(head_fd_, static_cast<off_t>(line.size()));
    head_written_ = chain_.last_id;
  }
}

// Compares the store's audit log with the head written outside it; then keeps that file open
// to rewrite it after each commit.
Result<void> SqliteStore::checkHead(Session& s, bool check) {
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

// Records written before the audit log was chained get their hashes, in id order.
void SqliteStore::chainExisting(Session& s) {
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
void SqliteStore::appendChained(Session& s, std::int64_t at_ms, const AuditEntry& e) {
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

}  // namespace lienthong::gateway::sqlite_parts
