// The auditors' dashboard in headless Chromium: a server with the evidence routes over a seeded
// store, the page loaded with an auditor token in the URL fragment, the numbers it shows compared
// with the report API's, and a screenshot written to the build folder (evidence-dashboard.png).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <sstream>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/evidence/summary.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

schemas::Package documentOf(const std::string& from, const std::vector<std::string>& to, int number,
                            const std::string& date) {
  auto p = testPackage(from, to, number, "UBND");
  p.header.promulgation_date = date;
  p.header.document_id = from + "," + date + "," + std::to_string(number) + "/UBND";
  return p;
}

std::int64_t storeDocument(Store& store, const schemas::Package& p, const std::vector<NewDelivery>& d) {
  NewMessage m;
  m.sender = p.header.from.organ_id;
  m.document_id = p.documentId();
  m.dedupe_key = m.document_id;
  m.bytes = p.serialize();
  m.content_hash = std::to_string(std::hash<std::string>{}(m.bytes));
  m.subject = p.header.subject;
  m.deliveries = d;
  auto a = store.insertMessage(m);
  REQUIRE(a);
  return a->id;
}

// The <tr data-unit="CODE" ...>...</tr> of the units table in the dumped DOM.
std::string rowOf(const std::string& dom, const std::string& unit, bool total) {
  const std::string open = "<tr data-unit=\"" + unit + "\"" + (total ? " class=\"total\"" : "");
  const auto at = dom.find(open);
  if (at == std::string::npos) return {};
  return dom.substr(at, dom.find("</tr>", at) - at);
}

std::string cellText(const std::string& row, const std::string& key) {
  const std::string open = "data-k=\"" + key + "\">";
  const auto at = row.find(open);
  if (at == std::string::npos) return "(missing " + key + ")";
  const auto start = at + open.size();
  return row.substr(start, row.find('<', start) - start);
}

int runChromium(const std::string& args, const fs::path& profile, const fs::path& log) {
  const std::string cmd = "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic"
                          " --no-first-run --disable-background-networking --disable-component-update"
                          " --disable-sync --disable-dev-shm-usage --ignore-certificate-errors"
                          " --hide-scrollbars --user-data-dir=" + profile.string() + " " + args +
                          " 2> " + log.string();
  const int rc = std::system(cmd.c_str());
  return WEXITSTATUS(rc);
}

}  // namespace

