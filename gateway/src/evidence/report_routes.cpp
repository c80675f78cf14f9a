#include "lienthong/gateway/evidence/report_routes.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/http/http_error.h"

namespace lienthong::gateway {

namespace {

namespace fs = std::filesystem;

std::string stringify(const Poco::JSON::Object::Ptr& o) {
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

std::string query(const HttpRequest& r, const std::string& key, std::string fallback = {}) {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

HttpResponse text(int status, std::string content_type, std::string body) {
  HttpResponse out;
  out.status = status;
  out.content_type = std::move(content_type);
  out.body = std::move(body);
  out.headers.emplace_back("Cache-Control", "no-store");
  return out;
}

struct WebFile {
  std::string path;  // relative to the web folder
  std::string content_type;
  std::string bytes;
};

Result<std::string> readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(ErrorCode::Config, "cannot read '" + p.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class EvidenceApi {
 public:
  EvidenceApi(std::shared_ptr<Reporter> reporter, CoverageFn coverage)
      : reporter_(std::move(reporter)), coverage_(std::move(coverage)) {}

  HttpResponse registerList(const HttpRequest& r) {
    const bool office = r.credential.role == Role::Office;
    const std::string unit = query(r, "unit", office ? r.credential.subject : std::string());
    if (unit.empty()) return HttpResponse::error(httpError(ErrorCode::InvalidArgument, "unit=ID is required"));
    const auto directory = reporter_->directory();  // `units` below point into it
    if (office && !directory->find(unit)) {
      return HttpResponse::error(httpError(ErrorCode::UnknownUnit, "unit '" + unit + "' is not in the directory"));
    }
    if (office && !sameUnit(unit, r.credential.subject)) {
      return HttpResponse::error(httpError(ErrorCode::Forbidden, "an office reads its own register only (" +
                                                                     r.credential.subject + ")"));
    }
    Scope scope;
    scope.unit = unit;
    auto units = reporter_->unitsOf(*directory, scope);
    if (!units) return HttpResponse::error(units.error());
    if ((*units)[0]->home_node != reporter_->nodeName()) {
      // Reports count it here from its node's summaries; its register lines stay at home.
      return HttpResponse::error(httpError(
          ErrorCode::InvalidArgument, "the register of " + unit + " is kept at its home node '" +
                                          (*units)[0]->home_node + "', not here ('" + reporter_->nodeName() +
                                          "') / sổ văn bản của đơn vị được lưu tại nút quản lý đơn vị"));
    }
    auto dir = parseDirection(query(r, "direction", "out"));
    if (!dir) return HttpResponse::error(dir.error());
    RegisterQuery q;
    q.direction = *dir;
    q.units = {(*units)[0]->code};
    if (!(*units)[0]->legacy_code.empty()) q.units.push_back((*units)[0]->legacy_code);
    q.from = query(r, "from");
    q.to = query(r, "to");
    if (!q.from.empty()) {
      if (auto ok = checkDate(q.from, "from"); !ok) return HttpResponse::error(ok.error());
    }
    if (!q.to.empty()) {
      if (auto ok = checkDate(q.to, "to"); !ok) return HttpResponse::error(ok.error());
    }
    if (auto idx = reporter_->indexer().run(); !idx) return HttpResponse::error(idx.error());
    auto entries = reporter_->book().entries(q);
    if (!entries) return HttpResponse::error(entries.error());
    const std::string format = query(r, "format", "json");
    if (format == "json") return HttpResponse::json(200, registerJson(*entries));
    if (format == "csv") return text(200, "text/csv; charset=utf-8", registerCsv(*entries));
    if (format == "html") {
      return text(200, "text/html; charset=utf-8",
                  registerHtml(*entries, (*units)[0]->code, (*units)[0]->name, q.from, q.to));
    }
    return HttpResponse::error(httpError(ErrorCode::InvalidArgument,
                                         "format '" + format + "' is not json, csv or html"));
  }

  HttpResponse recordPaper(const HttpRequest& r) {
    auto rec = parsePaperJson(r.body);
    if (!rec) return HttpResponse::error(rec.error());
    if (r.credential.role == Role::Office && !sameUnit(rec->unit, r.credential.subject)) {
      return HttpResponse::error(httpError(ErrorCode::Forbidden, "an office records for its own unit only (" +
                                                                     r.credential.subject + ")"));
    }
    if (auto idx = reporter_->indexer().run(); !idx) return HttpResponse::error(idx.error());
    const std::string actor = std::string(roleName(r.credential.role)) + ":" + r.credential.subject;
    auto e = reporter_->book().recordPaper(*rec, actor);
    if (!e) return HttpResponse::error(e.error());
    std::string json = registerJson({*e});
    return HttpResponse::json(201, json.substr(1, json.size() - 2));  // the one object
  }

  HttpResponse issuance(const HttpRequest& r) {
    auto scope = Scope::parse(query(r, "scope"));
    if (!scope) return HttpResponse::error(scope.error());
    auto tree = Scope::parseTree(query(r, "tree", "as_was"));
    if (!tree) return HttpResponse::error(tree.error());
    scope->tree = *tree;
    auto period = Period::parse(query(r, "period"));
    if (!period) return HttpResponse::error(period.error());
    const std::string format = query(r, "format", "json");
    if (format != "json" && format != "csv" && format != "text") {
      return HttpResponse::error(httpError(ErrorCode::InvalidArgument,
                                           "format '" + format + "' is not json, csv or text"));
    }
    auto rep = reporter_->issuance(*scope, *period);
    if (!rep) return HttpResponse::error(rep.error());
    if (format == "csv") return text(200, "text/csv; charset=utf-8", issuanceCsv(*rep));
    if (format == "text") return text(200, "text/plain; charset=utf-8", issuanceText(*rep));
    return HttpResponse::json(200, issuanceJson(*rep));
  }

  HttpResponse units(const HttpRequest& r) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    std::set<int> levels;
    const auto directory = reporter_->directory();
    // ?period=P: the units that existed in that period (the tree of its time).
    std::optional<Period> period;
    if (r.query.contains("period")) {
      auto p = Period::parse(r.query.at("period"));
      if (!p) return HttpResponse::error(p.error());
      period = *p;
    }
    for (const auto* u : reporter_->coveredUnits(*directory)) {
      if (period && !existedIn(*u, *period)) continue;
      Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
      x->set("unit", u->code);
      x->set("legacy_code", u->legacy_code);
      x->set("name", u->name);
      // In a period: the parent and level of its first day.
      const std::string on = period ? period->from : std::string();
      x->set("level", u->levelOn(on));
      x->set("parent", u->parentOn(on));
      x->set("home_node", u->home_node);
      arr->add(x);
      levels.insert(u->levelOn(on));
    }
    o->set("units", arr);
    Poco::JSON::Array::Ptr lv = new Poco::JSON::Array;
    for (int l : levels) lv->add(l);
    o->set("levels", lv);
    o->set("directory", directory->version());
    o->set("node", reporter_->nodeName());
    return HttpResponse::json(200, stringify(o));
  }

  HttpResponse deliveries(const HttpRequest&) {
    auto h = reporter_->deliveryHealth();
    if (!h) return HttpResponse::error(h.error());
    return HttpResponse::json(200, deliveryHealthJson(*h));
  }

  // This node's CA's coverage, and for the units below it whose node runs a CA of its own,
  // what their summaries said last ("source": "ca" or "summary").
  HttpResponse coverage(const HttpRequest&) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    std::vector<std::pair<UnitCoverage, std::string>> rows;  // (figures, source)
    std::set<std::string> seen;
    const auto directory = reporter_->directory();
    const auto key = [&](const std::string& code) {
      const schemas::Unit* u = directory->find(code);
      return u ? u->code : code;
    };
    if (coverage_) {
      auto own = coverage_();
      if (!own) return HttpResponse::error(own.error());
      for (auto& c : *own) {
        seen.insert(key(c.unit));
        rows.emplace_back(std::move(c), "ca");
      }
    }
    if (const auto& book = reporter_->summaries()) {
      auto remote = book->coverage();
      if (!remote) return HttpResponse::error(remote.error());
      for (const auto& rc : *remote) {
        const schemas::Unit* u = directory->find(rc.figures.unit);
        // Only a unit still homed at the node that sent it, and counted here once.
        if (u == nullptr || u->home_node != rc.node || !reporter_->covers(*directory, *u)) continue;
        if (!seen.insert(u->code).second) continue;
        const auto& f = rc.figures;
        rows.emplace_back(UnitCoverage{f.unit, f.needed, f.signers_valid, f.missing, f.seals_valid, f.expiring},
                          "summary");
      }
    }
    if (rows.empty() && !coverage_) {
      o->set("available", false);
      o->set("reason", "this node runs no certificate authority and no node below it sent coverage");
      return HttpResponse::json(200, stringify(o));
    }
    o->set("available", true);
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    std::int64_t needed = 0, valid = 0;
    for (const auto& [c, source] : rows) {
      Poco::JSON::Object::Ptr x = coverageJson(c);
      const schemas::Unit* u = directory->find(c.unit);
      x->set("source", source);
      x->set("home_node", u ? u->home_node : std::string());
      x->set("coverage_rate", percent2(std::min(c.signers_valid, c.needed), c.needed));
      arr->add(x);
      needed += c.needed;
      valid += std::min(c.signers_valid, c.needed);
    }
    o->set("units", arr);
    o->set("needed", needed);
    o->set("covered", valid);
    o->set("coverage_rate", percent2(valid, needed));
    return HttpResponse::json(200, stringify(o));
  }

 private:
  bool sameUnit(const std::string& a, const std::string& b) const {
    if (a == b) return true;
    const auto directory = reporter_->directory();
    const auto* ua = directory->find(a);
    const auto* ub = directory->find(b);
    return ua != nullptr && ua == ub;
  }

  std::shared_ptr<Reporter> reporter_;
  CoverageFn coverage_;
};

}  // namespace

Poco::JSON::Object::Ptr coverageJson(const UnitCoverage& c) {
  Poco::JSON::Object::Ptr x = new Poco::JSON::Object;
  x->set("unit", c.unit);
  x->set("needed", c.needed);
  x->set("signers_valid", c.signers_valid);
  x->set("missing", c.missing);
  x->set("seals_valid", c.seals_valid);
  x->set("expiring", c.expiring);
  return x;
}

Result<std::vector<HttpRoute>> evidenceRoutes(std::shared_ptr<Reporter> reporter,
                                              const EvidenceOptions& options) {
  auto api = std::make_shared<EvidenceApi>(reporter, options.coverage);
  const std::vector<Role> auditors{Role::Auditor, Role::Admin};
  std::vector<HttpRoute> routes;
  routes.push_back({"GET", "/api/v1/register", false, {Role::Office, Role::Admin, Role::Auditor}, 0,
                    [api](const HttpRequest& r) { return api->registerList(r); }});
  routes.push_back({"POST", "/api/v1/register/paper", false, {Role::Office, Role::Admin}, 64u << 10,
                    [api](const HttpRequest& r) { return api->recordPaper(r); }});
  routes.push_back({"GET", "/api/v1/reports/issuance", false, auditors, 0,
                    [api](const HttpRequest& r) { return api->issuance(r); }});
  routes.push_back({"GET", "/api/v1/reports/units", false, auditors, 0,
                    [api](const HttpRequest& r) { return api->units(r); }});
  routes.push_back({"GET", "/api/v1/reports/deliveries", false, auditors, 0,
                    [api](const HttpRequest& r) { return api->deliveries(r); }});
  routes.push_back({"GET", "/api/v1/reports/coverage", false, auditors, 0,
                    [api](const HttpRequest& r) { return api->coverage(r); }});

  // The page and its two scripts, read once now. A missing file does not stop the node (the
  // register and reports work without the page): the dashboard answers 503 saying what to do.
  auto files = std::make_shared<std::map<std::string, WebFile>>();
  std::string missing_reason;
  if (options.web_dir.empty()) {
    missing_reason = "the dashboard is not configured on this node (set web.dir to the gateway/web "
                     "folder and run scripts/install-web.sh)";
  } else {
    const fs::path dir = options.web_dir;
    const std::vector<WebFile> wanted = {
        {"dashboard.html", "text/html; charset=utf-8", ""},
        {"dashboard.js", "text/javascript; charset=utf-8", ""},
        {"node_modules/chart.js/dist/chart.umd.js", "text/javascript; charset=utf-8", ""}};
    for (auto f : wanted) {
      auto bytes = readAll(dir / f.path);
      if (!bytes) {
        files->clear();
        missing_reason = "dashboard: '" + (dir / f.path).string() +
                         "' is missing; run scripts/install-web.sh (or set web.dir)";
        break;
      }
      f.bytes = std::move(*bytes);
      (*files)[f.path] = std::move(f);
    }
  }
  const auto serve = [files, missing_reason](const std::string& name) {
    return [files, missing_reason, name](const HttpRequest&) {
      auto it = files->find(name);
      if (it == files->end()) {
        return HttpResponse::error(httpError(ErrorCode::Unavailable, missing_reason));
      }
      HttpResponse out = text(200, it->second.content_type, it->second.bytes);
      out.headers.emplace_back("Content-Security-Policy",
                               "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; frame-ancestors 'none'");
      out.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return out;
    };
  };
  routes.push_back({"GET", "/dashboard", false, {}, 0, serve("dashboard.html")});
  routes.push_back({"GET", "/dashboard/", false, {}, 0, serve("dashboard.html")});
  routes.push_back({"GET", "/dashboard/dashboard.js", false, {}, 0, serve("dashboard.js")});
  routes.push_back({"GET", "/dashboard/chart.js", false, {}, 0,
                    serve("node_modules/chart.js/dist/chart.umd.js")});
  return routes;
}

Result<Store*> StoreRelay::target() {
  if (Store* s = store_.load()) return s;
  std::lock_guard lock(mu_);
  if (!own_) {
    auto opened = openSqliteStore(store_file_);
    if (!opened) return std::unexpected(opened.error());
    own_ = std::move(*opened);
  }
  return own_.get();
}

Result<void> StoreRelay::append(const AuditEntry& entry) {
  auto s = target();
  if (!s) return std::unexpected(s.error());
  return (*s)->appendAudit(entry);
}

Result<Accepted> StoreRelay::insertMessage(const NewMessage& message) {
  auto s = target();
  if (!s) return std::unexpected(s.error());
  return (*s)->insertMessage(message);
}

Result<Evidence> openEvidence(const EvidenceOptions& options) {
  if (!options.directory) return fail(ErrorCode::Config, "evidence: no directory given");
  auto directory = options.directory;
  const std::string node = options.node_name;
  auto book = RegisterBook::open(options.store_file, [live = directory, node](const std::string& unit) -> Result<void> {
    const auto directory = live->current();
    const auto* u = directory->find(unit);
    if (!u) {
      return fail(ErrorCode::UnknownUnit, "unit '" + unit + "' is not in the directory (version " +
                                              directory->version() + ")");
    }
    if (u->home_node != node) {
      return fail(ErrorCode::InvalidArgument, "unit " + unit + " is homed at node '" + u->home_node +
                                                  "', not at this node '" + node + "'");
    }
    return {};
  });
  if (!book) return std::unexpected(book.error());
  Evidence ev;
  ev.book = std::shared_ptr<RegisterBook>(std::move(*book));
  ev.audit = std::make_shared<StoreRelay>(options.store_file);
  ev.book->setAuditHook([relay = ev.audit](const std::string& event, const std::string& actor,
                                           const std::string& detail) {
    return relay->append(AuditEntry{event, actor, "", "register", detail});
  });
  ev.indexer = std::make_shared<RegisterIndexer>(ev.book, directory, node, options.pdf_verifier);
  ev.reporter = std::make_shared<Reporter>(ev.book, ev.indexer, directory, node, options.targets);
  auto summaries = SummaryBook::open(options.store_file);
  if (!summaries) return std::unexpected(summaries.error());
  ev.summaries = std::move(*summaries);
  ev.reporter->setSummaries(ev.summaries);
  if (options.summary_signer) {
    Summariser::Options so;
    so.interval_ms = options.summary_interval_ms;
    so.window_days = options.summary_window_days;
    so.coverage = options.coverage;
    ev.summariser = std::make_shared<Summariser>(ev.reporter, std::shared_ptr<SummaryStore>(ev.summaries, &ev.summaries->store()),
                                                 ev.audit, options.summary_signer, so);
  }
  auto routes = evidenceRoutes(ev.reporter, options);
  if (!routes) return std::unexpected(routes.error());
  ev.routes = std::move(*routes);
  for (auto& r : summaryRoutes(ev.summaries, ev.summariser, ev.audit, directory, node, options.seal_check)) {
    ev.routes.push_back(std::move(r));
  }
  return ev;
}

Result<void> Evidence::housekeeping() {
  if (auto stats = indexer->run(); !stats) return std::unexpected(stats.error());
  if (auto in = summaries->ingest(); !in) return std::unexpected(in.error());
  if (summariser) {
    if (auto run = summariser->runIfDue(); !run) return std::unexpected(run.error());
  }
  return {};
}

}  // namespace lienthong::gateway
