// The register's tables beside the store's in the node's SQLite file. One connection guarded by a
// mutex; Poco exceptions end here as Storage errors. The store's tables are only read.
#include "lienthong/gateway/evidence/register.h"

#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/csv.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

std::string_view directionName(RegisterDirection d) {
  return d == RegisterDirection::Outgoing ? "out" : "in";
}

Result<RegisterDirection> parseDirection(std::string_view text) {
  if (text == "out" || text == "outgoing") return RegisterDirection::Outgoing;
  if (text == "in" || text == "incoming") return RegisterDirection::Incoming;
  return fail(ErrorCode::InvalidArgument,
              "direction '" + std::string(text) + "' is neither 'out' nor 'in'");
}

std::string_view issueChannelName(IssueChannel c) {
  switch (c) {
    case IssueChannel::ElectronicOnly: return "electronic";
    case IssueChannel::PaperOnly: return "paper";
    case IssueChannel::Both: return "both";
    case IssueChannel::NotIssued: return "not_issued";
  }
  return "not_issued";
}

namespace {

IssueChannel channelOf(bool electronic, bool paper) {
  if (electronic && paper) return IssueChannel::Both;
  if (electronic) return IssueChannel::ElectronicOnly;
  if (paper) return IssueChannel::PaperOnly;
  return IssueChannel::NotIssued;
}

}  // namespace

IssueChannel RegisterRecipient::channel() const { return channelOf(electronic, paper); }

IssueChannel RegisterEntry::channel() const {
  bool e = false, p = false;
  for (const auto& r : recipients) {
    e = e || r.electronic;
    p = p || r.paper;
  }
  return channelOf(e, p);
}

std::string RegisterEntry::numberNotation() const {
  if (number.empty()) return notation;
  if (notation.empty()) return number;
  return number + "/" + notation;
}

Result<void> checkDate(std::string_view date, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::BadDate,
                std::string(what) + ": '" + std::string(date) + "' " + why);
  };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad("is not a date yyyy-mm-dd");
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (date[i] < '0' || date[i] > '9') return bad("is not a date yyyy-mm-dd");
  }
  const int y = std::stoi(std::string(date.substr(0, 4)));
  const int m = std::stoi(std::string(date.substr(5, 2)));
  const int d = std::stoi(std::string(date.substr(8, 2)));
  if (m < 1 || m > 12) return bad("has no month " + std::to_string(m));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (d < 1 || d > days) return bad("is not a day of that month");
  return {};
}

namespace {

Result<void> checkRecord(const PaperRecord& r) {
  const auto missing = [](const char* field) {
    return fail(ErrorCode::InvalidArgument, std::string("'") + field + "' is required");
  };
  if (r.unit.empty()) return missing("unit");
  if (r.date.empty()) return missing("date");
  if (auto d = checkDate(r.date, "date"); !d) return d;
  if (r.number.empty() && r.notation.empty() && r.document_id.empty()) {
    return fail(ErrorCode::InvalidArgument,
                "'number' (with 'notation') or 'document_id' is required to identify the document");
  }
  if (!r.dispatch_date.empty()) {
    if (auto d = checkDate(r.dispatch_date, "dispatch_date"); !d) return d;
    if (r.dispatch_date < r.date) {
      return fail(ErrorCode::InvalidArgument, "dispatch_date " + r.dispatch_date +
                                                  " is before the document's date " + r.date);
    }
  }
  if (!r.arrival_date.empty()) {
    if (auto d = checkDate(r.arrival_date, "arrival_date"); !d) return d;
  }
  if (r.copies < 0) return fail(ErrorCode::InvalidArgument, "'copies' must not be negative");
  if (r.direction == RegisterDirection::Outgoing) {
    if (r.recipients.empty()) return missing("recipients");
  } else {
    if (r.sender.empty()) return missing("sender");
    if (r.arrival_date.empty()) return missing("arrival_date");
  }
  std::set<std::string> seen;
  for (const auto& to : r.recipients) {
    if (to.empty()) return fail(ErrorCode::InvalidArgument, "a recipient is empty");
    if (!seen.insert(to).second) {
      return fail(ErrorCode::InvalidArgument, "recipient " + to + " is named twice");
    }
  }
  return {};
}

constexpr const char* kEntryColumns =
    "id, direction, unit, source, message_id, document_id, number, notation, doc_date, doc_type,"
    " subject, signer, sender, file_keeper, copies, dispatch_date, arrival_date, receipt, notes,"
    " pdf_total, pdf_valid, recorded_by, recorded_ms";

const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS register_entries ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, direction TEXT NOT NULL, unit TEXT NOT NULL,"
    " source TEXT NOT NULL, message_id INTEGER NOT NULL DEFAULT 0,"
    " document_id TEXT NOT NULL DEFAULT '', number TEXT NOT NULL DEFAULT '',"
    " notation TEXT NOT NULL DEFAULT '', doc_date TEXT NOT NULL, doc_type TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '', signer TEXT NOT NULL DEFAULT '',"
    " sender TEXT NOT NULL DEFAULT '', file_keeper TEXT NOT NULL DEFAULT '',"
    " copies INTEGER NOT NULL DEFAULT 0, dispatch_date TEXT NOT NULL DEFAULT '',"
    " arrival_date TEXT NOT NULL DEFAULT '', receipt TEXT NOT NULL DEFAULT '',"
    " notes TEXT NOT NULL DEFAULT '', pdf_total INTEGER NOT NULL DEFAULT -1,"
    " pdf_valid INTEGER NOT NULL DEFAULT 0, recorded_by TEXT NOT NULL DEFAULT '',"
    " recorded_ms INTEGER NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS register_gateway"
    " ON register_entries(direction, unit, message_id) WHERE message_id > 0",
    "CREATE INDEX IF NOT EXISTS register_unit_date ON register_entries(direction, unit, doc_date)",
    "CREATE INDEX IF NOT EXISTS register_docid ON register_entries(direction, unit, document_id)",
    "CREATE TABLE IF NOT EXISTS register_recipients ("
    " entry_id INTEGER NOT NULL REFERENCES register_entries(id), organ_id TEXT NOT NULL,"
    " paper INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (entry_id, organ_id))",
    "CREATE TABLE IF NOT EXISTS register_cursor ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), last_message_id INTEGER NOT NULL)",
};

