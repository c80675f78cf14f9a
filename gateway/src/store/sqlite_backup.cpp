// Backup and restore of a node's SQLite store (issue 19, item 3). The backup is one SQLite file:
// a consistent copy of the live store made in one read transaction (VACUUM INTO, so a node
// writing meanwhile neither blocks it nor restarts it), with the checkpoint file kept beside the
// store inside it (table backup_outside) cut to the checkpoints the copy holds, checked before
// it is reported. A restore puts that copy in place of a stopped node's store: the store, its
// -wal/-shm and its audit head are moved aside first (kept as evidence), the checkpoint file comes
// back from the backup, and the restored audit log records the restore and what it rolled back.
#include "sqlite_store_impl.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "lienthong/gateway/store/audit_log.h"

namespace lienthong::gateway {

namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
namespace fs = std::filesystem;

std::string checkpointFileOf(const std::string& store_path) {
  return (fs::path(store_path).parent_path() / kCheckpointFileName).string();
}

// The checkpoint file's lines that pin a record the copy holds.
std::string checkpointLinesUpTo(const std::string& file, std::int64_t last_record, std::int64_t& kept) {
  std::ifstream in(file);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    try {
      Poco::JSON::Parser p;
      auto o = p.parse(line).extract<Poco::JSON::Object::Ptr>();
      if (o->getValue<std::int64_t>("last_record") > last_record) continue;
    } catch (const Poco::Exception&) {
      continue;  // a line cut by a crash while it was appended
    }
    out += line + "\n";
    ++kept;
  }
  return out;
}

struct Head {
  std::int64_t records = 0;
  std::int64_t last = 0;
  std::string hash;
  std::int64_t messages = 0;
};

Head headOf(Poco::Data::Session& s) {
  Head h;
  std::vector<Int64> id;
  std::vector<std::string> hash;
  s << "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", into(id), into(hash), now;
  if (!id.empty()) {
    h.last = id[0];
    h.hash = hash[0];
  }
  s << "SELECT COUNT(*) FROM audit", into(h.records), now;
  s << "SELECT COUNT(*) FROM messages", into(h.messages), now;
  return h;
}

Error storage(const std::string& what, const std::exception& e) {
  const auto* pe = dynamic_cast<const Poco::Exception*>(&e);
  return Error{ErrorCode::Storage, what + ": " + (pe ? pe->displayText() : std::string(e.what())), 0, {}};
}

}  // namespace

Result<BackupReport> backupSqliteStore(const std::string& store_path, const std::string& to) {
  std::error_code ec;
  if (!fs::exists(store_path, ec)) return fail(ErrorCode::NotFound, "no store at '" + store_path + "'");
  if (fs::exists(to, ec)) {
    return fail(ErrorCode::InvalidArgument, "'" + to + "' exists: a backup is never written over a file / tệp đã tồn tại");
  }
  const std::string partial = to + ".partial";
  fs::remove(partial, ec);
  BackupReport r;
  r.file = to;
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    {
      Poco::Data::Session s("SQLite", store_path);
      s << "PRAGMA busy_timeout=10000", now;
      std::string target = partial;
      s << "VACUUM INTO ?", use(target), now;
    }
    Poco::Data::Session copy("SQLite", partial);
    std::vector<std::string> check;
    copy << "PRAGMA integrity_check(20)", into(check), now;
    for (const auto& line : check) {
      if (line != "ok") {
        fs::remove(partial, ec);
        return fail(ErrorCode::Storage, "the copy of '" + store_path + "' does not pass integrity_check: " + line);
      }
    }
    const Head h = headOf(copy);
    r.messages = h.messages;
    r.audit_records = h.records;
    r.last_record = h.last;
    r.last_hash = h.hash;
    std::string lines = checkpointLinesUpTo(checkpointFileOf(store_path), h.last, r.checkpoints_outside);
    copy << "CREATE TABLE backup_outside (name TEXT PRIMARY KEY, content TEXT NOT NULL)", now;
    std::string name = kCheckpointFileName;
    copy << "INSERT INTO backup_outside(name, content) VALUES (?, ?)", use(name), use(lines), now;
    Int64 at = nowMs();
    std::string taken = "taken_ms";
    std::string when = std::to_string(at);
    copy << "INSERT INTO backup_outside(name, content) VALUES (?, ?)", use(taken), use(when), now;
    r.taken_ms = at;
  } catch (const std::exception& e) {
    fs::remove(partial, ec);
    return std::unexpected(storage("backup of '" + store_path + "'", e));
  }
  fs::rename(partial, to, ec);
  if (ec) return fail(ErrorCode::Io, "cannot move the backup to '" + to + "': " + ec.message());
  r.bytes = static_cast<std::int64_t>(fs::file_size(to, ec));
  return r;
}

