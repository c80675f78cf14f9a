// The summary tables beside the store's in the node's SQLite file (summary_store.h). The
// messages table is only read.
#include "lienthong/gateway/store/summary_store.h"

#include <Poco/Data/Statement.h>

#include "sqlite_session.h"

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

namespace {

const char* kSchema[] = {
    "CREATE TABLE IF NOT EXISTS summary_outbox ("
    " unit TEXT NOT NULL, day TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL,"
    " sent_ms INTEGER NOT NULL, PRIMARY KEY (unit, day))",
    "CREATE TABLE IF NOT EXISTS summary_rows ("
    " node TEXT NOT NULL, unit TEXT NOT NULL, day TEXT NOT NULL, version INTEGER NOT NULL,"
    " electronic_only INTEGER NOT NULL, paper_only INTEGER NOT NULL, both_ways INTEGER NOT NULL,"
    " not_issued INTEGER NOT NULL, received INTEGER NOT NULL, rejected INTEGER NOT NULL,"
    " recalled INTEGER NOT NULL, pdf_checked INTEGER NOT NULL, pdf_unchecked INTEGER NOT NULL,"
    " pdf_attachments INTEGER NOT NULL, pdf_both_valid INTEGER NOT NULL,"
    " latency TEXT NOT NULL DEFAULT '', message_id INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
    " PRIMARY KEY (node, unit, day))",
    "CREATE INDEX IF NOT EXISTS summary_rows_day ON summary_rows(day)",
    "CREATE TABLE IF NOT EXISTS summary_cursor ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), last_message_id INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS summary_coverage ("
    " node TEXT NOT NULL, unit TEXT NOT NULL, needed INTEGER NOT NULL, signers_valid INTEGER NOT NULL,"
    " missing INTEGER NOT NULL, seals_valid INTEGER NOT NULL, expiring INTEGER NOT NULL,"
    " made_ms INTEGER NOT NULL, PRIMARY KEY (node, unit))",
};

constexpr const char* kFigureColumns =
    "electronic_only, paper_only, both_ways, not_issued, received, rejected, recalled,"
    " pdf_checked, pdf_unchecked, pdf_attachments, pdf_both_valid";

class SqliteSummaryStore final : public SummaryStore {
 public:
  explicit SqliteSummaryStore(std::unique_ptr<sqlite_parts::SharedSession> db) : db_(std::move(db)) {}

  Result<std::map<std::string, OutboxMark>> outbox() override {
    return db_->guarded("read outbox", [&]() -> Result<std::map<std::string, OutboxMark>> {
      std::vector<std::string> unit, day, hash;
      std::vector<Int64> version;
      db_->session() << "SELECT unit, day, version, hash FROM summary_outbox", into(unit), into(day),
          into(version), into(hash), now;
      std::map<std::string, OutboxMark> out;
      for (std::size_t i = 0; i < unit.size(); ++i) {
        out.emplace(unit[i] + "\n" + day[i], OutboxMark{unit[i], day[i], version[i], hash[i]});
      }
      return out;
    });
  }

  Result<void> markSent(const std::vector<OutboxMark>& marks, std::int64_t now_ms) override {
    return db_->guarded("record summaries sent", [&]() -> Result<void> {
      return db_->transaction([&]() -> Result<void> {
        const Int64 t = now_ms;
        for (const auto& m : marks) {
          const Int64 v = m.version;
          db_->session() << "INSERT INTO summary_outbox(unit, day, version, hash, sent_ms) VALUES (?,?,?,?,?)"
                            " ON CONFLICT(unit, day) DO UPDATE SET version = excluded.version,"
                            " hash = excluded.hash, sent_ms = excluded.sent_ms",
              bind(m.unit), bind(m.day), bind(v), bind(m.hash), bind(t), now;
        }
        return {};
      });
    });
  }

  Result<std::vector<StoredSummaryMessage>> summaryMessagesAfter(std::int64_t after, int limit) override {
    return db_->guarded("read summary messages", [&]() -> Result<std::vector<StoredSummaryMessage>> {
      std::vector<Int64> id, received;
      std::vector<std::string> sender, bytes;
      const Int64 from = after;
      db_->session() << "SELECT id, sender, bytes, received_ms FROM messages"
                        " WHERE kind = 'summary' AND id > ? ORDER BY id LIMIT ?",
          bind(from), bind(limit), into(id), into(sender), into(bytes), into(received), now;
      std::vector<StoredSummaryMessage> out;
      for (std::size_t i = 0; i < id.size(); ++i) {
        out.push_back(StoredSummaryMessage{id[i], sender[i], bytes[i], received[i]});
      }
      return out;
    });
  }