// SQL text for "direction = ? AND unit IN (?,...) AND <date> BETWEEN ..." over register_entries
// aliased `e`, with the values to bind in order.
struct Filter {
  std::string sql;
  std::vector<std::string> values;
};

Filter filterFor(const RegisterQuery& q) {
  Filter f;
  f.sql = "e.direction = ?";
  f.values.push_back(std::string(directionName(q.direction)));
  if (!q.units.empty()) {
    f.sql += " AND e.unit IN (";
    for (std::size_t i = 0; i < q.units.size(); ++i) {
      f.sql += i ? ",?" : "?";
      f.values.push_back(q.units[i]);
    }
    f.sql += ")";
  }
  // The outgoing register is kept by the document's date; the incoming one by arrival.
  const std::string col =
      q.direction == RegisterDirection::Outgoing ? "e.doc_date" : "e.arrival_date";
  if (!q.from.empty()) {
    f.sql += " AND " + col + " >= ?";
    f.values.push_back(q.from);
  }
  if (!q.to.empty()) {
    f.sql += " AND " + col + " <= ?";
    f.values.push_back(q.to);
  }
  return f;
}

// "?,?,?": one SQL bind marker per value of an IN list.
std::string bindMarkers(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s;
}

}  // namespace

struct RegisterBook::Impl {
  RegisterBook::AuditHook audit;
  std::mutex mu;  // guards session (one SQLite connection, one user at a time)
  std::unique_ptr<Poco::Data::Session> session;
  UnitCheck unit_check;

