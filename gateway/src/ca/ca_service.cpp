#include "lienthong/gateway/ca/ca_service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "lienthong/schemas/organ_id.h"

namespace lienthong::gateway {

using namespace lienthong::signing;

namespace {

std::int64_t secs(UnixTime t) { return t.time_since_epoch().count(); }
UnixTime fromSecs(std::int64_t s) { return UnixTime{std::chrono::seconds(s)}; }

// The root signs rarely and its key should be used rarely: a month, renewed at half of it.
constexpr int kArlValidityDays = 30;

UnixTime systemNow() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string isoTime(std::int64_t s) {
  if (s == 0) return "";
  std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Quotes a CSV field when it holds a comma, a quote or a line break; a cell a spreadsheet would
// read as a formula (= + - @ tab CR first) starts with an apostrophe.
std::string csvField(const std::string& s) {
  const bool formula = !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = formula ? "\"'" : "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string stringify(const Poco::Dynamic::Var& v) {
  std::ostringstream out;
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    v.extract<Poco::JSON::Array::Ptr>()->stringify(out);
  } else {
    v.extract<Poco::JSON::Object::Ptr>()->stringify(out);
  }
  return out.str();
}

CaCertRow rowOf(const IssuedCertificate& c, const std::string& actor, std::int64_t issued_at) {
  CaCertRow r;
  r.serial = c.serial;
  r.profile = std::string(profileName(c.profile));
  r.subject = c.subject;
  r.common_name = c.common_name;
  r.unit = c.organ_id;
  r.key = c.key;
  r.not_before = secs(c.not_before);
  r.not_after = secs(c.not_after);
  r.issued_at = issued_at;
  r.issued_by = actor;
  r.cert_pem = c.cert_pem;
  return r;
}

}  // namespace

std::map<std::string, std::string> settingsToMap(const CaSettings& s) {
  return {{"province_name", s.province_name},
          {"organ_id", s.organ_id},
          {"crl_url", s.crl_url},
          {"arl_url", arlUrl(s)},
          {"ocsp_url", s.ocsp_url},
          {"policy_arc", s.policy_arc},
          {"ca_key_type", std::string(keyTypeName(s.ca_key_type))},
          {"root_validity_days", std::to_string(s.root_validity_days)},
          {"issuing_validity_days", std::to_string(s.issuing_validity_days)},
          {"ocsp_validity_seconds", std::to_string(s.ocsp_validity.count())},
          {"crl_validity_days", "7"},
          {"arl_validity_days", std::to_string(kArlValidityDays)}};
}

Result<CaSettings> settingsFromMap(const std::map<std::string, std::string>& m) {
  auto get = [&](const char* k) {
    auto it = m.find(k);
    return it == m.end() ? std::string() : it->second;
  };
  CaSettings s;
  s.province_name = get("province_name");
  s.organ_id = get("organ_id");
  s.crl_url = get("crl_url");
  s.arl_url = get("arl_url");  // absent in stores made before ARLs: derived from crl_url
  s.ocsp_url = get("ocsp_url");
  s.policy_arc = get("policy_arc");
  auto kt = parseKeyType(get("ca_key_type"));
  if (!kt) return fail(ErrorCode::Storage, "CA settings in the store: " + kt.error().message);
  s.ca_key_type = *kt;
  try {
    s.root_validity_days = std::stoi(get("root_validity_days"));
    s.issuing_validity_days = std::stoi(get("issuing_validity_days"));
    s.ocsp_validity = std::chrono::seconds(std::stoll(get("ocsp_validity_seconds")));
  } catch (const std::exception&) {
    return fail(ErrorCode::Storage, "CA settings in the store hold a number that cannot be read");
  }
  if (auto ok = checkSettings(s); !ok) return std::unexpected(ok.error());
  return s;
}

CaService::CaService(std::shared_ptr<CaStore> store, CertificateAuthority ca, CaAuditFn audit, Clock clock,
                     std::chrono::days crl_validity, std::chrono::days arl_validity)
    : store_(std::move(store)),
      ca_(std::move(ca)),
      audit_(std::move(audit)),
      clock_(clock ? std::move(clock) : Clock(systemNow)),
      crl_validity_(crl_validity),
      arl_validity_(arl_validity) {}

Result<std::unique_ptr<CaService>> CaService::init(std::shared_ptr<CaStore> store, const CaSettings& settings,
                                                   const std::string& passphrase, const std::string& actor,
                                                   CaAuditFn audit, Clock clock) {
  auto existing = store->keys();
  if (!existing) return std::unexpected(existing.error());
  if (!existing->empty()) {
    return fail(ErrorCode::Conflict, "a CA already exists in this store; it is never replaced");
  }
  Clock c = clock ? clock : Clock(systemNow);
  auto bundle = createCa(settings, passphrase, c());
  if (!bundle) return std::unexpected(bundle.error());
  auto init = store->initialize(settingsToMap(settings),
                                {{"root", {bundle->root.cert_pem, bundle->root.encrypted_key_pem}},
                                 {"issuing", {bundle->issuing.cert_pem, bundle->issuing.encrypted_key_pem}},
                                 {"ocsp", {bundle->ocsp.cert_pem, bundle->ocsp.encrypted_key_pem}}});
  if (!init) return std::unexpected(init.error());
  auto service = open(store, passphrase, audit, c);
  if (!service) return std::unexpected(service.error());
  auto rec = (*service)->record("ca.init", settings.organ_id, actor,
                                "province=" + settings.province_name + "; key=" +
                                    std::string(keyTypeName(settings.ca_key_type)));
  if (!rec) return std::unexpected(rec.error());
  auto crl = (*service)->publishCrl(actor);
  if (!crl) return std::unexpected(crl.error());
  auto arl = (*service)->publishArl(actor);
  if (!arl) return std::unexpected(arl.error());
  return service;
}

Result<std::unique_ptr<CaService>> CaService::open(std::shared_ptr<CaStore> store, const std::string& passphrase,
                                                   CaAuditFn audit, Clock clock) {
  auto keys = store->keys();
  if (!keys) return std::unexpected(keys.error());
  if (keys->empty()) {
    return fail(ErrorCode::NotFound, "this store holds no CA; run 'lienthong ca init' first");
  }
  for (const char* name : {"root", "issuing", "ocsp"}) {
    if (!keys->contains(name)) {
      return fail(ErrorCode::Storage, std::string("the CA store lacks the ") + name + " certificate");
    }
  }
  auto map = store->settings();
  if (!map) return std::unexpected(map.error());
  auto settings = settingsFromMap(*map);
  if (!settings) return std::unexpected(settings.error());
  CaBundle bundle;
  bundle.root = {keys->at("root").first, keys->at("root").second};
  bundle.issuing = {keys->at("issuing").first, keys->at("issuing").second};
  bundle.ocsp = {keys->at("ocsp").first, keys->at("ocsp").second};
  auto ca = CertificateAuthority::load(*settings, bundle, passphrase);
  if (!ca) return std::unexpected(ca.error());
  int crl_days = 7;
  if (auto it = map->find("crl_validity_days"); it != map->end()) crl_days = std::max(1, std::atoi(it->second.c_str()));
  int arl_days = kArlValidityDays;  // stores made before ARLs have no such setting
  if (auto it = map->find("arl_validity_days"); it != map->end()) {
    arl_days = std::max(1, std::atoi(it->second.c_str()));
  }
  return std::unique_ptr<CaService>(new CaService(std::move(store), std::move(*ca), std::move(audit),
                                                  std::move(clock), std::chrono::days(crl_days),
                                                  std::chrono::days(arl_days)));
}

Result<void> CaService::record(const std::string& event, const std::string& object, const std::string& actor,
                               const std::string& detail) {
  if (!audit_) return {};
  return audit_(event, object, "actor=" + actor + (detail.empty() ? "" : "; " + detail));
}

Result<IssuedCertificate> CaService::issue(const std::string& actor, CertProfile profile, const std::string& csr,
                                           const IssueOptions& options) {
  IssueOptions o = options;
  if (!o.now) o.now = now();
  auto issued = ca_.issue(profile, csr, o);
  if (!issued) {
    auto rec = record("ca.issue.refused", std::string(profileName(profile)), actor, issued.error().message);
    if (!rec) return std::unexpected(rec.error());
    return std::unexpected(issued.error());
  }
  auto stored = store_->insertCertificate(rowOf(*issued, actor, secs(now())));
  if (!stored) return std::unexpected(stored.error());
  auto rec = record("ca.issue", issued->serial, actor,
                    "profile=" + std::string(profileName(profile)) + "; subject=" + issued->subject);
  if (!rec) return std::unexpected(rec.error());
  return issued;
}

Result<GeneratedCredential> CaService::generate(const std::string& actor, CertProfile profile,
                                                const SubjectFields& subject, KeyType key_type,
                                                const std::string& p12_passphrase, const IssueOptions& options) {
  IssueOptions o = options;
  if (!o.now) o.now = now();
  auto made = ca_.generate(profile, subject, key_type, p12_passphrase, o);
  if (!made) {
    auto rec = record("ca.issue.refused", std::string(profileName(profile)), actor, made.error().message);
    if (!rec) return std::unexpected(rec.error());
    return std::unexpected(made.error());
  }
  auto stored = store_->insertCertificate(rowOf(made->certificate, actor, secs(now())));
  if (!stored) return std::unexpected(stored.error());
  auto rec = record("ca.issue", made->certificate.serial, actor,
                    "profile=" + std::string(profileName(profile)) + "; key generated (" +
                        std::string(keyTypeName(key_type)) + "), PKCS#12; subject=" + made->certificate.subject);
  if (!rec) return std::unexpected(rec.error());
  return made;
}

Result<CaCertRow> CaService::revoke(const std::string& actor, const std::string& serial_text,
                                    RevocationReason reason) {
  auto serial = normalizeSerial(serial_text);
  if (!serial) return std::unexpected(serial.error());
  auto done = store_->revoke(*serial, secs(now()), std::string(reasonName(reason)));
  if (!done) return std::unexpected(done.error());
  auto rec = record("ca.revoke", *serial, actor, "reason=" + std::string(reasonName(reason)));
  if (!rec) return std::unexpected(rec.error());
  auto crl = publishCrl(actor);
  if (!crl) return std::unexpected(crl.error());
  auto row = store_->certificate(*serial);
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::Internal, "certificate " + *serial + " vanished after revocation");
  return **row;
}

