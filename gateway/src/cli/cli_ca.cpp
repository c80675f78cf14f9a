// lienthong ca ...: the certificate authority on a local data folder (the node's store file).
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "cli_support.h"
#include <csignal>

#include "lienthong/gateway/ca/ca_publish.h"
#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway::cli {

namespace fs = std::filesystem;
using namespace lienthong::signing;

namespace {

constexpr const char* kUsage =
    "usage: lienthong ca SUBCOMMAND [OPTIONS]   (all take --data DIR, default lienthong-data)\n"
    "\n"
    "  init --province NAME --organ ORGANID --url http://HOST:PORT\n"
    "       [--crl-url URL] [--arl-url URL] [--ocsp-url URL]\n"
    "       [--key-type p384|p256|rsa3072|rsa4096] [--policy-arc OID]\n"
    "      creates the root CA, the issuing CA and the OCSP responder; keys are encrypted\n"
    "      with the CA passphrase; public certificates are written to DIR/ca/.\n"
    "      Certificates name URL/crl (the CRL) and URL/ocsp; the issuing CA certificate names\n"
    "      URL/crl/root (the ARL: the root's CRL, covering the issuing CA). --crl-url moves the\n"
    "      CRL (the ARL then defaults to CRL-URL/root), --arl-url the ARL.\n"
    "  issue --profile seal|signer|tls|ocsp|tsa --csr FILE [--out CERT.pem]\n"
    "  issue --profile PROFILE --generate --p12 OUT.p12 --p12-passphrase-file FILE\n"
    "        [--cn NAME] [--org NAME] [--unit ORGANID] [--title TITLE] [--personal-id ID]\n"
    "        [--key-type p256|p384|rsa2048|rsa3072]\n"
    "      signer: --personal-id is written as UID with its prefix, as real CAs do\n"
    "      (CCCD:001099000123, CMND:, HC:, PID:, PPID:, BHXH:); seal: UID MST:/MNS: optional\n"
    "      tls only: [--dns NAME,NAME] [--ip ADDR,ADDR]\n"
    "  revoke SERIAL --reason keyCompromise|affiliationChanged|superseded|cessationOfOperation|...\n"
    "  crl [--out FILE.crl]           publishes a new CRL of the issuing CA (DER);\n"
    "      default file DIR/ca/current.crl\n"
    "  crl --root [--out FILE.crl]    publishes a new ARL, the root's CRL (DER), signed with\n"
    "      the root key; default file DIR/ca/root.crl. An ARL is valid 30 days; /crl/root\n"
    "      publishes a new one by itself once the latest is past half of that\n"
    "  list [--expiring 30d] [--format text|json|csv]\n"
    "  coverage [--unit ORGANID] [--format text|json|csv] [--expiring 30d]\n"
    "  need ORGANID COUNT | need --import FILE.csv   officials needing a certificate\n"
    "  serve [--listen 127.0.0.1:8081]   serves GET /crl, GET /crl/root and POST /ocsp over\n"
    "      HTTP until interrupted (Ctrl-C); certificates point at the --url given to init\n"
    "\n"
    "The CA passphrase comes from --passphrase-file FILE or the LIENTHONG_CA_PASSPHRASE\n"
    "environment variable (at least 12 characters). --actor NAME names who acts in the audit\n"
    "trail (default cli:$USER).\n";

std::string actorOf(const Args& a) {
  if (a.has("actor")) return a.get("actor");
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "unknown");
}

Result<std::string> passphrase(const Args& a) {
  if (a.has("passphrase-file")) {
    auto p = readFile(a.get("passphrase-file"));
    if (!p) return p;
    while (!p->empty() && (p->back() == '\n' || p->back() == '\r')) p->pop_back();
    return p;
  }
  if (const char* env = std::getenv("LIENTHONG_CA_PASSPHRASE"); env && *env) return std::string(env);
  return fail(ErrorCode::KeyUnavailable,
              "the CA passphrase is needed: give --passphrase-file FILE or set LIENTHONG_CA_PASSPHRASE");
}

Result<std::shared_ptr<CaStore>> openStore(const Args& a) {
  const fs::path dir = a.get("data", "lienthong-data");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(ErrorCode::Io, "cannot create the data folder '" + dir.string() + "': " + ec.message());
  auto store = CaStore::open((dir / "store.sqlite").string());
  if (!store) return std::unexpected(store.error());
  return std::shared_ptr<CaStore>(std::move(*store));
}