  template <typename F>
  auto guarded(const char* what, F&& f) -> decltype(f()) {
    std::lock_guard lock(mu);
    try {
      return f();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Storage, std::string("register: ") + what + ": " + e.displayText());
    } catch (const std::exception& e) {
      return fail(ErrorCode::Storage, std::string("register: ") + what + ": " + e.what());
    }
  }

  // Runs `f` in a transaction: commit when it returns a value, rollback on an error or throw.
  template <typename F>
  auto transaction(F&& f) -> decltype(f()) {
    // IMMEDIATE, as the store's writer: the register's tables sit in the store's file, and two
    // deferred writers that read first fail at once with "database is locked".
    auto& s = *session;
    s << "BEGIN IMMEDIATE", Poco::Data::Keywords::now;
    try {
      auto r = f();
      s << (r ? "COMMIT" : "ROLLBACK"), Poco::Data::Keywords::now;
      return r;
    } catch (...) {
      try {
        s << "ROLLBACK", Poco::Data::Keywords::now;
      } catch (...) {
        // the transaction is gone either way
      }
      throw;
    }
  }

  // The entry of this unit and direction that the record names, if any.
  std::optional<Int64> findMatch(const PaperRecord& r) {
    auto& s = *session;
    const std::string dir(directionName(r.direction));
    std::vector<Int64> ids;
    if (!r.document_id.empty()) {
      s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND document_id = ?"
           " ORDER BY id LIMIT 1",
          bind(dir), bind(r.unit), bind(r.document_id), into(ids), now;
      if (!ids.empty()) return ids[0];
    }
    if (!r.number.empty() || !r.notation.empty()) {
      s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND number = ?"
           " AND notation = ? AND doc_date = ? ORDER BY id LIMIT 1",
          bind(dir), bind(r.unit), bind(r.number), bind(r.notation), bind(r.date), into(ids), now;
      if (!ids.empty()) return ids[0];
    }
    return std::nullopt;
  }

  // Inserts or merges one checked record inside the caller's transaction; returns the entry id.
  Int64 apply(const PaperRecord& r, const std::string& actor, Int64 now_ms) {
    auto& s = *session;
    const int paper = r.dispatch_date.empty() && r.direction == RegisterDirection::Outgoing ? 0 : 1;
    Int64 id = 0;
    if (auto match = findMatch(r)) {
      id = *match;
      // A later record of the same document completes it: the fields it gives win.
      const auto set = [&](const char* col, const std::string& v) {
        if (v.empty()) return;
        s << std::string("UPDATE register_entries SET ") + col + " = ? WHERE id = ?", bind(v),
            bind(id), now;
      };
      set("file_keeper", r.file_keeper);
      set("dispatch_date", r.dispatch_date);
      set("arrival_date", r.arrival_date);
      set("receipt", r.receipt);
      set("notes", r.notes);
      if (r.copies > 0) {
        s << "UPDATE register_entries SET copies = ? WHERE id = ?", bind(r.copies), bind(id), now;
      }
    } else {
      const std::string dir(directionName(r.direction));
      const std::string source = "clerk";
      const std::string sender = r.direction == RegisterDirection::Outgoing ? r.unit : r.sender;
      s << "INSERT INTO register_entries(direction, unit, source, document_id, number, notation,"
           " doc_date, doc_type, subject, signer, sender, file_keeper, copies, dispatch_date,"
           " arrival_date, receipt, notes, recorded_by, recorded_ms)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          bind(dir), bind(r.unit), bind(source), bind(r.document_id), bind(r.number),
          bind(r.notation), bind(r.date), bind(r.type), bind(r.subject), bind(r.signer),
          bind(sender), bind(r.file_keeper), bind(r.copies), bind(r.dispatch_date),
          bind(r.arrival_date), bind(r.receipt), bind(r.notes), bind(actor), bind(now_ms), now;
      s << "SELECT last_insert_rowid()", into(id), now;
    }
    std::vector<std::string> recipients = r.recipients;
    if (r.direction == RegisterDirection::Incoming && recipients.empty()) recipients = {r.unit};
    for (const auto& to : recipients) {
      s << "INSERT OR IGNORE INTO register_recipients(entry_id, organ_id, paper) VALUES (?,?,0)",
          bind(id), bind(to), now;
      if (paper) {
        s << "UPDATE register_recipients SET paper = 1 WHERE entry_id = ? AND organ_id = ?",
            bind(id), bind(to), now;
      }
    }
    return id;
  }

  std::vector<RegisterEntry> select(const std::string& where, const std::vector<std::string>& values) {
    std::vector<Int64> id, message_id, recorded_ms;
    std::vector<std::string> direction, unit, source, document_id, number, notation, date, type,
        subject, signer, sender, keeper, dispatch, arrival, receipt, notes, by;
    std::vector<int> copies, pdf_total, pdf_valid;
    Poco::Data::Statement st(*session);
    st << "SELECT " << kEntryColumns << " FROM register_entries e WHERE " << where
       << " ORDER BY e.doc_date, e.id",
        into(id), into(direction), into(unit), into(source), into(message_id), into(document_id),
        into(number), into(notation), into(date), into(type), into(subject), into(signer),
        into(sender), into(keeper), into(copies), into(dispatch), into(arrival), into(receipt),
        into(notes), into(pdf_total), into(pdf_valid), into(by), into(recorded_ms);
    for (const auto& v : values) st, bind(v);
    st.execute();
    std::vector<RegisterEntry> out;
    out.reserve(id.size());
    for (std::size_t i = 0; i < id.size(); ++i) {
      RegisterEntry e;
      e.id = id[i];
      e.direction = direction[i] == "in" ? RegisterDirection::Incoming : RegisterDirection::Outgoing;
      e.unit = unit[i];
      e.source = source[i];
      e.message_id = message_id[i];
      e.document_id = document_id[i];
      e.number = number[i];
      e.notation = notation[i];
      e.date = date[i];
      e.type = type[i];
      e.subject = subject[i];
      e.signer = signer[i];
      e.sender = sender[i];
      e.file_keeper = keeper[i];
      e.copies = copies[i];
      e.dispatch_date = dispatch[i];
      e.arrival_date = arrival[i];
      e.receipt = receipt[i];
      e.notes = notes[i];
      e.pdf_total = pdf_total[i];
      e.pdf_both_valid = pdf_valid[i];
      e.recorded_by = by[i];
      e.recorded_ms = recorded_ms[i];
      out.push_back(std::move(e));
    }
    return out;
  }
};

RegisterBook::RegisterBook(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegisterBook::~RegisterBook() = default;

Result<std::unique_ptr<RegisterBook>> RegisterBook::open(const std::string& path,
                                                         UnitCheck unit_check) {
  auto impl = std::make_unique<Impl>();
  impl->unit_check = std::move(unit_check);
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    impl->session = std::make_unique<Poco::Data::Session>("SQLite", path);
    auto& s = *impl->session;
    s << "PRAGMA busy_timeout=5000", now;
    s << "PRAGMA synchronous=FULL", now;
    for (const char* sql : kSchema) s << sql, now;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Storage, "register: cannot open '" + path + "': " + e.displayText());
  }
  return std::unique_ptr<RegisterBook>(new RegisterBook(std::move(impl)));
}