Result<CaCrlRow> CaService::publishLocked(RevocationList which, const std::string& actor) {
  const bool arl = which == RevocationList::Arl;
  std::vector<RevokedEntry> entries;  // the ARL lists no CA certificate: none can be revoked yet
  if (!arl) {
    auto revoked = store_->revoked();
    if (!revoked) return std::unexpected(revoked.error());
    entries.reserve(revoked->size());
    for (const auto& r : *revoked) {
      auto reason = parseReason(r.reason);
      entries.push_back({r.serial, fromSecs(r.revoked_at), reason ? *reason : RevocationReason::Unspecified});
    }
  }
  auto number = arl ? store_->nextArlNumber() : store_->nextCrlNumber();
  if (!number) return std::unexpected(number.error());
  const UnixTime t = now();
  const UnixTime next = t + (arl ? arl_validity_ : crl_validity_);
  auto der = arl ? ca_.makeArl(entries, *number, t, next) : ca_.makeCrl(entries, *number, t, next);
  if (!der) return std::unexpected(der.error());
  CaCrlRow row{*number, secs(t), secs(next), std::move(*der)};
  auto stored = arl ? store_->insertArl(row) : store_->insertCrl(row);
  if (!stored) return std::unexpected(stored.error());
  auto rec = record(arl ? "ca.arl" : "ca.crl", std::to_string(row.number), actor,
                    "nextUpdate=" + isoTime(row.next_update));
  if (!rec) return std::unexpected(rec.error());
  return row;
}
Result<CaCrlRow> CaService::publish(RevocationList which, const std::string& actor) {
  std::lock_guard lock(which == RevocationList::Arl ? arl_mu_ : crl_mu_);
  return publishLocked(which, actor);
}