Result<RestoreReport> restoreSqliteStore(const std::string& backup, const std::string& store_path,
                                         const std::string& actor) {
  std::error_code ec;
  if (!fs::exists(backup, ec)) return fail(ErrorCode::NotFound, "no backup at '" + backup + "'");
  RestoreReport r;
  std::string checkpoints;
  std::int64_t taken_ms = 0;
  Head from;
  // The backup must be one: a store with its outside part, intact.
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session b("SQLite", backup);
    std::vector<std::string> check;
    b << "PRAGMA integrity_check(20)", into(check), now;
    for (const auto& line : check) {
      if (line != "ok") return fail(ErrorCode::Storage, "'" + backup + "' does not pass integrity_check: " + line);
    }
    std::vector<std::string> name, content;
    b << "SELECT name, content FROM backup_outside", into(name), into(content), now;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (name[i] == kCheckpointFileName) checkpoints = content[i];
      if (name[i] == "taken_ms") taken_ms = std::stoll(content[i]);
    }
    from = headOf(b);
  } catch (const std::exception& e) {
    return fail(ErrorCode::InvalidArgument, "'" + backup + "' is not a Lienthong backup (lienthong backup --to): " +
                                                storage("read", e).message);
  }
  // What it rolls back, from the head the store kept outside.
  if (auto head = readAuditHead(auditHeadPath(store_path)); head && *head) r.head_before = (*head)->last_record;
  // The current store and what goes with it, moved aside together (a -wal left beside the
  // restored file would be replayed into it).
  const std::string aside = store_path + ".before-restore-" + std::to_string(nowMs());
  for (const char* suffix : {"", "-wal", "-shm", ".audit-head"}) {
    const std::string f = store_path + suffix;
    if (!fs::exists(f, ec)) continue;
    fs::rename(f, aside + suffix, ec);
    if (ec) return fail(ErrorCode::Io, "cannot move '" + f + "' aside: " + ec.message());
    r.moved_aside.push_back(aside + suffix);
  }
  const std::string cp_file = checkpointFileOf(store_path);
  if (fs::exists(cp_file, ec)) {
    fs::rename(cp_file, aside + "." + kCheckpointFileName, ec);
    if (ec) return fail(ErrorCode::Io, "cannot move '" + cp_file + "' aside: " + ec.message());
    r.moved_aside.push_back(aside + "." + kCheckpointFileName);
  }
  fs::create_directories(fs::path(store_path).parent_path(), ec);
  fs::copy_file(backup, store_path + ".restoring", fs::copy_options::overwrite_existing, ec);
  if (ec) return fail(ErrorCode::Io, "cannot copy '" + backup + "': " + ec.message());
  try {
    Poco::Data::Session s("SQLite", store_path + ".restoring");
    s << "DROP TABLE IF EXISTS backup_outside", now;
  } catch (const std::exception& e) {
    return std::unexpected(storage("restore", e));
  }
  fs::rename(store_path + ".restoring", store_path, ec);
  if (ec) return fail(ErrorCode::Io, "cannot put the restored store in place: " + ec.message());
  if (!checkpoints.empty()) {
    std::ofstream(cp_file, std::ios::binary) << checkpoints;
  }
  // Opened as a node opens it: the head is written afresh, and the restore is audited.
  auto store = openSqliteStore(store_path);
  if (!store) return std::unexpected(store.error());
  r.messages = from.messages;
  r.last_record = from.last;
  r.taken_ms = taken_ms;
  std::string detail = "from '" + backup + "' taken " + (taken_ms ? timestampVn(taken_ms) : std::string("?")) + ": " +
                       std::to_string(from.messages) + " messages, audit log to record " + std::to_string(from.last);
  if (r.head_before > from.last) {
    detail += "; records " + std::to_string(from.last + 1) + " to " + std::to_string(r.head_before) +
              " of the store it replaces are not in it (kept aside as " + aside + ")";
  }
  if (auto a = (*store)->appendAudit(AuditEntry{"store restored", actor, "", "store", detail}); !a) {
    return std::unexpected(a.error());
  }
  return r;
}

}  // namespace lienthong::gateway