Result<RegisterEntry> RegisterBook::recordPaper(const PaperRecord& record, const std::string& actor) {
  auto n = recordPaperBatch({record}, actor);
  if (!n) return std::unexpected(n.error());
  auto id = impl_->guarded("read entry", [&]() -> Result<Int64> {
    auto match = impl_->findMatch(record);
    if (!match) return fail(ErrorCode::Internal, "the entry just recorded cannot be found");
    return *match;
  });
  if (!id) return std::unexpected(id.error());
  RegisterQuery q;
  q.direction = record.direction;
  q.units = {record.unit};
  auto all = entries(q);
  if (!all) return std::unexpected(all.error());
  for (auto& e : *all) {
    if (e.id == *id) return std::move(e);
  }
  return fail(ErrorCode::Internal, "the entry just recorded cannot be read");
}

Result<int> RegisterBook::recordPaperBatch(const std::vector<PaperRecord>& records,
                                           const std::string& actor,
                                           const std::function<std::string(std::size_t)>& where) {
  // Every record is checked before anything is written.
  for (std::size_t i = 0; i < records.size(); ++i) {
    Result<void> ok = checkRecord(records[i]);
    if (ok && impl_->unit_check) ok = impl_->unit_check(records[i].unit);
    if (!ok) {
      Error e = ok.error();
      if (where) e.message = where(i) + ": " + e.message;
      return std::unexpected(e);
    }
  }
  auto n = impl_->guarded("record paper issuance", [&]() -> Result<int> {
    return impl_->transaction([&]() -> Result<int> {
      const Int64 t = nowMs();
      for (const auto& r : records) impl_->apply(r, actor, t);
      return static_cast<int>(records.size());
    });
  });
  if (!n || !impl_->audit) return n;
  std::string detail = std::to_string(records.size()) + " record(s)";
  for (std::size_t i = 0; i < records.size() && i < 20; ++i) {
    const auto& r = records[i];
    detail += "; " + r.unit + " " + r.number + "/" + r.notation + " " + r.date +
              (r.document_id.empty() ? "" : " " + r.document_id);
  }
  if (records.size() > 20) detail += "; ...";
  if (auto a = impl_->audit("paper recorded", actor, detail); !a) {
    return fail(a.error().code, "the paper records were stored but the audit log cannot record them: " +
                                    a.error().message);
  }
  return n;
}

void RegisterBook::setAuditHook(AuditHook hook) { impl_->audit = std::move(hook); }

Result<std::vector<RegisterEntry>> RegisterBook::entries(const RegisterQuery& query) {
  return impl_->guarded("read entries", [&]() -> Result<std::vector<RegisterEntry>> {
    const Filter f = filterFor(query);
    auto rows = impl_->select(f.sql, f.values);
    std::map<Int64, std::size_t> index;
    for (std::size_t i = 0; i < rows.size(); ++i) index[rows[i].id] = i;

    // Recipients as recorded, then the store's deliveries of gateway entries.
    {
      std::vector<Int64> entry;
      std::vector<std::string> organ;
      std::vector<int> paper;
      Poco::Data::Statement st(*impl_->session);
      st << "SELECT r.entry_id, r.organ_id, r.paper FROM register_recipients r"
            " JOIN register_entries e ON e.id = r.entry_id WHERE "
         << f.sql << " ORDER BY r.rowid",
          into(entry), into(organ), into(paper);
      for (const auto& v : f.values) st, bind(v);
      st.execute();
      for (std::size_t i = 0; i < entry.size(); ++i) {
        auto it = index.find(entry[i]);
        if (it == index.end()) continue;
        RegisterRecipient r;
        r.organ_id = organ[i];
        r.paper = paper[i] != 0;
        rows[it->second].recipients.push_back(std::move(r));
      }
    }
    {
      std::vector<Int64> entry;
      std::vector<std::string> recipient, route, state;
      Poco::Data::Statement st(*impl_->session);
      st << "SELECT e.id, d.recipient, d.route, d.state FROM register_entries e"
            " JOIN deliveries d ON d.message_id = e.message_id WHERE e.message_id > 0 AND "
         << f.sql << " ORDER BY d.id",
          into(entry), into(recipient), into(route), into(state);
      for (const auto& v : f.values) st, bind(v);
      st.execute();
      for (std::size_t i = 0; i < entry.size(); ++i) {
        auto it = index.find(entry[i]);
        if (it == index.end()) continue;
        auto& e = rows[it->second];
        auto r = std::find_if(e.recipients.begin(), e.recipients.end(),
                              [&](const RegisterRecipient& x) { return x.organ_id == recipient[i]; });
        if (r == e.recipients.end()) continue;  // a delivery to a unit outside this register line
        r->delivery_state = state[i];
        if (route[i] == "paper") r->paper = true;
        else if (state[i] != "failed") r->electronic = true;
      }
    }
    return rows;
  });
}