  Result<std::int64_t> cursor() override {
    return db_->guarded("read summary cursor", [&]() -> Result<std::int64_t> {
      std::vector<Int64> last;
      db_->session() << "SELECT last_message_id FROM summary_cursor WHERE id = 1", into(last), now;
      return last.empty() ? std::int64_t{0} : last[0];
    });
  }

  Result<int> apply(const std::vector<ReceivedRow>& rows, const std::vector<ReceivedCoverage>& coverage,
                    std::int64_t cursor, std::int64_t now_ms) override {
    return db_->guarded("apply summaries", [&]() -> Result<int> {
      return db_->transaction([&]() -> Result<int> {
        auto& s = db_->session();
        int taken = 0;
        const Int64 t = now_ms;
        for (const auto& r : rows) {
          const auto& f = r.figures;
          Int64 v[] = {f.version, f.electronic_only, f.paper_only, f.both, f.not_issued, f.received,
                       f.rejected, f.recalled, f.pdf_checked, f.pdf_unchecked, f.pdf_attachments,
                       f.pdf_both_valid, r.message_id};
          s << "INSERT INTO summary_rows(node, unit, day, version, " << kFigureColumns
            << ", latency, message_id, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
               " ON CONFLICT(node, unit, day) DO UPDATE SET version = excluded.version,"
               " electronic_only = excluded.electronic_only, paper_only = excluded.paper_only,"
               " both_ways = excluded.both_ways, not_issued = excluded.not_issued,"
               " received = excluded.received, rejected = excluded.rejected,"
               " recalled = excluded.recalled, pdf_checked = excluded.pdf_checked,"
               " pdf_unchecked = excluded.pdf_unchecked, pdf_attachments = excluded.pdf_attachments,"
               " pdf_both_valid = excluded.pdf_both_valid, latency = excluded.latency,"
               " message_id = excluded.message_id, received_ms = excluded.received_ms"
               " WHERE excluded.version > summary_rows.version",
              bind(r.node), bind(f.unit), bind(f.day), bind(v[0]), bind(v[1]), bind(v[2]), bind(v[3]),
              bind(v[4]), bind(v[5]), bind(v[6]), bind(v[7]), bind(v[8]), bind(v[9]), bind(v[10]),
              bind(v[11]), bind(f.latency), bind(v[12]), bind(t), now;
          int changed = 0;
          s << "SELECT changes()", into(changed), now;
          taken += changed;
        }
        for (const auto& c : coverage) {
          const auto& f = c.figures;
          Int64 v[] = {f.needed, f.signers_valid, f.missing, f.seals_valid, f.expiring, c.made_ms};
          s << "INSERT INTO summary_coverage(node, unit, needed, signers_valid, missing, seals_valid, expiring,"
               " made_ms) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(node, unit) DO UPDATE SET"
               " needed = excluded.needed, signers_valid = excluded.signers_valid, missing = excluded.missing,"
               " seals_valid = excluded.seals_valid, expiring = excluded.expiring, made_ms = excluded.made_ms"
               " WHERE excluded.made_ms >= summary_coverage.made_ms",
              bind(c.node), bind(f.unit), bind(v[0]), bind(v[1]), bind(v[2]), bind(v[3]), bind(v[4]), bind(v[5]), now;
        }
        const Int64 c = cursor;
        s << "INSERT INTO summary_cursor(id, last_message_id) VALUES (1, ?)"
             " ON CONFLICT(id) DO UPDATE SET last_message_id = excluded.last_message_id",
            bind(c), now;
        return taken;
      });
    });
  }

  Result<std::vector<ReceivedCoverage>> coverage() override {
    return db_->guarded("read summary coverage", [&]() -> Result<std::vector<ReceivedCoverage>> {
      std::vector<std::string> node, unit;
      std::vector<Int64> needed, valid, missing, seals, expiring, made;
      db_->session() << "SELECT node, unit, needed, signers_valid, missing, seals_valid, expiring, made_ms"
                        " FROM summary_coverage ORDER BY node, unit",
          into(node), into(unit), into(needed), into(valid), into(missing), into(seals), into(expiring), into(made), now;
      std::vector<ReceivedCoverage> out;
      for (std::size_t i = 0; i < node.size(); ++i) {
        out.push_back(ReceivedCoverage{node[i], made[i],
                                       CoverageFigures{unit[i], needed[i], valid[i], missing[i], seals[i], expiring[i]}});
      }
      return out;
    });
  }