TEST_CASE("evidence dashboard: headless Chromium shows the API's rates, below-target units, coverage and delivery health") {
  TempDir tmp;
  const std::string store_file = (tmp.path() / "store.sqlite").string();
  auto opened = openSqliteStore(store_file);
  REQUIRE(opened);
  auto store = std::move(*opened);
  auto directory = threeNodeDirectory({});

  // District: 9 electronic (one also on paper), 1 paper only; commune: 2 electronic, 3 paper only.
  for (int i = 1; i <= 9; ++i) {
    storeDocument(*store, documentOf(kDistrictA, {kCommuneA1, kProvince}, i, "2022/08/0" + std::to_string(i)),
                  {{kCommuneA1, RouteKind::Local, "", ""}, {kProvince, RouteKind::Peer, "province", ""}});
  }
  for (int i = 1; i <= 2; ++i) {
    storeDocument(*store, documentOf(kCommuneA1, {kDistrictA}, i, "2022/07/1" + std::to_string(i)),
                  {{kDistrictA, RouteKind::Local, "", ""}});
  }
  auto failed = store->deliveriesOf(1);
  REQUIRE(failed);
  REQUIRE(store->finishDelivery((*failed)[1].id, DeliveryState::Failed, nowMs(), "peer unreachable"));

  EvidenceOptions options;
  options.store_file = store_file;
  options.directory = schemas::LiveDirectory::make(directory);
  options.node_name = "district-a";
  options.web_dir = std::string(LIENTHONG_SOURCE_DIR) + "/gateway/web";
  auto ca_store = CaStore::open((tmp.path() / "ca.sqlite").string());
  REQUIRE(ca_store);
  signing::CaSettings settings;
  settings.province_name = "UBND tinh Nghe An";
  settings.organ_id = kProvince;
  settings.crl_url = "http://127.0.0.1:1/crl";
  settings.ocsp_url = "http://127.0.0.1:1/ocsp";
  settings.ca_key_type = signing::KeyType::P256;
  auto ca = CaService::init(std::shared_ptr<CaStore>(std::move(*ca_store)), settings, "a long ca passphrase", "test", {});
  if (!ca) FAIL(ca.error().describe());
  std::shared_ptr<CaService> service = std::move(*ca);
  REQUIRE(service->setNeeded("test", kDistrictA, 47));
  REQUIRE(service->setNeeded("test", kCommuneA1, 12));
  options.coverage = coverageOf(service);
  auto evidence = openEvidence(options);
  if (!evidence) FAIL(evidence.error().describe());
  PaperRecord paper;
  paper.unit = kDistrictA;
  paper.number = "3";
  paper.notation = "UBND";
  paper.date = "2022-08-03";
  paper.recipients = {kProvince};
  paper.dispatch_date = "2022-08-04";
  REQUIRE(evidence->indexer->run());
  REQUIRE(evidence->book->recordPaper(paper, "test"));  // document 3 goes both ways
  paper.number = "50";
  REQUIRE(evidence->book->recordPaper(paper, "test"));  // paper only
  for (int i = 0; i < 3; ++i) {
    paper.unit = kCommuneA1;
    paper.number = std::to_string(60 + i);
    paper.date = "2022-09-0" + std::to_string(i + 1);
    paper.dispatch_date = paper.date;
    REQUIRE(evidence->book->recordPaper(paper, "test"));
  }

  auto pki = DevPki::open((tmp.path() / "pki").string());
  REQUIRE(pki);
  auto tls = pki->issue("district-a", Role::Node, "node-district-a");
  REQUIRE(tls);
  HttpServerConfig http;
  http.cert_file = tls->cert;
  http.key_file = tls->key;
  http.ca_file = tls->ca;
  http.token_clients = {TokenClient{"kiem-tra-1", Role::Auditor, "kiem-tra-1", "dashboard-test-secret-0123456789"}};
  auto routes = std::make_shared<HttpRoutes>();
  for (auto& r : evidence->routes) routes->add(r);
  auto server = HttpServer::start(http, routes);
  if (!server) FAIL(server.error().describe());
  const std::string token = makeJwt(http.token_clients.front(), 600);
  const std::string url = "https://127.0.0.1:" + std::to_string((*server)->port()) +
                          "/dashboard#period=2022-Q3&token=" + token;

  auto period = Period::parse("2022-Q3");
  auto level2 = evidence->reporter->issuance(*Scope::parse("level:2"), *period);
  auto level3 = evidence->reporter->issuance(*Scope::parse("level:3"), *period);
  REQUIRE(level2);
  REQUIRE(level3);
  const auto& district = level2->units.at(0);
  CHECK(district.outgoing.total == 10);
  CHECK(district.outgoing.both == 1);
  CHECK(district.outgoing.paper_only == 1);
  CHECK(level3->below_target == std::vector<std::string>{"H41.31.01"});

  const fs::path dom_file = tmp.path() / "dom.html";
  const int rc = runChromium("--virtual-time-budget=20000 --dump-dom '" + url + "' > " + dom_file.string(),
                             tmp.path() / "profile1", tmp.path() / "chromium1.log");
  REQUIRE(rc == 0);
  std::ifstream in(dom_file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string dom = ss.str();
  INFO(dom.substr(0, 4000));
  REQUIRE(dom.find("data-ready=\"1\"") != std::string::npos);

  for (const auto* rep : {&*level2, &*level3}) {
    for (const auto& u : rep->units) {
      const std::string row = rowOf(dom, u.unit, false);
      REQUIRE_FALSE(row.empty());
      const auto& c = u.outgoing;
      CHECK(cellText(row, "outgoing") == std::to_string(c.total));
      CHECK(cellText(row, "electronic_only") == std::to_string(c.electronic_only));
      CHECK(cellText(row, "paper_only") == std::to_string(c.paper_only));
      CHECK(cellText(row, "both") == std::to_string(c.both));
      CHECK(cellText(row, "not_issued") == std::to_string(c.not_issued));
      CHECK(cellText(row, "electronic_rate") == percent2(c.electronic(), c.total));
      CHECK(cellText(row, "paper_rate") == percent2(c.paper(), c.total));
      CHECK(cellText(row, "received") == std::to_string(u.received));
    }
  }
  CHECK(cellText(rowOf(dom, "H41.31", false), "electronic_rate") == "90.00");
  CHECK(cellText(rowOf(dom, "H41.31.01", false), "electronic_rate") == "40.00");
  CHECK(rowOf(dom, "H41.31.01", false).find("class=\"below\"") != std::string::npos);
  CHECK(dom.find("<li data-unit=\"H41.31.01\">H41.31.01 ") != std::string::npos);
  CHECK(cellText(rowOf(dom, "level:3", true), "paper_rate") == "60.00");
  CHECK(dom.find("<b data-k=\"pending\">" + std::to_string(evidence->reporter->deliveryHealth()->pending) + "</b>") !=
        std::string::npos);
  CHECK(dom.find("<b data-k=\"failed\">1</b>") != std::string::npos);
  // The backlog per next hop: the peer province (8 pending, one failed) and the local units.
  const auto health = evidence->reporter->deliveryHealth();
  REQUIRE(health);
  REQUIRE(health->backlog.size() == 3);
  for (const auto& b : health->backlog) {
    const auto at = dom.find("<tr data-hop=\"" + b.hop + "\">");
    REQUIRE(at != std::string::npos);
    const std::string row = dom.substr(at, dom.find("</tr>", at) - at);
    CHECK(cellText(row, "backlog_pending") == std::to_string(b.pending));
  }
  CHECK(cellText(dom.substr(dom.find("<tr data-hop=\"province\">")), "backlog_pending") == "8");
  CHECK(dom.find("data-rate=\"0.00\">Tổng: 0/59 (0.00%)") != std::string::npos);
  CHECK(dom.find("chưa đo (not measured)") != std::string::npos);
  // Five charts drawn by Chart.js (it marks each canvas it owns).
  std::size_t charts = 0;
  for (auto at = dom.find("<canvas"); at != std::string::npos; at = dom.find("<canvas", at + 1)) {
    if (dom.substr(at, dom.find('>', at) - at).find("style=\"display: block;") != std::string::npos) ++charts;
  }
  CHECK(charts == 5);

  const fs::path shot = fs::path(LIENTHONG_BINARY).parent_path().parent_path() / "evidence-dashboard.png";
  fs::remove(shot);
  REQUIRE(runChromium("--virtual-time-budget=20000 --window-size=1400,2300 --screenshot=" + shot.string() +
                          " '" + url + "'",
                      tmp.path() / "profile2", tmp.path() / "chromium2.log") == 0);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 50000);
  (*server)->stop();
}