Result<std::vector<StoredDocument>> RegisterBook::storedDocumentsAfter(std::int64_t after, int limit) {
  return impl_->guarded("read stored documents", [&]() -> Result<std::vector<StoredDocument>> {
    auto& s = *impl_->session;
    std::vector<Int64> id, received;
    std::vector<std::string> sender, document_id, bytes, subject;
    std::vector<int> business;
    Int64 from = after;
    s << "SELECT id, sender, document_id, bytes, subject, business_type, received_ms"
         " FROM messages WHERE kind = 'document' AND id > ? ORDER BY id LIMIT ?",
        bind(from), bind(limit), into(id), into(sender), into(document_id), into(bytes),
        into(subject), into(business), into(received), now;
    std::vector<StoredDocument> out;
    std::map<Int64, std::size_t> index;
    for (std::size_t i = 0; i < id.size(); ++i) {
      index[id[i]] = out.size();
      out.push_back(StoredDocument{id[i], sender[i], document_id[i], std::move(bytes[i]),
                                   subject[i], business[i], received[i], {}});
    }
    if (out.empty()) return out;
    Int64 lo = id.front(), hi = id.back();
    std::vector<Int64> mid;
    std::vector<std::string> recipient, route, state;
    s << "SELECT message_id, recipient, route, state FROM deliveries"
         " WHERE message_id BETWEEN ? AND ? ORDER BY id",
        bind(lo), bind(hi), into(mid), into(recipient), into(route), into(state), now;
    for (std::size_t i = 0; i < mid.size(); ++i) {
      auto it = index.find(mid[i]);
      if (it == index.end()) continue;
      out[it->second].deliveries.push_back(StoredDelivery{recipient[i], route[i], state[i]});
    }
    return out;
  });
}

Result<std::int64_t> RegisterBook::cursor() {
  return impl_->guarded("read cursor", [&]() -> Result<std::int64_t> {
    std::vector<Int64> v;
    *impl_->session << "SELECT last_message_id FROM register_cursor WHERE id = 1", into(v), now;
    return v.empty() ? 0 : v[0];
  });
}

Result<void> RegisterBook::addGatewayEntries(const std::vector<RegisterEntry>& entries,
                                             std::int64_t cursor) {
  return impl_->guarded("add gateway entries", [&]() -> Result<void> {
    return impl_->transaction([&]() -> Result<void> {
      auto& s = *impl_->session;
      const Int64 t = nowMs();
      for (const auto& e : entries) {
        const std::string dir(directionName(e.direction));
        const std::string source = "gateway";
        const Int64 mid = e.message_id;
        if (!e.acts_on.empty()) {
          int noted = 0;
          for (const auto& target : e.acts_on) {
            std::string sender = e.sender, doc = target, unit = e.unit, note = e.notes;
            s << "UPDATE register_entries SET notes = CASE WHEN notes = '' THEN ? ELSE notes || '; ' || ? END"
                 " WHERE direction = ? AND unit = ? AND sender = ? AND document_id = ? AND message_id <> ?"
                 " AND instr(notes, ?) = 0",
                bind(note), bind(note), bind(dir), bind(unit), bind(sender), bind(doc), bind(mid),
                bind(note), now;
            std::vector<Int64> present;  // noted now or by an earlier run of the indexer
            s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND sender = ?"
                 " AND document_id = ? AND message_id <> ? LIMIT 1",
                bind(dir), bind(unit), bind(sender), bind(doc), bind(mid), into(present), now;
            noted += present.empty() ? 0 : 1;
          }
          if (noted > 0) continue;  // acted on the earlier lines; no line of its own
        }
        s << "INSERT OR IGNORE INTO register_entries(direction, unit, source, message_id,"
             " document_id, number, notation, doc_date, doc_type, subject, signer, sender,"
             " file_keeper, copies, dispatch_date, arrival_date, notes, pdf_total, pdf_valid,"
             " recorded_by, recorded_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            bind(dir), bind(e.unit), bind(source), bind(mid), bind(e.document_id), bind(e.number),
            bind(e.notation), bind(e.date), bind(e.type), bind(e.subject), bind(e.signer),
            bind(e.sender), bind(e.file_keeper), bind(e.copies), bind(e.dispatch_date),
            bind(e.arrival_date), bind(e.notes), bind(e.pdf_total), bind(e.pdf_both_valid),
            bind(e.recorded_by), bind(t), now;
        int changed = 0;
        s << "SELECT changes()", into(changed), now;
        if (changed == 0) continue;  // indexed before
        Int64 id = 0;
        s << "SELECT last_insert_rowid()", into(id), now;
        for (const auto& r : e.recipients) {
          const int paper = r.paper ? 1 : 0;
          s << "INSERT OR IGNORE INTO register_recipients(entry_id, organ_id, paper)"
               " VALUES (?,?,?)",
              bind(id), bind(r.organ_id), bind(paper), now;
        }
      }
      const Int64 c = cursor;
      s << "INSERT INTO register_cursor(id, last_message_id) VALUES (1, ?)"
           " ON CONFLICT(id) DO UPDATE SET last_message_id = excluded.last_message_id",
          bind(c), now;
      return {};
    });
  });
}