Result<CaCrlRow> CaService::current(RevocationList which) {
  const bool arl = which == RevocationList::Arl;
  std::lock_guard lock(arl ? arl_mu_ : crl_mu_);
  auto latest = arl ? store_->latestArl() : store_->latestCrl();
  if (!latest) return std::unexpected(latest.error());
  const std::int64_t t = secs(now());
  const auto& l = *latest;
  if (l && t < l->this_update + (l->next_update - l->this_update) / 2) return *l;
  return publishLocked(which, "system:schedule");
}

Result<CaCrlRow> CaService::publishCrl(const std::string& actor) { return publish(RevocationList::Crl, actor); }
Result<CaCrlRow> CaService::currentCrl() { return current(RevocationList::Crl); }
Result<CaCrlRow> CaService::publishArl(const std::string& actor) { return publish(RevocationList::Arl, actor); }
Result<CaCrlRow> CaService::currentArl() { return current(RevocationList::Arl); }

std::string CaService::answerOcsp(const std::string& request_der) {
  auto lookup = [&](const std::string& serial) {
    SerialStatus s;
    auto row = store_->certificate(serial);
    if (!row || !*row) return s;  // unknown (a store failure is never reported as good)
    if ((*row)->status == "revoked") {
      s.kind = SerialStatus::Kind::Revoked;
      s.revoked_at = fromSecs((*row)->revoked_at);
      auto reason = parseReason((*row)->reason);
      s.reason = reason ? *reason : RevocationReason::Unspecified;
    } else {
      s.kind = SerialStatus::Kind::Good;
    }
    return s;
  };
  return ca_.answerOcsp(request_der, lookup, now());
}