  Result<std::vector<SummaryTotal>> totals(const std::string& from, const std::string& to) override {
    return db_->guarded("read summary totals", [&]() -> Result<std::vector<SummaryTotal>> {
      const std::string lo = from, hi = to.empty() ? std::string("9999-12-31") : to;
      std::vector<std::string> node, unit, latency;
      std::vector<Int64> n, eo, po, both, ni, rec, rej, rcl, pc, pu, pa, pb;
      db_->session() << "SELECT node, unit, COUNT(*), SUM(electronic_only), SUM(paper_only),"
                        " SUM(both_ways), SUM(not_issued), SUM(received), SUM(rejected), SUM(recalled),"
                        " SUM(pdf_checked), SUM(pdf_unchecked), SUM(pdf_attachments), SUM(pdf_both_valid),"
                        " COALESCE(group_concat(NULLIF(latency, ''), ';'), '')"
                        " FROM summary_rows WHERE day >= ? AND day <= ? GROUP BY node, unit ORDER BY node, unit",
          bind(lo), bind(hi), into(node), into(unit), into(n), into(eo), into(po), into(both), into(ni),
          into(rec), into(rej), into(rcl), into(pc), into(pu), into(pa), into(pb), into(latency), now;
      std::vector<SummaryTotal> out;
      for (std::size_t i = 0; i < node.size(); ++i) {
        SummaryFigures f{unit[i], "", n[i], eo[i], po[i], both[i], ni[i], rec[i], rej[i], rcl[i],
                         pc[i], pu[i], pa[i], pb[i], latency[i]};
        out.push_back(SummaryTotal{node[i], std::move(f)});
      }
      return out;
    });
  }

  Result<std::vector<ReceivedRow>> rows(const std::string& only_node) override {
    return db_->guarded("read summary rows", [&]() -> Result<std::vector<ReceivedRow>> {
      std::vector<std::string> node, unit, day, latency;
      std::vector<Int64> version, eo, po, both, ni, rec, rej, rcl, pc, pu, pa, pb, mid;
      const std::string all = only_node.empty() ? "1" : "0";
      db_->session() << "SELECT node, unit, day, version, " << kFigureColumns
                     << ", latency, message_id FROM summary_rows WHERE (? = '1' OR node = ?)"
                        " ORDER BY node, unit, day",
          bind(all), bind(only_node), into(node), into(unit), into(day), into(version), into(eo),
          into(po), into(both), into(ni), into(rec), into(rej), into(rcl), into(pc), into(pu), into(pa),
          into(pb), into(latency), into(mid), now;
      std::vector<ReceivedRow> out;
      for (std::size_t i = 0; i < node.size(); ++i) {
        SummaryFigures f{unit[i], day[i], version[i], eo[i], po[i], both[i], ni[i], rec[i], rej[i],
                         rcl[i], pc[i], pu[i], pa[i], pb[i], latency[i]};
        out.push_back(ReceivedRow{node[i], mid[i], std::move(f)});
      }
      return out;
    });
  }

  Result<std::vector<SummarySource>> sources() override {
    return db_->guarded("read summary sources", [&]() -> Result<std::vector<SummarySource>> {
      std::vector<std::string> node, first, last;
      std::vector<Int64> rows, units, messages, received;
      db_->session() << "SELECT node, COUNT(*), COUNT(DISTINCT unit), COUNT(DISTINCT message_id),"
                        " MIN(day), MAX(day), MAX(received_ms) FROM summary_rows GROUP BY node ORDER BY node",
          into(node), into(rows), into(units), into(messages), into(first), into(last), into(received), now;
      std::vector<SummarySource> out;
      for (std::size_t i = 0; i < node.size(); ++i) {
        out.push_back(SummarySource{node[i], rows[i], units[i], messages[i], first[i], last[i], received[i]});
      }
      return out;
    });
  }

 private:
  std::unique_ptr<sqlite_parts::SharedSession> db_;
};

}  // namespace

Result<std::unique_ptr<SummaryStore>> openSqliteSummaryStore(const std::string& path) {
  auto db = sqlite_parts::SharedSession::open("summaries", path, kSchema);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<SummaryStore>(new SqliteSummaryStore(std::move(*db)));
}

}  // namespace lienthong::gateway