Result<std::vector<StatusTiming>> RegisterBook::statusTimings(const std::vector<std::string>& senders) {
  return impl_->guarded("read statuses", [&]() -> Result<std::vector<StatusTiming>> {
    std::vector<StatusTiming> out;
    if (senders.empty()) return out;
    std::vector<std::string> doc_sender, doc, reporter;
    std::vector<int> code;
    std::vector<Int64> first;
    Poco::Data::Statement st(*impl_->session);
    st << "SELECT document_sender, document_id, reporter, code, MIN(recorded_ms) FROM statuses"
          " WHERE document_sender IN (" << bindMarkers(senders.size())
       << ") GROUP BY document_sender, document_id, reporter, code",
        into(doc_sender), into(doc), into(reporter), into(code), into(first);
    for (const auto& v : senders) st, bind(v);
    st.execute();
    for (std::size_t i = 0; i < doc.size(); ++i) {
      out.push_back(StatusTiming{doc_sender[i], doc[i], reporter[i], code[i], first[i]});
    }
    return out;
  });
}

Result<std::map<std::string, std::int64_t>> RegisterBook::receivedTimes(
    const std::vector<std::int64_t>& message_ids) {
  return impl_->guarded("read message times", [&]() -> Result<std::map<std::string, std::int64_t>> {
    std::map<std::string, std::int64_t> out;
    // In chunks, to stay below SQLite's parameter limit.
    for (std::size_t at = 0; at < message_ids.size(); at += 500) {
      const std::size_t n = std::min<std::size_t>(500, message_ids.size() - at);
      std::vector<std::string> sender, doc;
      std::vector<Int64> received;
      Poco::Data::Statement st(*impl_->session);
      st << "SELECT sender, document_id, received_ms FROM messages WHERE id IN ("
         << bindMarkers(n) << ")",
          into(sender), into(doc), into(received);
      for (std::size_t i = 0; i < n; ++i) st, bind(static_cast<Int64>(message_ids[at + i]));
      st.execute();
      for (std::size_t i = 0; i < doc.size(); ++i) out[sender[i] + "\n" + doc[i]] = received[i];
    }
    return out;
  });
}

Result<std::vector<std::string>> RegisterBook::recallsSent(const std::vector<std::string>& senders) {
  return impl_->guarded("read recalls", [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    if (senders.empty()) return out;
    std::vector<std::string> sender, doc;
    Poco::Data::Statement st(*impl_->session);
    st << "SELECT DISTINCT sender, document_id FROM messages WHERE kind = 'status'"
          " AND status_code = 13 AND sender IN (" << bindMarkers(senders.size()) << ")",
        into(sender), into(doc);
    for (const auto& v : senders) st, bind(v);
    st.execute();
    for (std::size_t i = 0; i < doc.size(); ++i) out.push_back(sender[i] + "\n" + doc[i]);
    return out;
  });
}

Result<std::vector<RegisterBook::DeliveryBucket>> RegisterBook::deliveryBuckets() {
  return impl_->guarded("read deliveries", [&]() -> Result<std::vector<DeliveryBucket>> {
    std::vector<std::string> route, state;
    std::vector<Int64> count, oldest;
    *impl_->session << "SELECT route, state, COUNT(*), MIN(created_ms) FROM deliveries"
                       " WHERE state IN ('pending', 'failed') GROUP BY route, state"
                       " ORDER BY state, route",
        into(route), into(state), into(count), into(oldest), now;
    std::vector<DeliveryBucket> out;
    for (std::size_t i = 0; i < route.size(); ++i) {
      out.push_back(DeliveryBucket{route[i], state[i], count[i], oldest[i]});
    }
    return out;
  });
}

Result<std::vector<RegisterBook::HopBacklog>> RegisterBook::pendingByHop() {
  return impl_->guarded("read backlog", [&]() -> Result<std::vector<HopBacklog>> {
    std::vector<std::string> route, hop;
    std::vector<Int64> count, oldest;
    *impl_->session << "SELECT route, CASE WHEN route = 'peer' THEN next_node ELSE recipient END AS hop,"
                       " COUNT(*), MIN(created_ms) FROM deliveries WHERE state = 'pending'"
                       " GROUP BY route, hop ORDER BY MIN(created_ms)",
        into(route), into(hop), into(count), into(oldest), now;
    std::vector<HopBacklog> out;
    for (std::size_t i = 0; i < route.size(); ++i) out.push_back(HopBacklog{route[i], hop[i], count[i], oldest[i]});
    return out;
  });
}

Result<std::vector<RegisterBook::FailedDelivery>> RegisterBook::failedDeliveries(int limit) {
  return impl_->guarded("read failed deliveries", [&]() -> Result<std::vector<FailedDelivery>> {
    std::vector<Int64> id, created;
    std::vector<std::string> doc, sender, recipient, route, error;
    std::vector<int> attempts;
    *impl_->session << "SELECT d.id, m.document_id, m.sender, d.recipient, d.route, d.attempts,"
                       " d.last_error, d.created_ms FROM deliveries d"
                       " JOIN messages m ON m.id = d.message_id WHERE d.state = 'failed'"
                       " ORDER BY d.id DESC LIMIT ?",
        bind(limit), into(id), into(doc), into(sender), into(recipient), into(route),
        into(attempts), into(error), into(created), now;
    std::vector<FailedDelivery> out;
    for (std::size_t i = 0; i < id.size(); ++i) {
      out.push_back(FailedDelivery{id[i], doc[i], sender[i], recipient[i], route[i], attempts[i],
                                   error[i], created[i]});
    }
    return out;
  });
}