// CA commands are administrative acts: they go to the node's hash-chained audit log, kept in the
// same store.sqlite (a running node reads the chain's head from the file before each write, so
// both can append).
CaAuditFn auditTo(std::shared_ptr<CaStore> store, const Args& a) {
  const std::string file = (fs::path(a.get("data", "lienthong-data")) / "store.sqlite").string();
  auto bridge = std::make_shared<CaAuditBridge>(store);
  auto node_store = std::make_shared<std::unique_ptr<Store>>();
  return [bridge, node_store, file](const std::string& event, const std::string& object,
                                    const std::string& detail) -> Result<void> {
    if (!*node_store) {
      auto opened = openSqliteStore(file);
      if (!opened) {
        return fail(opened.error().code, "the audit log in '" + file + "' cannot record this CA act: " +
                                             opened.error().message);
      }
      *node_store = std::move(*opened);
      bridge->attach(node_store->get());
    }
    return bridge->fn()(event, object, detail);
  };
}

Result<std::unique_ptr<CaService>> openService(const Args& a, std::shared_ptr<CaStore> store) {
  auto pass = passphrase(a);
  if (!pass) return std::unexpected(pass.error());
  return CaService::open(store, *pass, auditTo(store, a));
}

// "30d", "30" -> 30; InvalidArgument otherwise.
Result<int> parseDays(const std::string& text) {
  std::string t = text;
  if (!t.empty() && (t.back() == 'd' || t.back() == 'D')) t.pop_back();
  if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) {
    return fail(ErrorCode::InvalidArgument, "'" + text + "' is not a number of days (like 30d)");
  }
  return std::stoi(t);
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

int report(std::ostream& err, const Error& e) {
  err << "lienthong ca: " << e.describe() << "\n";
  return 1;
}

std::string day(std::int64_t secs) {
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

int runInit(const Args& a, std::ostream& out, std::ostream& err) {
  CaSettings s;
  s.province_name = a.get("province");
  s.organ_id = a.get("organ");
  const std::string base = a.get("url");
  s.crl_url = a.get("crl-url", base.empty() ? "" : base + "/crl");
  s.arl_url = a.get("arl-url");  // empty: CRL URL + "/root"
  s.ocsp_url = a.get("ocsp-url", base.empty() ? "" : base + "/ocsp");
  if (a.has("policy-arc")) s.policy_arc = a.get("policy-arc");
  if (s.province_name.empty() || s.organ_id.empty() || s.crl_url.empty()) {
    err << "lienthong ca init: --province, --organ and --url (or --crl-url and --ocsp-url) are needed\n";
    return 2;
  }
  if (a.has("key-type")) {
    auto kt = parseKeyType(a.get("key-type"));
    if (!kt) return report(err, kt.error());
    s.ca_key_type = *kt;
  }
  auto pass = passphrase(a);
  if (!pass) return report(err, pass.error());
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto existing = (*store)->keys();
  if (!existing) return report(err, existing.error());
  if (!existing->empty()) {
    return report(err, Error{ErrorCode::Conflict, "a CA already exists in this store; it is never replaced", 0, {}});
  }
  out << "creating the root CA, the issuing CA (" << keyTypeName(s.ca_key_type)
      << ") and the OCSP responder for " << s.province_name << "...\n";
  auto service = CaService::init(*store, s, *pass, actorOf(a), auditTo(*store, a));
  if (!service) return report(err, service.error());
  const fs::path dir = fs::path(a.get("data", "lienthong-data")) / "ca";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const auto& ca = (*service)->authority();
  for (auto [name, pem] : {std::pair{"root.pem", ca.rootCertPem()}, std::pair{"issuing.pem", ca.issuingCertPem()},
                           std::pair{"ocsp.pem", ca.responderCertPem()}, std::pair{"chain.pem", ca.chainPem()}}) {
    if (auto w = writeFileAtomic(dir / name, pem); !w) return report(err, w.error());
  }
  out << "CA ready; keys encrypted in " << (fs::path(a.get("data", "lienthong-data")) / "store.sqlite").string()
      << "\n  certificates: " << (dir / "root.pem").string() << ", " << (dir / "issuing.pem").string() << ", "
      << (dir / "chain.pem").string() << "\n  CRL: " << s.crl_url
      << "\n  ARL (root CRL): " << arlUrl(s) << "\n  OCSP: " << s.ocsp_url << "\n";
  return 0;
}

int runIssue(const Args& a, std::ostream& out, std::ostream& err) {
  if (!a.has("profile")) {
    err << "lienthong ca issue: --profile is needed (seal, signer, tls, ocsp, tsa)\n";
    return 2;
  }
  auto profile = parseProfile(a.get("profile"));
  if (!profile) return report(err, profile.error());
  if (a.has("csr") == a.has("generate")) {
    err << "lienthong ca issue: give exactly one of --csr FILE or --generate\n";
    return 2;
  }
  IssueOptions options;
  options.dns_names = splitList(a.get("dns"));
  options.ip_addresses = splitList(a.get("ip"));
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  IssuedCertificate issued;
  if (a.has("csr")) {
    auto csr = readFile(a.get("csr"));
    if (!csr) return report(err, csr.error());
    auto r = (*service)->issue(actorOf(a), *profile, *csr, options);
    if (!r) return report(err, r.error());
    issued = std::move(*r);
  } else {
    if (!a.has("p12") || !a.has("p12-passphrase-file")) {
      err << "lienthong ca issue --generate: --p12 OUT.p12 and --p12-passphrase-file FILE are needed\n";
      return 2;
    }
    auto p12pass = readFile(a.get("p12-passphrase-file"));
    if (!p12pass) return report(err, p12pass.error());
    while (!p12pass->empty() && (p12pass->back() == '\n' || p12pass->back() == '\r')) p12pass->pop_back();
    SubjectFields subject;
    subject.common_name = a.get("cn");
    subject.organization = a.get("org");
    subject.organ_id = a.get("unit");
    subject.title = a.get("title");
    subject.personal_id = a.get("personal-id");
    auto kt = parseKeyType(a.get("key-type", "p256"));
    if (!kt) return report(err, kt.error());
    auto r = (*service)->generate(actorOf(a), *profile, subject, *kt, *p12pass, options);
    if (!r) return report(err, r.error());
    if (auto w = writeFileAtomic(a.get("p12"), r->pkcs12); !w) return report(err, w.error());
    out << "key and certificate written to " << a.get("p12") << " (PKCS#12)\n";
    issued = std::move(r->certificate);
  }
  out << "issued " << issued.serial << " (" << profileName(issued.profile) << ") to " << issued.subject
      << "\n  valid " << day(issued.not_before.time_since_epoch().count()) << " to "
      << day(issued.not_after.time_since_epoch().count()) << ", key " << issued.key << "\n";
  if (a.has("out")) {
    if (auto w = writeFileAtomic(a.get("out"), issued.cert_pem); !w) return report(err, w.error());
    out << "certificate written to " << a.get("out") << "\n";
  } else if (a.has("csr")) {
    out << issued.cert_pem;
  }
  return 0;
}

int runRevoke(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2 || !a.has("reason")) {
    err << "lienthong ca revoke: usage: lienthong ca revoke SERIAL --reason keyCompromise\n";
    return 2;
  }
  auto reason = parseReason(a.get("reason"));
  if (!reason) return report(err, reason.error());
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  auto row = (*service)->revoke(actorOf(a), a.positional[1], *reason);
  if (!row) return report(err, row.error());
  auto crl = (*store)->latestCrl();
  out << "revoked " << row->serial << " (" << row->subject << "), reason " << row->reason << "\n";
  if (crl && *crl) out << "published CRL number " << (*crl)->number << "\n";
  return 0;
}