Result<std::vector<CaInventoryRow>> CaService::inventory(std::optional<int> expiring_days) {
  auto rows = store_->certificates();
  if (!rows) return std::unexpected(rows.error());
  const std::int64_t t = secs(now());
  const std::int64_t window = static_cast<std::int64_t>(expiring_days.value_or(30)) * 86400;
  std::vector<CaInventoryRow> out;
  for (auto& r : *rows) {
    CaInventoryRow row;
    row.expired = r.not_after <= t;
    row.days_left = row.expired ? 0 : (r.not_after - t) / 86400;
    row.expiring = r.status == "valid" && !row.expired && r.not_after - t <= window;
    row.cert = std::move(r);
    if (expiring_days && !row.expiring) continue;
    out.push_back(std::move(row));
  }
  return out;
}

Result<void> CaService::setNeeded(const std::string& actor, const std::string& unit, std::int64_t needed) {
  auto id = schemas::OrganId::parse(unit);
  if (!id) return std::unexpected(id.error());
  if (needed < 0 || needed > 1000000) {
    return fail(ErrorCode::InvalidArgument, "needed count " + std::to_string(needed) + " for " + unit +
                                                " must be between 0 and 1000000");
  }
  auto ok = store_->setNeeded(unit, needed, secs(now()));
  if (!ok) return ok;
  return record("ca.needed", unit, actor, "needed=" + std::to_string(needed));
}

Result<int> CaService::importNeeded(const std::string& actor, const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  int lineno = 0;
  std::vector<std::pair<std::string, std::int64_t>> rows;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineno == 1 && line.rfind("unit", 0) == 0)) continue;
    auto comma = line.find(',');
    if (comma == std::string::npos) {
      return fail(ErrorCode::BadCsv, "line " + std::to_string(lineno) + ": expected 'unit,needed'", lineno);
    }
    std::string unit = line.substr(0, comma), count = line.substr(comma + 1);
    auto id = schemas::OrganId::parse(unit);
    if (!id) return fail(ErrorCode::BadCsv, "line " + std::to_string(lineno) + ": " + id.error().message, lineno);
    if (count.empty() || count.size() > 7 || !std::all_of(count.begin(), count.end(), ::isdigit)) {
      return fail(ErrorCode::BadCsv, "line " + std::to_string(lineno) + ": needed '" + count + "' is not a count",
                  lineno);
    }
    rows.emplace_back(unit, std::stoll(count));
  }
  for (const auto& [unit, n] : rows) {
    auto ok = setNeeded(actor, unit, n);
    if (!ok) return std::unexpected(ok.error());
  }
  return static_cast<int>(rows.size());
}