// ---- Outputs -----------------------------------------------------------------------------

std::string csvField(std::string_view s) {
  // A cell a spreadsheet would read as a formula (= + - @, or a tab or CR before one) starts
  // with an apostrophe, so it is shown as text and never evaluated.
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = formula ? "\"'" : "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out += c;
  }
  return out + "\"";
}

std::string htmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// dd/mm/yyyy, as registers are written by hand.
std::string vnDate(const std::string& iso) {
  if (iso.size() != 10) return iso;
  return iso.substr(8, 2) + "/" + iso.substr(5, 2) + "/" + iso.substr(0, 4);
}

std::string recipientsText(const RegisterEntry& e) {
  std::string out;
  for (const auto& r : e.recipients) {
    if (!out.empty()) out += "; ";
    out += r.organ_id;
    const auto c = r.channel();
    out += c == IssueChannel::ElectronicOnly ? " (điện tử)"
           : c == IssueChannel::PaperOnly    ? " (giấy)"
           : c == IssueChannel::Both         ? " (điện tử + giấy)"
                                             : " (chưa phát hành)";
  }
  return out;
}

std::string notesText(const RegisterEntry& e) {
  std::string out = e.notes;
  const auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  if (e.source == "gateway") add("qua liên thông");
  if (e.channel() == IssueChannel::NotIssued) add("chưa phát hành");
  return out;
}

std::vector<std::string> columns(const RegisterEntry& e) {
  std::string type_subject = e.type;
  if (!e.subject.empty()) type_subject += (type_subject.empty() ? "" : " - ") + e.subject;
  return {e.numberNotation(), vnDate(e.date), type_subject, e.signer, recipientsText(e),
          e.file_keeper, std::to_string(e.copies), vnDate(e.dispatch_date), e.receipt,
          notesText(e)};
}

const std::vector<std::string>& headers() {
  static const std::vector<std::string> kHeaders = {
      "Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung",
      "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
      "Ngày chuyển", "Ký nhận", "Ghi chú"};
  return kHeaders;
}

}  // namespace

std::string registerCsv(const std::vector<RegisterEntry>& entries) {
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + csvField(cells[i]);
    out += "\r\n";
  };
  line(headers());
  for (const auto& e : entries) line(columns(e));
  return out;
}

std::string registerHtml(const std::vector<RegisterEntry>& entries, const std::string& unit,
                         const std::string& unit_name, const std::string& from,
                         const std::string& to) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
    << "<title>Sổ đăng ký văn bản đi - " << htmlEscape(unit) << "</title><style>"
    << "body{font-family:'Times New Roman',serif;margin:1.5cm}"
    << "h1{text-align:center;font-size:16pt}p.sub{text-align:center}"
    << "table{border-collapse:collapse;width:100%;font-size:10pt}"
    << "th,td{border:1px solid #000;padding:3px;vertical-align:top}"
    << "th{background:#eee}@page{size:A4 landscape;margin:1cm}"
    << "@media print{body{margin:0}thead{display:table-header-group}}"
    << "</style></head><body>\n"
    << "<h1>SỔ ĐĂNG KÝ VĂN BẢN ĐI</h1>\n<p class=\"sub\">" << htmlEscape(unit_name) << " ("
    << htmlEscape(unit) << ")<br>Từ ngày " << htmlEscape(from.empty() ? "…" : vnDate(from))
    << " đến ngày " << htmlEscape(to.empty() ? "…" : vnDate(to)) << "</p>\n"
    << "<table><thead><tr>";
  for (std::size_t i = 0; i < headers().size(); ++i) {
    o << "<th>" << htmlEscape(headers()[i]) << "<br>(" << i + 1 << ")</th>";
  }
  o << "</tr></thead><tbody>\n";
  for (const auto& e : entries) {
    o << "<tr>";
    for (const auto& c : columns(e)) o << "<td>" << htmlEscape(c) << "</td>";
    o << "</tr>\n";
  }
  o << "</tbody></table>\n<p>" << entries.size() << " văn bản.</p>\n</body></html>\n";
  return o.str();
}

std::string registerJson(const std::vector<RegisterEntry>& entries) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (const auto& e : entries) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", e.id);
    o->set("direction", std::string(directionName(e.direction)));
    o->set("unit", e.unit);
    o->set("source", e.source);
    o->set("document_id", e.document_id);
    o->set("number", e.numberNotation());
    o->set("date", e.date);
    o->set("type", e.type);
    o->set("subject", e.subject);
    o->set("signer", e.signer);
    o->set("sender", e.sender);
    Poco::JSON::Array::Ptr rs = new Poco::JSON::Array;
    for (const auto& r : e.recipients) {
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
      x->set("organ_id", r.organ_id);
      x->set("channel", std::string(issueChannelName(r.channel())));
      x->set("delivery_state", r.delivery_state);
      rs->add(x);
    }
    o->set("recipients", rs);
    o->set("channel", std::string(issueChannelName(e.channel())));
    o->set("file_keeper", e.file_keeper);
    o->set("copies", e.copies);
    o->set("dispatch_date", e.dispatch_date);
    o->set("arrival_date", e.arrival_date);
    o->set("receipt", e.receipt);
    o->set("notes", e.notes);
    if (e.pdf_total >= 0) {
      o->set("pdf_attachments", e.pdf_total);
      o->set("pdf_both_signatures_valid", e.pdf_both_valid);
    }
    arr->add(o);
  }
  std::ostringstream out;
  arr->stringify(out);
  return out.str();
}

