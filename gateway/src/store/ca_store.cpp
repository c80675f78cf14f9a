// CA tables in the node's SQLite file, beside the gateway's own (CREATE TABLE IF NOT EXISTS, all
// prefixed ca_). One connection guarded by a mutex; Poco exceptions end here as Storage errors.
#include "lienthong/gateway/store/ca_store.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>

#include <sstream>

namespace lienthong::gateway {

using namespace Poco::Data::Keywords;
using Poco::Int64;

namespace {

std::string toBase64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

std::string fromBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  out << dec.rdbuf();
  return out.str();
}

constexpr const char* kCertColumns =
    "serial, profile, subject, common_name, unit, key_desc, not_before, not_after, status, "
    "revoked_at, reason, issued_at, issued_by, cert_pem";

}  // namespace

struct SqliteCaStoreImpl {
  std::mutex mu;  // guards session (one SQLite connection, one user at a time)
  std::unique_ptr<Poco::Data::Session> session;

  template <typename F>
  auto guarded(const char* what, F&& f) -> decltype(f()) {
    std::lock_guard lock(mu);
    try {
      return f();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Storage, std::string("CA store: ") + what + ": " + e.displayText());
    } catch (const std::exception& e) {
      return fail(ErrorCode::Storage, std::string("CA store: ") + what + ": " + e.what());
    }
  }

  // Reads rows of ca_certificates matching `where` (with one optional text parameter).
  std::vector<CaCertRow> select(const std::string& where, const std::string* param) {
    std::vector<std::string> serial, profile, subject, cn, unit, key, status, reason, by, pem;
    std::vector<Int64> nb, na, rat, iat;
    Poco::Data::Statement st(*session);
    st << "SELECT " << kCertColumns << " FROM ca_certificates " << where, into(serial), into(profile),
        into(subject), into(cn), into(unit), into(key), into(nb), into(na), into(status), into(rat),
        into(reason), into(iat), into(by), into(pem);
    if (param) st, bind(*param);
    st.execute();
    std::vector<CaCertRow> rows;
    for (std::size_t i = 0; i < serial.size(); ++i) {
      rows.push_back(CaCertRow{serial[i], profile[i], subject[i], cn[i], unit[i], key[i], nb[i], na[i],
                               status[i], rat[i], reason[i], iat[i], by[i], pem[i]});
    }
    return rows;
  }

  // ca_crls and ca_arls share one layout; `table` is one of those two names, never user input.
  Int64 nextNumber(const std::string& table) {
    Int64 n = 0;
    *session << "SELECT COALESCE(MAX(number), 0) + 1 FROM " + table, into(n), now;
    return n;
  }
  void insertList(const std::string& table, const CaCrlRow& r) {
    Int64 n = r.number, tu = r.this_update, nu = r.next_update;
    std::string der = toBase64(r.der);
    *session << "INSERT INTO " + table +
                    "(number, this_update, next_update, der_base64) VALUES (?,?,?,?)",
        bind(n), bind(tu), bind(nu), bind(der), now;
  }
  std::optional<CaCrlRow> latest(const std::string& table) {
    std::vector<Int64> n, tu, nu;
    std::vector<std::string> der;
    *session << "SELECT number, this_update, next_update, der_base64 FROM " + table +
                    " ORDER BY number DESC LIMIT 1",
        into(n), into(tu), into(nu), into(der), now;
    if (n.empty()) return std::nullopt;
    return CaCrlRow{n[0], tu[0], nu[0], fromBase64(der[0])};
  }
};

class SqliteCaStore final : public CaStore {
 public:
  explicit SqliteCaStore(std::unique_ptr<SqliteCaStoreImpl> impl) : impl_(std::move(impl)) {}
  Result<std::map<std::string, std::string>> settings() override;
  Result<void> initialize(const std::map<std::string, std::string>& settings,
                          const std::map<std::string, std::pair<std::string, std::string>>& keys) override;
  Result<std::map<std::string, std::pair<std::string, std::string>>> keys() override;

