// The register's tables beside the store's in the node's SQLite file. One connection guarded by a
// mutex; Poco exceptions end here as Storage errors. The store's own tables are only read.
#include "lienthong/gateway/store/register_store.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

namespace {

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
    " paper INTEGER NOT NULL DEFAULT 0, electronic INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (entry_id, organ_id))",
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

class SqliteRegisterStore final : public RegisterStore {
 public:
  explicit SqliteRegisterStore(std::unique_ptr<Poco::Data::Session> s) : session(std::move(s)) {}

  Result<int> recordPaper(const std::vector<PaperRecord>& records, const std::string& actor,
                          std::int64_t now_ms) override {
    return guarded("record paper issuance", [&]() -> Result<int> {
      return transaction([&]() -> Result<int> {
        for (const auto& r : records) apply(r, actor, now_ms);
        return static_cast<int>(records.size());
      });
    });
  }

  Result<std::optional<std::int64_t>> entryFor(const PaperRecord& record) override {
    return guarded("read entry", [&]() -> Result<std::optional<std::int64_t>> {
      auto match = findMatch(record);
      if (!match) return std::optional<std::int64_t>{};
      return std::optional<std::int64_t>{*match};
    });
  }

  Result<std::vector<RegisterEntry>> entries(const RegisterQuery& query) override {
    return guarded("read entries", [&]() -> Result<std::vector<RegisterEntry>> {
      const Filter f = filterFor(query);
      auto rows = select(f.sql, f.values);
      std::map<Int64, std::size_t> index;
      for (std::size_t i = 0; i < rows.size(); ++i) index[rows[i].id] = i;

      // Recipients as recorded, then the store's deliveries of gateway entries.
      {
        std::vector<Int64> entry;
        std::vector<std::string> organ;
        std::vector<int> paper, electronic;
        Poco::Data::Statement st(*session);
        st << "SELECT r.entry_id, r.organ_id, r.paper, r.electronic FROM register_recipients r"
              " JOIN register_entries e ON e.id = r.entry_id WHERE "
           << f.sql << " ORDER BY r.rowid",
            into(entry), into(organ), into(paper), into(electronic);
        for (const auto& v : f.values) st, bind(v);
        st.execute();
        for (std::size_t i = 0; i < entry.size(); ++i) {
          auto it = index.find(entry[i]);
          if (it == index.end()) continue;
          RegisterRecipient r;
          r.organ_id = organ[i];
          r.paper = paper[i] != 0;
          r.electronic = electronic[i] != 0;  // a DMS's history (import); gateway lines below
          rows[it->second].recipients.push_back(std::move(r));
        }
      }
      {
        std::vector<Int64> entry;
        std::vector<std::string> recipient, route, state;
        Poco::Data::Statement st(*session);
        // A delivery to a closed code's successor counts for the code the document named.
        st << "SELECT e.id, CASE WHEN d.addressed_to <> '' THEN d.addressed_to ELSE d.recipient END,"
              " d.route, d.state FROM register_entries e"
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

  Result<std::vector<EntryTally>> outgoingTallies(const RegisterQuery& query) override {
    return guarded("read register tallies", [&]() -> Result<std::vector<EntryTally>> {
      RegisterQuery q = query;
      q.direction = RegisterDirection::Outgoing;
      const Filter f = filterFor(q);
      // As entries() decides per recipient: paper when recorded so or delivered by the paper
      // route, electronic when marked so (a DMS's history) or delivered another way and not
      // failed; a delivery counts for the code the document named (addressed_to).
      std::vector<std::string> unit, date, document;
      std::vector<Int64> message;
      std::vector<int> pdf_total, pdf_valid, electronic, paper;
      Poco::Data::Statement st(*session);
      st << "SELECT e.unit, e.doc_date, e.document_id, e.message_id, e.pdf_total, e.pdf_valid,"
            " COALESCE(MAX(r.electronic OR (d.id IS NOT NULL AND d.route <> 'paper' AND d.state <> 'failed')), 0),"
            " COALESCE(MAX(r.paper OR (d.id IS NOT NULL AND d.route = 'paper')), 0)"
            " FROM register_entries e"
            " LEFT JOIN register_recipients r ON r.entry_id = e.id"
            " LEFT JOIN deliveries d ON e.message_id > 0 AND d.message_id = e.message_id"
            "  AND (CASE WHEN d.addressed_to <> '' THEN d.addressed_to ELSE d.recipient END) = r.organ_id"
            " WHERE " << f.sql << " GROUP BY e.id ORDER BY e.doc_date, e.id",
          into(unit), into(date), into(document), into(message), into(pdf_total), into(pdf_valid), into(electronic),
          into(paper);
      for (const auto& v : f.values) st, bind(v);
      st.execute();
      std::vector<EntryTally> out;
      out.reserve(unit.size());
      for (std::size_t i = 0; i < unit.size(); ++i) {
        out.push_back(EntryTally{std::move(unit[i]), std::move(date[i]), std::move(document[i]), message[i],
                                 pdf_total[i], pdf_valid[i], electronic[i] != 0, paper[i] != 0});
      }
      return out;
    });
  }

  Result<std::vector<DayCount>> incomingCounts(const RegisterQuery& query) override {
    return guarded("read incoming counts", [&]() -> Result<std::vector<DayCount>> {
      RegisterQuery q = query;
      q.direction = RegisterDirection::Incoming;
      const Filter f = filterFor(q);
      std::vector<std::string> unit, day;
      std::vector<Int64> count;
      Poco::Data::Statement st(*session);
      st << "SELECT e.unit, CASE WHEN e.arrival_date <> '' THEN e.arrival_date ELSE e.doc_date END AS day, COUNT(*)"
            " FROM register_entries e WHERE " << f.sql << " GROUP BY e.unit, day",
          into(unit), into(day), into(count);
      for (const auto& v : f.values) st, bind(v);
      st.execute();
      std::vector<DayCount> out;
      out.reserve(unit.size());
      for (std::size_t i = 0; i < unit.size(); ++i) out.push_back(DayCount{unit[i], day[i], count[i]});
      return out;
    });
  }

  Result<std::vector<StoredDocument>> storedDocumentsAfter(std::int64_t after, int limit) override {
    return guarded("read stored documents", [&]() -> Result<std::vector<StoredDocument>> {
      auto& s = *session;
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

  Result<std::int64_t> cursor() override {
    return guarded("read cursor", [&]() -> Result<std::int64_t> {
      std::vector<Int64> v;
      *session << "SELECT last_message_id FROM register_cursor WHERE id = 1", into(v), now;
      return v.empty() ? 0 : v[0];
    });
  }

  Result<void> addGatewayEntries(const std::vector<RegisterEntry>& entries, std::int64_t cursor,
                                   std::int64_t now_ms) override {
    return guarded("add gateway entries", [&]() -> Result<void> {
      return transaction([&]() -> Result<void> {
        auto& s = *session;
        const Int64 t = now_ms;
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

  Result<std::vector<StatusTiming>> statusTimings(const std::vector<std::string>& senders) override {
    return guarded("read statuses", [&]() -> Result<std::vector<StatusTiming>> {
      std::vector<StatusTiming> out;
      if (senders.empty()) return out;
      std::vector<std::string> doc_sender, doc, reporter;
      std::vector<int> code;
      std::vector<Int64> first;
      Poco::Data::Statement st(*session);
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

  Result<std::map<std::string, std::int64_t>> receivedTimes(
      const std::vector<std::int64_t>& message_ids) override {
    return guarded("read message times", [&]() -> Result<std::map<std::string, std::int64_t>> {
      std::map<std::string, std::int64_t> out;
      // In chunks, to stay below SQLite's parameter limit.
      for (std::size_t at = 0; at < message_ids.size(); at += 500) {
        const std::size_t n = std::min<std::size_t>(500, message_ids.size() - at);
        std::vector<std::string> sender, doc;
        std::vector<Int64> received;
        Poco::Data::Statement st(*session);
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

  Result<std::vector<std::string>> recallsSent(const std::vector<std::string>& senders) override {
    return guarded("read recalls", [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      if (senders.empty()) return out;
      std::vector<std::string> sender, doc;
      Poco::Data::Statement st(*session);
      st << "SELECT DISTINCT sender, document_id FROM messages WHERE kind = 'status'"
            " AND status_code = 13 AND sender IN (" << bindMarkers(senders.size()) << ")",
          into(sender), into(doc);
      for (const auto& v : senders) st, bind(v);
      st.execute();
      for (std::size_t i = 0; i < doc.size(); ++i) out.push_back(sender[i] + "\n" + doc[i]);
      return out;
    });
  }

  Result<int> adoptEntries(const std::vector<RegisterEntry>& entries, std::int64_t now_ms) override {
    return guarded("adopt register lines", [&]() -> Result<int> {
      return transaction([&]() -> Result<int> {
        auto& s = *session;
        int added = 0;
        for (const auto& e : entries) {
          const std::string dir(directionName(e.direction));
          std::vector<Int64> ids;
          Int64 mid = e.message_id;
          if (mid > 0) {
            s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND message_id = ?",
                bind(dir), bind(e.unit), bind(mid), into(ids), now;
          } else if (!e.document_id.empty()) {
            s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND message_id = 0"
                 " AND document_id = ? ORDER BY id LIMIT 1",
                bind(dir), bind(e.unit), bind(e.document_id), into(ids), now;
          } else {
            s << "SELECT id FROM register_entries WHERE direction = ? AND unit = ? AND message_id = 0"
                 " AND document_id = '' AND number = ? AND notation = ? AND doc_date = ? ORDER BY id LIMIT 1",
                bind(dir), bind(e.unit), bind(e.number), bind(e.notation), bind(e.date), into(ids), now;
          }
          if (!ids.empty()) {
            s << "DELETE FROM register_recipients WHERE entry_id = ?", bind(ids[0]), now;
            s << "DELETE FROM register_entries WHERE id = ?", bind(ids[0]), now;
          } else {
            ++added;
          }
          Int64 at = e.recorded_ms > 0 ? e.recorded_ms : now_ms;
          s << "INSERT INTO register_entries(direction, unit, source, message_id,"
               " document_id, number, notation, doc_date, doc_type, subject, signer, sender,"
               " file_keeper, copies, dispatch_date, arrival_date, receipt, notes, pdf_total, pdf_valid,"
               " recorded_by, recorded_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
              bind(dir), bind(e.unit), bind(e.source), bind(mid), bind(e.document_id), bind(e.number),
              bind(e.notation), bind(e.date), bind(e.type), bind(e.subject), bind(e.signer),
              bind(e.sender), bind(e.file_keeper), bind(e.copies), bind(e.dispatch_date),
              bind(e.arrival_date), bind(e.receipt), bind(e.notes), bind(e.pdf_total), bind(e.pdf_both_valid),
              bind(e.recorded_by), bind(at), now;
          Int64 id = 0;
          s << "SELECT last_insert_rowid()", into(id), now;
          for (const auto& r : e.recipients) {
            const int paper = r.paper ? 1 : 0;
            // Only a DMS's history keeps its electronic mark; the gateway's lines take theirs
            // from the deliveries.
            const int electronic = e.source == "import" && r.electronic ? 1 : 0;
            s << "INSERT OR IGNORE INTO register_recipients(entry_id, organ_id, paper, electronic) VALUES (?,?,?,?)",
                bind(id), bind(r.organ_id), bind(paper), bind(electronic), now;
          }
        }
        return added;
      });
    });
  }

  Result<std::vector<RegisterDeliveryBucket>> deliveryBuckets() override {
    return guarded("read deliveries", [&]() -> Result<std::vector<RegisterDeliveryBucket>> {
      std::vector<std::string> route, state;
      std::vector<Int64> count, oldest;
      *session << "SELECT route, state, COUNT(*), MIN(created_ms) FROM deliveries"
                         " WHERE state IN ('pending', 'failed') GROUP BY route, state"
                         " ORDER BY state, route",
          into(route), into(state), into(count), into(oldest), now;
      std::vector<RegisterDeliveryBucket> out;
      for (std::size_t i = 0; i < route.size(); ++i) {
        out.push_back(RegisterDeliveryBucket{route[i], state[i], count[i], oldest[i]});
      }
      return out;
    });
  }

  Result<std::vector<RegisterHopBacklog>> pendingByHop() override {
    return guarded("read backlog", [&]() -> Result<std::vector<RegisterHopBacklog>> {
      std::vector<std::string> route, hop;
      std::vector<Int64> count, oldest;
      *session << "SELECT route, CASE WHEN route = 'peer' THEN next_node ELSE recipient END AS hop,"
                         " COUNT(*), MIN(created_ms) FROM deliveries WHERE state = 'pending'"
                         " GROUP BY route, hop ORDER BY MIN(created_ms)",
          into(route), into(hop), into(count), into(oldest), now;
      std::vector<RegisterHopBacklog> out;
      for (std::size_t i = 0; i < route.size(); ++i) out.push_back(RegisterHopBacklog{route[i], hop[i], count[i], oldest[i]});
      return out;
    });
  }

  Result<std::vector<RegisterFailedDelivery>> failedDeliveries(int limit) override {
    return guarded("read failed deliveries", [&]() -> Result<std::vector<RegisterFailedDelivery>> {
      std::vector<Int64> id, created;
      std::vector<std::string> doc, sender, recipient, route, error;
      std::vector<int> attempts;
      *session << "SELECT d.id, m.document_id, m.sender, d.recipient, d.route, d.attempts,"
                         " d.last_error, d.created_ms FROM deliveries d"
                         " JOIN messages m ON m.id = d.message_id WHERE d.state = 'failed'"
                         " ORDER BY d.id DESC LIMIT ?",
          bind(limit), into(id), into(doc), into(sender), into(recipient), into(route),
          into(attempts), into(error), into(created), now;
      std::vector<RegisterFailedDelivery> out;
      for (std::size_t i = 0; i < id.size(); ++i) {
        out.push_back(RegisterFailedDelivery{id[i], doc[i], sender[i], recipient[i], route[i], attempts[i],
                                     error[i], created[i]});
      }
      return out;
    });
  }

 private:
  std::mutex mu;  // guards session (one SQLite connection, one user at a time)
  std::unique_ptr<Poco::Data::Session> session;

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
    const bool history = !r.channel.empty();
    const int paper = history ? (r.channel == "paper" || r.channel == "both" ? 1 : 0)
                      : r.dispatch_date.empty() && r.direction == RegisterDirection::Outgoing ? 0
                                                                                               : 1;
    const int electronic = history && (r.channel == "electronic" || r.channel == "both") ? 1 : 0;
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
      const std::string source = history ? "import" : "clerk";
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
      if (electronic) {
        s << "UPDATE register_recipients SET electronic = 1 WHERE entry_id = ? AND organ_id = ?",
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

Result<std::unique_ptr<RegisterStore>> openSqliteRegisterStore(const std::string& path) {
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    auto session = std::make_unique<Poco::Data::Session>("SQLite", path);
    auto& s = *session;
    s << "PRAGMA busy_timeout=5000", now;
    s << "PRAGMA synchronous=FULL", now;
    for (const char* sql : kSchema) s << sql, now;
    // Registers made before a DMS's history could be imported: the recipients' electronic mark.
    std::vector<std::string> names;
    s << "SELECT name FROM pragma_table_info('register_recipients')", into(names), now;
    if (std::find(names.begin(), names.end(), "electronic") == names.end()) {
      s << "ALTER TABLE register_recipients ADD COLUMN electronic INTEGER NOT NULL DEFAULT 0", now;
    }
    return std::unique_ptr<RegisterStore>(new SqliteRegisterStore(std::move(session)));
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Storage, "register: cannot open '" + path + "': " + e.displayText());
  }
}

}  // namespace lienthong::gateway