// ---- Inputs ------------------------------------------------------------------------------

namespace {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ";") {
    if (c == ';') {
      auto b = cur.find_first_not_of(' ');
      auto e = cur.find_last_not_of(' ');
      if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

Result<int> parseCount(const std::string& text, const std::string& what) {
  if (text.empty()) return 0;
  if (text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::InvalidArgument, what + ": '" + text + "' is not a count");
  }
  return std::stoi(text);
}

// Sets one field of a record by its column name; InvalidArgument naming it when wrong.
Result<void> setField(PaperRecord& r, const std::string& name, const std::string& v) {
  if (name == "direction") {
    auto d = parseDirection(v.empty() ? "out" : v);
    if (!d) return std::unexpected(d.error());
    r.direction = *d;
  } else if (name == "unit") r.unit = v;
  else if (name == "document_id") r.document_id = v;
  else if (name == "number") r.number = v;
  else if (name == "notation") r.notation = v;
  else if (name == "date") r.date = v;
  else if (name == "type") r.type = v;
  else if (name == "subject") r.subject = v;
  else if (name == "signer") r.signer = v;
  else if (name == "sender") r.sender = v;
  else if (name == "recipients") r.recipients = splitList(v);
  else if (name == "file_keeper") r.file_keeper = v;
  else if (name == "copies") {
    auto n = parseCount(v, "copies");
    if (!n) return std::unexpected(n.error());
    r.copies = *n;
  } else if (name == "dispatch_date") r.dispatch_date = v;
  else if (name == "arrival_date") r.arrival_date = v;
  else if (name == "receipt") r.receipt = v;
  else if (name == "notes") r.notes = v;
  else return fail(ErrorCode::InvalidArgument, "unknown field '" + name + "'");
  return {};
}

}  // namespace

Result<std::vector<PaperRecord>> parsePaperCsv(std::string_view text, const std::string& source) {
  auto rows = schemas::csv::split(text, source);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return fail(ErrorCode::BadCsv, source + ": empty file (a header line is required)");
  const auto& header = rows->front();
  PaperRecord probe;
  for (const auto& h : header) {
    if (auto ok = setField(probe, h, ""); !ok) {
      return fail(ErrorCode::BadCsv, source + ": line 1: " + ok.error().message +
                                         " (columns: direction, unit, document_id, number,"
                                         " notation, date, type, subject, signer, sender,"
                                         " recipients, file_keeper, copies, dispatch_date,"
                                         " arrival_date, receipt, notes)");
    }
  }
  std::vector<PaperRecord> out;
  for (std::size_t i = 1; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    const std::string where = source + ": line " + std::to_string(i + 1);
    if (row.size() != header.size()) {
      return fail(ErrorCode::BadCsv, where + ": " + std::to_string(row.size()) + " fields, the header has " +
                                         std::to_string(header.size()));
    }
    PaperRecord r;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (auto ok = setField(r, header[c], row[c]); !ok) {
        return fail(ErrorCode::BadCsv, where + ": column '" + header[c] + "': " + ok.error().message);
      }
    }
    if (auto ok = checkRecord(r); !ok) return fail(ErrorCode::BadCsv, where + ": " + ok.error().message);
    out.push_back(std::move(r));
  }
  return out;
}

Result<PaperRecord> parsePaperJson(std::string_view json) {
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser p;
    auto v = p.parse(std::string(json));
    o = v.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, "the body is not a JSON object: " + e.displayText());
  }
  PaperRecord r;
  for (const auto& name : o->getNames()) {
    const auto& v = o->get(name);
    std::string text;
    try {
      if (name == "recipients") {
        if (v.type() != typeid(Poco::JSON::Array::Ptr)) {
          return fail(ErrorCode::InvalidArgument, "'recipients' must be an array of OrganIds");
        }
        auto arr = v.extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; i < arr->size(); ++i) {
          r.recipients.push_back(arr->get(static_cast<unsigned>(i)).convert<std::string>());
        }
        continue;
      }
      if (name == "copies") {
        if (!v.isInteger()) return fail(ErrorCode::InvalidArgument, "'copies' must be a whole number");
        r.copies = v.convert<int>();
        if (r.copies < 0) return fail(ErrorCode::InvalidArgument, "'copies' must not be negative");
        continue;
      }
      if (!v.isString()) return fail(ErrorCode::InvalidArgument, "'" + name + "' must be a string");
      text = v.convert<std::string>();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::InvalidArgument, "'" + name + "': " + e.displayText());
    }
    if (auto ok = setField(r, name, text); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = checkRecord(r); !ok) return std::unexpected(ok.error());
  return r;
}

}  // namespace lienthong::gateway