  Result<void> insertCertificate(const CaCertRow& row) override;
  Result<std::optional<CaCertRow>> certificate(const std::string& serial) override;
  Result<std::vector<CaCertRow>> certificates() override;
  Result<std::vector<CaCertRow>> revoked() override;
  Result<void> revoke(const std::string& serial, std::int64_t at, const std::string& reason) override;

  Result<std::int64_t> nextCrlNumber() override;
  Result<void> insertCrl(const CaCrlRow& row) override;
  Result<std::optional<CaCrlRow>> latestCrl() override;

  Result<std::int64_t> nextArlNumber() override;
  Result<void> insertArl(const CaCrlRow& row) override;
  Result<std::optional<CaCrlRow>> latestArl() override;

  Result<void> setNeeded(const std::string& unit, std::int64_t needed, std::int64_t at) override;
  Result<std::map<std::string, std::int64_t>> needed() override;

  Result<void> audit(const std::string& event, const std::string& object, const std::string& detail,
                     std::int64_t at) override;
  Result<std::vector<std::string>> auditTrail() override;

 private:
  std::unique_ptr<SqliteCaStoreImpl> impl_;
};

Result<std::unique_ptr<CaStore>> CaStore::open(const std::string& path) {
  try {
    Poco::Data::SQLite::Connector::registerConnector();
    auto impl = std::make_unique<SqliteCaStoreImpl>();
    impl->session = std::make_unique<Poco::Data::Session>("SQLite", path);
    auto& s = *impl->session;
    s << "PRAGMA busy_timeout=5000", now;
    // WAL as the gateway's store uses on the same file; synchronous=FULL keeps every issued
    // certificate and revocation on disk once the call returns.
    std::string mode;
    s << "PRAGMA journal_mode=WAL", into(mode), now;
    s << "PRAGMA synchronous=FULL", now;
    s << "CREATE TABLE IF NOT EXISTS ca_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)", now;
    s << "CREATE TABLE IF NOT EXISTS ca_keys (name TEXT PRIMARY KEY, cert_pem TEXT NOT NULL,"
         " encrypted_key_pem TEXT NOT NULL)",
        now;
    s << "CREATE TABLE IF NOT EXISTS ca_certificates (serial TEXT PRIMARY KEY, profile TEXT NOT NULL,"
         " subject TEXT NOT NULL, common_name TEXT NOT NULL, unit TEXT NOT NULL, key_desc TEXT NOT NULL,"
         " not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, status TEXT NOT NULL,"
         " revoked_at INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
         " issued_at INTEGER NOT NULL, issued_by TEXT NOT NULL, cert_pem TEXT NOT NULL)",
        now;
    s << "CREATE INDEX IF NOT EXISTS ca_certificates_unit ON ca_certificates(unit)", now;
    s << "CREATE TABLE IF NOT EXISTS ca_crls (number INTEGER PRIMARY KEY, this_update INTEGER NOT NULL,"
         " next_update INTEGER NOT NULL, der_base64 TEXT NOT NULL)",
        now;
    // Added after the first stores were made: CREATE ... IF NOT EXISTS gives an older store the
    // table, empty, on its next open.
    s << "CREATE TABLE IF NOT EXISTS ca_arls (number INTEGER PRIMARY KEY,"
         " this_update INTEGER NOT NULL, next_update INTEGER NOT NULL, der_base64 TEXT NOT NULL)",
        now;
    s << "CREATE TABLE IF NOT EXISTS ca_needed (unit TEXT PRIMARY KEY, needed INTEGER NOT NULL,"
         " updated_at INTEGER NOT NULL)",
        now;
    s << "CREATE TABLE IF NOT EXISTS ca_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
         " event TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL)",
        now;
    return std::unique_ptr<CaStore>(new SqliteCaStore(std::move(impl)));
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Storage, "cannot open the CA store '" + path + "': " + e.displayText());
  }
}