int runArl(const Args& a, CaService& service, std::ostream& out, std::ostream& err) {
  auto arl = service.publishArl(actorOf(a));
  if (!arl) return report(err, arl.error());
  const fs::path path = a.has("out") ? fs::path(a.get("out"))
                                     : fs::path(a.get("data", "lienthong-data")) / "ca" / "root.crl";
  std::error_code ec;
  fs::create_directories(path.parent_path().empty() ? fs::path(".") : path.parent_path(), ec);
  if (auto w = writeFileAtomic(path, arl->der); !w) return report(err, w.error());
  const std::string cdp = service.authority().issuingCrlDistributionPoint();
  out << "published ARL (root CRL) number " << arl->number << ", next update "
      << day(arl->next_update) << "\n  written to " << path.string() << "\n";
  if (cdp.empty()) {
    out << "  note: this CA's issuing CA certificate names no CRL distribution point (it was made\n"
           "  before ARLs); relying parties find this ARL only when given it\n";
  } else {
    out << "  the issuing CA certificate points relying parties at " << cdp << "\n";
  }
  return 0;
}

int runCrl(const Args& a, std::ostream& out, std::ostream& err) {
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  if (a.has("root")) return runArl(a, **service, out, err);
  auto crl = (*service)->publishCrl(actorOf(a));
  if (!crl) return report(err, crl.error());
  const std::string path = a.get("out", (fs::path(a.get("data", "lienthong-data")) / "ca" / "current.crl").string());
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path().empty() ? fs::path(".") : fs::path(path).parent_path(), ec);
  if (auto w = writeFileAtomic(path, crl->der); !w) return report(err, w.error());
  auto revoked = (*store)->revoked();
  out << "published CRL number " << crl->number << " with " << (revoked ? revoked->size() : 0)
      << " revoked certificates, next update " << day(crl->next_update) << "\n  written to " << path << "\n";
  return 0;
}