Result<std::vector<CoverageRow>> CaService::coverage(const std::string& unit, int expiring_days) {
  auto needed = store_->needed();
  if (!needed) return std::unexpected(needed.error());
  auto certs = inventory();
  if (!certs) return std::unexpected(certs.error());
  std::map<std::string, CoverageRow> by_unit;
  for (const auto& [u, n] : *needed) by_unit[u].needed = n;
  const std::int64_t t = secs(now());
  for (const auto& c : *certs) {
    if (c.cert.unit.empty()) continue;
    auto& row = by_unit[c.cert.unit];
    if (c.cert.status != "valid" || c.expired) continue;
    if (c.cert.profile == "signer") ++row.signers_valid;
    if (c.cert.profile == "seal") ++row.seals_valid;
    if (c.cert.not_after - t <= static_cast<std::int64_t>(expiring_days) * 86400) ++row.expiring;
  }
  std::vector<CoverageRow> out;
  for (auto& [u, row] : by_unit) {
    if (!unit.empty() && u != unit) continue;
    row.unit = u;
    row.missing = std::max<std::int64_t>(0, row.needed - row.signers_valid);
    out.push_back(row);
  }
  if (!unit.empty() && out.empty()) {
    return fail(ErrorCode::NotFound, "unit " + unit + " has no certificates and no needed count; set one with "
                                                      "'lienthong ca need " + unit + " COUNT'");
  }
  return out;
}

std::string issuedJson(const IssuedCertificate& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("serial", c.serial);
  o->set("profile", std::string(profileName(c.profile)));
  o->set("subject", c.subject);
  o->set("unit", c.organ_id);
  o->set("key", c.key);
  o->set("not_before", isoTime(secs(c.not_before)));
  o->set("not_after", isoTime(secs(c.not_after)));
  o->set("certificate", c.cert_pem);
  return stringify(o);
}

std::string inventoryJson(const std::vector<CaInventoryRow>& rows) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& r : rows) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("serial", r.cert.serial);
    o->set("profile", r.cert.profile);
    o->set("subject", r.cert.subject);
    o->set("unit", r.cert.unit);
    o->set("key", r.cert.key);
    o->set("not_before", isoTime(r.cert.not_before));
    o->set("not_after", isoTime(r.cert.not_after));
    o->set("status", r.expired && r.cert.status == "valid" ? std::string("expired") : r.cert.status);
    o->set("days_left", r.days_left);
    o->set("expiring_soon", r.expiring);
    if (r.cert.status == "revoked") {
      o->set("revoked_at", isoTime(r.cert.revoked_at));
      o->set("reason", r.cert.reason);
    }
    o->set("issued_by", r.cert.issued_by);
    a->add(o);
  }
  return stringify(a);
}

std::string inventoryCsv(const std::vector<CaInventoryRow>& rows) {
  std::string out = "serial,profile,subject,unit,key,not_before,not_after,status,days_left,expiring_soon,"
                    "revoked_at,reason\n";
  for (const auto& r : rows) {
    const std::string status = r.expired && r.cert.status == "valid" ? "expired" : r.cert.status;
    out += r.cert.serial + "," + r.cert.profile + "," + csvField(r.cert.subject) + "," + r.cert.unit + "," +
           r.cert.key + "," + isoTime(r.cert.not_before) + "," + isoTime(r.cert.not_after) + "," + status + "," +
           std::to_string(r.days_left) + "," + (r.expiring ? "yes" : "no") + "," + isoTime(r.cert.revoked_at) +
           "," + r.cert.reason + "\n";
  }
  return out;
}

std::string coverageJson(const std::vector<CoverageRow>& rows) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& r : rows) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("unit", r.unit);
    o->set("needed", r.needed);
    o->set("signers_valid", r.signers_valid);
    o->set("missing", r.missing);
    o->set("seals_valid", r.seals_valid);
    o->set("expiring", r.expiring);
    a->add(o);
  }
  return stringify(a);
}

std::string coverageCsv(const std::vector<CoverageRow>& rows) {
  std::string out = "unit,needed,signers_valid,missing,seals_valid,expiring\n";
  for (const auto& r : rows) {
    out += r.unit + "," + std::to_string(r.needed) + "," + std::to_string(r.signers_valid) + "," +
           std::to_string(r.missing) + "," + std::to_string(r.seals_valid) + "," + std::to_string(r.expiring) +
           "\n";
  }
  return out;
}

}  // namespace lienthong::gateway