Result<std::map<std::string, std::string>> SqliteCaStore::settings() {
  return impl_->guarded("settings", [&]() -> Result<std::map<std::string, std::string>> {
    std::vector<std::string> keys, values;
    *impl_->session << "SELECT key, value FROM ca_settings", into(keys), into(values), now;
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i < keys.size(); ++i) out[keys[i]] = values[i];
    return out;
  });
}

Result<void> SqliteCaStore::initialize(const std::map<std::string, std::string>& settings,
                                 const std::map<std::string, std::pair<std::string, std::string>>& keys) {
  return impl_->guarded("initialize", [&]() -> Result<void> {
    auto& s = *impl_->session;
    Int64 existing = 0;
    s << "SELECT COUNT(*) FROM ca_keys", into(existing), now;
    if (existing > 0) {
      return fail(ErrorCode::Conflict, "a CA already exists in this store; it is never replaced");
    }
    s.begin();
    try {
      for (const auto& [k, v] : settings) {
        std::string key = k, value = v;
        s << "INSERT INTO ca_settings(key, value) VALUES (?, ?)", bind(key), bind(value), now;
      }
      for (const auto& [name, pair] : keys) {
        std::string n = name, cert = pair.first, key = pair.second;
        s << "INSERT INTO ca_keys(name, cert_pem, encrypted_key_pem) VALUES (?, ?, ?)", bind(n), bind(cert),
            bind(key), now;
      }
      s.commit();
    } catch (...) {
      s.rollback();
      throw;
    }
    return {};
  });
}

Result<std::map<std::string, std::pair<std::string, std::string>>> SqliteCaStore::keys() {
  return impl_->guarded("keys", [&]() -> Result<std::map<std::string, std::pair<std::string, std::string>>> {
    std::vector<std::string> names, certs, keys;
    *impl_->session << "SELECT name, cert_pem, encrypted_key_pem FROM ca_keys", into(names), into(certs),
        into(keys), now;
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < names.size(); ++i) out[names[i]] = {certs[i], keys[i]};
    return out;
  });
}

Result<void> SqliteCaStore::insertCertificate(const CaCertRow& r) {
  return impl_->guarded("insert certificate", [&]() -> Result<void> {
    CaCertRow row = r;
    Int64 nb = row.not_before, na = row.not_after, rat = row.revoked_at, iat = row.issued_at;
    *impl_->session << "INSERT INTO ca_certificates(" << kCertColumns
                    << ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        bind(row.serial), bind(row.profile), bind(row.subject), bind(row.common_name), bind(row.unit),
        bind(row.key), bind(nb), bind(na), bind(row.status), bind(rat), bind(row.reason), bind(iat),
        bind(row.issued_by), bind(row.cert_pem), now;
    return {};
  });
}

Result<std::optional<CaCertRow>> SqliteCaStore::certificate(const std::string& serial) {
  return impl_->guarded("certificate", [&]() -> Result<std::optional<CaCertRow>> {
    auto rows = impl_->select("WHERE serial = ?", &serial);
    if (rows.empty()) return std::optional<CaCertRow>();
    return std::optional<CaCertRow>(std::move(rows.front()));
  });
}

Result<std::vector<CaCertRow>> SqliteCaStore::certificates() {
  return impl_->guarded("certificates", [&]() -> Result<std::vector<CaCertRow>> {
    return impl_->select("ORDER BY unit, issued_at, serial", nullptr);
  });
}

Result<std::vector<CaCertRow>> SqliteCaStore::revoked() {
  return impl_->guarded("revoked", [&]() -> Result<std::vector<CaCertRow>> {
    const std::string status = "revoked";
    return impl_->select("WHERE status = ?", &status);
  });
}