TEST_CASE("evidence dashboard: the province's page lists the units of every node below it from their summaries") {
  TempDir tmp;
  const std::string store_file = (tmp.path() / "store.sqlite").string();
  auto opened = openSqliteStore(store_file);
  REQUIRE(opened);
  auto store = std::move(*opened);
  for (int i = 1; i <= 4; ++i) {
    storeDocument(*store, documentOf(kProvince, {kDistrictA, kDistrictB}, i, "2022/08/1" + std::to_string(i)),
                  {{kDistrictA, RouteKind::Peer, "district-a", ""}, {kDistrictB, RouteKind::Peer, "district-b", ""}});
  }
  // What the districts sent up: their units' days (checked at intake, summaries_test.cpp).
  const auto summaryFrom = [&](const std::string& node, const std::vector<std::tuple<std::string, std::string, int, int>>& rows) {
    SummaryBatch batch;
    batch.node = node;
    batch.made_ms = nowMs();
    for (const auto& [unit, day, electronic, paper] : rows) {
      SummaryRow row;
      row.figures.unit = unit;
      row.figures.day = day;
      row.figures.outgoing.electronic_only = electronic;
      row.figures.outgoing.paper_only = paper;
      row.figures.received = 2;
      row.version = 1;
      batch.rows.push_back(row);
    }
    NewMessage m;
    m.kind = MessageKind::Summary;
    m.sender = "node:" + node;
    m.bytes = summaryEnvelopeJson(summaryBodyJson(batch), "not checked here");
    m.content_hash = sha256Hex(m.bytes);
    m.dedupe_key = m.content_hash;
    m.document_id = "summary:" + node;
    REQUIRE(store->insertMessage(m));
  };
  summaryFrom("district-a", {{kDistrictA, "2022-07-04", 19, 1}, {kDistrictA, "2022-08-01", 10, 0}, {kCommuneA1, "2022-07-05", 3, 7}});
  summaryFrom("district-b", {{kDistrictB, "2022-09-01", 8, 0}, {kCommuneB1, "2022-09-02", 9, 1}, {kCommuneB2Paper, "2022-09-03", 0, 5}});

  EvidenceOptions options;
  options.store_file = store_file;
  options.directory = schemas::LiveDirectory::make(threeNodeDirectory({}));
  options.node_name = "province";
  options.web_dir = std::string(LIENTHONG_SOURCE_DIR) + "/gateway/web";
  auto evidence = openEvidence(options);
  if (!evidence) FAIL(evidence.error().describe());

  auto pki = DevPki::open((tmp.path() / "pki").string());
  REQUIRE(pki);
  auto tls = pki->issue("province", Role::Node, "node-province");
  REQUIRE(tls);
  HttpServerConfig http;
  http.cert_file = tls->cert;
  http.key_file = tls->key;
  http.ca_file = tls->ca;
  http.token_clients = {TokenClient{"kiem-tra-1", Role::Auditor, "kiem-tra-1", "dashboard-test-secret-0123456789"}};
  auto routes = std::make_shared<HttpRoutes>();
  for (auto& r : evidence->routes) routes->add(r);
  auto server = HttpServer::start(http, routes);
  if (!server) FAIL(server.error().describe());
  const std::string url = "https://127.0.0.1:" + std::to_string((*server)->port()) +
                          "/dashboard#period=2022-Q3&token=" + makeJwt(http.token_clients.front(), 600);

  const fs::path dom_file = tmp.path() / "dom.html";
  REQUIRE(runChromium("--virtual-time-budget=20000 --dump-dom '" + url + "' > " + dom_file.string(),
                      tmp.path() / "profile", tmp.path() / "chromium.log") == 0);
  std::ifstream in(dom_file);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string dom = ss.str();
  INFO(dom.substr(0, 4000));
  REQUIRE(dom.find("data-ready=\"1\"") != std::string::npos);

  const auto period = *Period::parse("2022-Q3");
  std::set<std::string> nodes_seen;
  for (int level : {1, 2, 3}) {
    auto rep = evidence->reporter->issuance(*Scope::parse("level:" + std::to_string(level)), period);
    REQUIRE(rep);
    for (const auto& u : rep->units) {
      const std::string row = rowOf(dom, u.unit, false);
      INFO(u.unit);
      REQUIRE_FALSE(row.empty());
      CHECK(cellText(row, "outgoing") == std::to_string(u.outgoing.total));
      CHECK(cellText(row, "paper_only") == std::to_string(u.outgoing.paper_only));
      CHECK(cellText(row, "electronic_rate") == percent2(u.outgoing.electronic(), u.outgoing.total));
      CHECK(cellText(row, "received") == std::to_string(u.received));
      CHECK(cellText(row, "home_node") == u.home_node + (u.from_summary ? " (tổng hợp)" : ""));
      nodes_seen.insert(u.home_node);
    }
  }
  CHECK(nodes_seen == std::set<std::string>{"province", "district-a", "district-b"});
  CHECK(cellText(rowOf(dom, "H41.31", false), "outgoing") == "30");
  CHECK(cellText(rowOf(dom, "H41.31.01", false), "electronic_rate") == "30.00");
  CHECK(rowOf(dom, "H41.31.01", false).find("class=\"below\"") != std::string::npos);
  CHECK(cellText(rowOf(dom, "level:3", true), "outgoing") == "25");
  CHECK(dom.find("<li data-unit=\"H41.32.02\">") != std::string::npos);  // paper only: below target
  CHECK(dom.find("<span data-node=\"district-a\">Nút district-a: tổng hợp nhận lúc ") != std::string::npos);
  CHECK(dom.find("6 đơn vị (5 tại các nút cấp dưới") != std::string::npos);
  (*server)->stop();
}