int runList(const Args& a, std::ostream& out, std::ostream& err) {
  std::optional<int> expiring;
  if (a.has("expiring")) {
    auto d = parseDays(a.get("expiring"));
    if (!d) return report(err, d.error());
    expiring = *d;
  }
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  auto rows = (*service)->inventory(expiring);
  if (!rows) return report(err, rows.error());
  const std::string format = a.get("format", "text");
  if (format == "json") {
    out << inventoryJson(*rows) << "\n";
  } else if (format == "csv") {
    out << inventoryCsv(*rows);
  } else {
    for (const auto& r : *rows) {
      std::string status = r.expired && r.cert.status == "valid" ? "expired" : r.cert.status;
      out << r.cert.serial << "  " << std::left << std::setw(7) << r.cert.profile << std::setw(8) << status
          << day(r.cert.not_after) << "  " << r.cert.unit << "  " << r.cert.subject
          << (r.expiring ? "  [expires in " + std::to_string(r.days_left) + " days]" : "") << "\n";
    }
    out << rows->size() << " certificate(s)" << (expiring ? " expiring within " + std::to_string(*expiring) + " days" : "")
        << "\n";
  }
  return 0;
}

int runCoverage(const Args& a, std::ostream& out, std::ostream& err) {
  int window = 30;
  if (a.has("expiring")) {
    auto d = parseDays(a.get("expiring"));
    if (!d) return report(err, d.error());
    window = *d;
  }
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  auto rows = (*service)->coverage(a.get("unit"), window);
  if (!rows) return report(err, rows.error());
  const std::string format = a.get("format", "text");
  if (format == "json") {
    out << coverageJson(*rows) << "\n";
  } else if (format == "csv") {
    out << coverageCsv(*rows);
  } else {
    for (const auto& r : *rows) {
      out << r.unit << ": " << r.signers_valid << " of " << r.needed << " officials have a valid certificate";
      if (r.missing > 0) out << " (" << r.missing << " missing)";
      out << "; seal certificates: " << r.seals_valid;
      if (r.expiring > 0) out << "; " << r.expiring << " expiring within " << window << " days";
      out << "\n";
    }
  }
  return 0;
}

int runNeed(const Args& a, std::ostream& out, std::ostream& err) {
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  if (a.has("import")) {
    auto csv = readFile(a.get("import"));
    if (!csv) return report(err, csv.error());
    auto n = (*service)->importNeeded(actorOf(a), *csv);
    if (!n) return report(err, n.error());
    out << "imported needed counts for " << *n << " unit(s)\n";
    return 0;
  }
  if (a.positional.size() != 3) {
    err << "lienthong ca need: usage: lienthong ca need ORGANID COUNT | lienthong ca need --import FILE.csv\n";
    return 2;
  }
  const std::string& count = a.positional[2];
  if (count.empty() || count.size() > 7 || count.find_first_not_of("0123456789") != std::string::npos) {
    err << "lienthong ca need: COUNT '" << count << "' is not a number\n";
    return 2;
  }
  auto ok = (*service)->setNeeded(actorOf(a), a.positional[1], std::stoll(count));
  if (!ok) return report(err, ok.error());
  out << a.positional[1] << " needs " << count << " personal certificate(s)\n";
  return 0;
}

int runServe(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string listen = a.get("listen", "127.0.0.1:8081");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
      colon + 1 == listen.size() || listen.size() - colon > 6) {
    err << "lienthong ca serve: --listen '" << listen << "' is not HOST:PORT\n";
    return 2;
  }
  auto store = openStore(a);
  if (!store) return report(err, store.error());
  auto service = openService(a, *store);
  if (!service) return report(err, service.error());
  // Block the signals before threads start so that only sigwait below receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto server = CaPublishServer::start(std::shared_ptr<CaService>(std::move(*service)), listen.substr(0, colon),
                                       std::stoi(listen.substr(colon + 1)));
  if (!server) return report(err, server.error());
  out << "serving http://" << listen.substr(0, colon) << ":" << (*server)->port()
      << "/crl, /crl/root and /ocsp; Ctrl-C stops"
      << std::endl;
  int sig = 0;
  sigwait(&set, &sig);
  (*server)->stop();
  out << "stopped\n";
  return 0;
}

int runCa(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& sub = a.positional[0];
  if (sub == "init") return runInit(a, out, err);
  if (sub == "issue") return runIssue(a, out, err);
  if (sub == "revoke") return runRevoke(a, out, err);
  if (sub == "crl") return runCrl(a, out, err);
  if (sub == "list") return runList(a, out, err);
  if (sub == "coverage") return runCoverage(a, out, err);
  if (sub == "need") return runNeed(a, out, err);
  if (sub == "serve") return runServe(a, out, err);
  err << "lienthong ca: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace

std::vector<Command> caCommands() {
  return {Command{"ca", "certificate authority: init, issue, revoke, crl, list, coverage, need, serve", kUsage,
                  {"generate", "root"}, runCa}};
}

}  // namespace lienthong::gateway::cli