Result<void> SqliteCaStore::revoke(const std::string& serial, std::int64_t at, const std::string& reason) {
  return impl_->guarded("revoke", [&]() -> Result<void> {
    auto& s = *impl_->session;
    std::vector<std::string> status;
    std::string sr = serial;
    s << "SELECT status FROM ca_certificates WHERE serial = ?", bind(sr), into(status), now;
    if (status.empty()) return fail(ErrorCode::NotFound, "no certificate with serial " + serial);
    if (status[0] == "revoked") return fail(ErrorCode::Conflict, "certificate " + serial + " is already revoked");
    Int64 when = at;
    std::string why = reason;
    s << "UPDATE ca_certificates SET status = 'revoked', revoked_at = ?, reason = ? WHERE serial = ?",
        bind(when), bind(why), bind(sr), now;
    return {};
  });
}

Result<std::int64_t> SqliteCaStore::nextCrlNumber() {
  return impl_->guarded("CRL number",
                        [&]() -> Result<std::int64_t> { return impl_->nextNumber("ca_crls"); });
}

Result<void> SqliteCaStore::insertCrl(const CaCrlRow& r) {
  return impl_->guarded("insert CRL", [&]() -> Result<void> {
    impl_->insertList("ca_crls", r);
    return {};
  });
}

Result<std::optional<CaCrlRow>> SqliteCaStore::latestCrl() {
  return impl_->guarded("latest CRL",
                        [&]() -> Result<std::optional<CaCrlRow>> { return impl_->latest("ca_crls"); });
}

Result<std::int64_t> SqliteCaStore::nextArlNumber() {
  return impl_->guarded("ARL number",
                        [&]() -> Result<std::int64_t> { return impl_->nextNumber("ca_arls"); });
}

Result<void> SqliteCaStore::insertArl(const CaCrlRow& r) {
  return impl_->guarded("insert ARL", [&]() -> Result<void> {
    impl_->insertList("ca_arls", r);
    return {};
  });
}

Result<std::optional<CaCrlRow>> SqliteCaStore::latestArl() {
  return impl_->guarded("latest ARL",
                        [&]() -> Result<std::optional<CaCrlRow>> { return impl_->latest("ca_arls"); });
}

Result<void> SqliteCaStore::setNeeded(const std::string& unit, std::int64_t needed, std::int64_t at) {
  return impl_->guarded("set needed", [&]() -> Result<void> {
    std::string u = unit;
    Int64 n = needed, t = at;
    *impl_->session << "INSERT INTO ca_needed(unit, needed, updated_at) VALUES (?,?,?)"
                       " ON CONFLICT(unit) DO UPDATE SET needed = excluded.needed,"
                       " updated_at = excluded.updated_at",
        bind(u), bind(n), bind(t), now;
    return {};
  });
}

Result<std::map<std::string, std::int64_t>> SqliteCaStore::needed() {
  return impl_->guarded("needed", [&]() -> Result<std::map<std::string, std::int64_t>> {
    std::vector<std::string> units;
    std::vector<Int64> counts;
    *impl_->session << "SELECT unit, needed FROM ca_needed", into(units), into(counts), now;
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < units.size(); ++i) out[units[i]] = counts[i];
    return out;
  });
}

Result<void> SqliteCaStore::audit(const std::string& event, const std::string& object, const std::string& detail,
                            std::int64_t at) {
  return impl_->guarded("audit", [&]() -> Result<void> {
    std::string e = event, o = object, d = detail;
    Int64 t = at;
    *impl_->session << "INSERT INTO ca_audit(at, event, object, detail) VALUES (?,?,?,?)", bind(t), bind(e),
        bind(o), bind(d), now;
    return {};
  });
}

Result<std::vector<std::string>> SqliteCaStore::auditTrail() {
  return impl_->guarded("audit trail", [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> e, o, d;
    *impl_->session << "SELECT event, object, detail FROM ca_audit ORDER BY id", into(e), into(o), into(d), now;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < e.size(); ++i) out.push_back(e[i] + " " + o[i] + " " + d[i]);
    return out;
  });
}

}  // namespace lienthong::gateway
