// Evidence up the tree (issue 17): three real nodes on loopback with mutual TLS, each assembled
// as `lienthong serve` assembles it; the districts send their signed register summaries to the
// province by the ordinary store-and-forward path, and the province's reports cover every unit
// of every node. Also: a summary that comes twice, late, from a restarted node, from the wrong
// node or under the wrong seal.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/app/retire.h"
#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/evidence/summary.h"
#include "lienthong/gateway/node/signature.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

struct EvidenceCluster {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()},
                                   {"district-b", freePort()}};
  std::shared_ptr<const schemas::Directory> directory = threeNodeDirectory(ports);
  std::map<std::string, Evidence> ev;
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::map<std::string, CoverageFn> coverage;  // a node that runs a CA of its own
  int number = 100;

  EvidenceCluster() {
    for (const auto& [name, port] : ports) start(name);
  }
  ~EvidenceCluster() {
    for (auto& [name, n] : nodes) stop(name, false);
  }
  NodeConfig config(const std::string& name) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, name, ports.at(name));
    c.summary_seconds = 0;  // the tests say when
    c.dispatch.max_attempts = 0;
    c.web_dir = (tmp.path() / "no-web").string();
    return c;
  }
  void start(const std::string& name) {
    NodeConfig c = config(name);
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(directory);
    ServeExtras extras;
    if (coverage.contains(name)) extras.coverage = coverage.at(name);
    auto e = prepareEvidence(c, o, extras);
    if (!e) FAIL(e.error().describe());
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    e->audit->attach(&(*n)->store());
    ev[name] = std::move(*e);
    nodes[name] = std::move(*n);
  }
  void stop(const std::string& name, bool erase = true) {
    if (!nodes[name]) return;
    ev[name].audit->attach(nullptr);
    nodes[name]->stop();
    if (erase) {
      nodes.erase(name);
      ev.erase(name);
    }
  }
  std::string url(const std::string& name) { return "https://127.0.0.1:" + std::to_string(ports.at(name)); }

  // A document of `from` (homed at `home`) dated `date` (yyyy/MM/dd) to `to`.
  void send(const std::string& from, const std::string& home, std::vector<std::string> to, const std::string& date) {
    auto p = testPackage(from, std::move(to), ++number, "UBND");
    p.header.promulgation_date = date;
    p.header.document_id = from + "," + date + "," + std::to_string(number) + "/UBND";
    auto c = officeClient(pki, from, url(home));
    auto r = c->request("POST", "/api/v1/documents", signers.sign(from, p.serialize()));
    REQUIRE(r);
    REQUIRE(r->status == 202);
  }
  bool settled(const std::vector<std::string>& names) {
    for (const auto& n : names) {
      auto c = nodes.at(n)->store().counts();
      if (!c || c->pending != 0) return false;
    }
    return true;
  }
  IssuanceReport report(const std::string& node, const std::string& scope, const std::string& period = "2022") {
    auto r = ev.at(node).reporter->issuance(*Scope::parse(scope), *Period::parse(period));
    if (!r) FAIL(r.error().describe());
    return *r;
  }
  SummaryRunStats summarise(const std::string& node) {
    auto s = ev.at(node).summariser->run();
    if (!s) FAIL(s.error().describe());
    return *s;
  }
};

const UnitIssuance& unitOf(const IssuanceReport& r, const std::string& code) {
  for (const auto& u : r.units) {
    if (u.unit == code) return u;
  }
  FAIL("unit " << code << " is not in the report of " << r.node);
  return r.total;
}

void sameFigures(const UnitIssuance& a, const UnitIssuance& b) {
  INFO(a.unit);
  CHECK(a.outgoing.total == b.outgoing.total);
  CHECK(a.outgoing.electronic_only == b.outgoing.electronic_only);
  CHECK(a.outgoing.paper_only == b.outgoing.paper_only);
  CHECK(a.outgoing.both == b.outgoing.both);
  CHECK(a.outgoing.not_issued == b.outgoing.not_issued);
  CHECK(a.received == b.received);
  CHECK(a.rejected == b.rejected);
  CHECK(a.recalled == b.recalled);
}

// Documents across every level in Q3 2022, and a clerk's paper-only document at district-b.
void traffic(EvidenceCluster& c) {
  c.send(kDistrictA, "district-a", {kCommuneA1, kProvince}, "2022/07/04");
  c.send(kDistrictA, "district-a", {kCommuneA1}, "2022/07/04");
  c.send(kCommuneA1, "district-a", {kDistrictA}, "2022/08/10");
  c.send(kDistrictB, "district-b", {kCommuneB1, kCommuneB2Paper}, "2022/08/11");
  c.send(kCommuneB1, "district-b", {kDistrictB, kProvince}, "2022/09/01");
  c.send(kProvince, "province", {kDistrictA, kDistrictB, kCommuneB1}, "2022/09/02");
  PaperRecord paper;
  paper.unit = kDistrictB;
  paper.number = "7";
  paper.notation = "QĐ-UBND";
  paper.date = "2022-09-20";
  paper.subject = "Quyết định ban hành trên giấy";
  paper.recipients = {kCommuneB1};
  paper.dispatch_date = "2022-09-21";
  REQUIRE(c.ev.at("district-b").book->recordPaper(paper, "admin:clerk"));
  REQUIRE(waitFor([&] { return c.settled({"province", "district-a", "district-b"}); }, std::chrono::seconds(40)));
}

Poco::JSON::Object::Ptr json(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("summaries: the province's subtree report lists every unit of every node and adds up the nodes' own reports") {
  EvidenceCluster c;
  traffic(c);

  // Before any summary, the province lists the districts' units with nothing counted, and says so.
  auto before = c.report("province", "subtree:H41");
  CHECK(before.units.size() == 6);
  CHECK(unitOf(before, "H41.31").from_summary);
  CHECK(unitOf(before, "H41.31").outgoing.total == 0);
  REQUIRE(before.sources.size() == 2);
  CHECK(before.sources[0].last_received.empty());

  auto a = c.summarise("district-a");
  auto b = c.summarise("district-b");
  CHECK(a.parent == "province");
  CHECK(a.rows > 0);
  CHECK(b.rows > 0);
  CHECK(a.messages == 1);
  REQUIRE(waitFor([&] { return c.settled({"district-a", "district-b"}); }));

  const auto province = c.report("province", "subtree:H41");
  const auto own = c.report("province", "unit:H41");
  const auto da = c.report("district-a", "subtree:H41.31");
  const auto db = c.report("district-b", "subtree:H41.32");
  REQUIRE(province.units.size() == 6);
  // Each unit as its home node counts it.
  for (const auto* home : {&own, &da, &db}) {
    for (const auto& u : home->units) sameFigures(unitOf(province, u.unit), u);
  }
  // The total is the sum of the three nodes' own reports.
  CHECK(province.total.outgoing.total == own.total.outgoing.total + da.total.outgoing.total + db.total.outgoing.total);
  CHECK(province.total.outgoing.total == 7);
  CHECK(province.total.outgoing.paper_only == 1);
  CHECK(province.total.received == own.total.received + da.total.received + db.total.received);
  for (std::size_t i = 0; i < province.latency.size(); ++i) {
    CHECK(province.latency[i].count == own.latency[i].count + da.latency[i].count + db.latency[i].count);
  }
  CHECK(province.latency[0].count > 0);
  CHECK(unitOf(province, "H41.32").from_summary);
  CHECK(unitOf(province, "H41.32").home_node == "district-b");
  CHECK_FALSE(unitOf(province, "H41").from_summary);
  // The level the inspection asks for, which the province could not answer before.
  const auto communes = c.report("province", "level:3");
  CHECK(communes.units.size() == 3);
  CHECK(communes.total.outgoing.total == 2);
  // The province's own register does not hold the districts' lines.
  const std::string json_report = issuanceJson(province);
  CHECK(json_report.find("\"source\":\"summary\"") != std::string::npos);
  CHECK(json_report.find("\"summaries\":[{") != std::string::npos);

  // Nothing changed: nothing is sent again.
  auto again = c.summarise("district-a");
  CHECK(again.rows == 0);
  CHECK(again.unchanged == a.rows);

  // A correction: a paper copy of a document already counted makes it "both". The day is sent
  // again with the next version and replaces the row; the total does not grow.
  PaperRecord copy;
  copy.unit = kDistrictA;
  copy.number = "101";
  copy.notation = "UBND";
  copy.date = "2022-07-04";
  copy.recipients = {kCommuneA1};
  copy.dispatch_date = "2022-07-05";
  REQUIRE(c.ev.at("district-a").book->recordPaper(copy, "admin:clerk"));
  auto corrected = c.summarise("district-a");
  CHECK(corrected.rows == 1);
  REQUIRE(waitFor([&] { return c.settled({"district-a"}); }));
  const auto after = c.report("province", "subtree:H41");
  CHECK(after.total.outgoing.total == province.total.outgoing.total);
  CHECK(unitOf(after, "H41.31").outgoing.both == unitOf(province, "H41.31").outgoing.both + 1);
  sameFigures(unitOf(after, "H41.31"), unitOf(c.report("district-a", "unit:H41.31"), "H41.31"));
  auto rows = c.ev.at("province").summaries->store().rows("district-a");
  REQUIRE(rows);
  bool replaced = false;
  for (const auto& r : *rows) replaced |= r.figures.day == "2022-07-04" && r.figures.version == 2;
  CHECK(replaced);

  // The district's register lines stay at home.
  auto auditor = anonymousClient(c.pki, c.url("province"));
  auditor->setBearer(testToken("kiem-tra-1", Role::Auditor));
  auto reg = auditor->request("GET", "/api/v1/register?unit=000.00.31.H41");
  REQUIRE(reg);
  CHECK(reg->status == 400);
  CHECK(reg->body.find("home node 'district-a'") != std::string::npos);
  auto list = auditor->request("GET", "/api/v1/summaries");
  REQUIRE(list);
  CHECK(list->status == 200);
  CHECK(json(list->body)->getArray("sources")->size() == 2);
}

TEST_CASE("summaries: a district stopped with its summaries in flight, or resending them, loses or doubles nothing") {
  EvidenceCluster c;
  traffic(c);
  c.stop("province");
  auto sent = c.summarise("district-a");
  REQUIRE(sent.rows > 0);
  CHECK(c.nodes.at("district-a")->store().counts()->pending == 1);
  // The district goes down with the summary pending, and comes back.
  c.stop("district-a");
  c.start("district-a");
  CHECK(c.summarise("district-a").rows == 0);  // its outbox survived: nothing new to send
  c.start("province");
  REQUIRE(waitFor([&] { return c.settled({"district-a"}); }, std::chrono::seconds(40)));
  const auto own = c.report("district-a", "subtree:H41.31");
  auto at_province = c.report("province", "subtree:H41.31");
  for (const auto& u : own.units) sameFigures(unitOf(at_province, u.unit), u);

  // A crash between storing a summary and recording it as sent: the next run sends the same
  // rows with the same versions; the province takes them as the same rows.
  auto& outbox = c.ev.at("district-a").summaries->store();
  auto marks = outbox.outbox();
  REQUIRE(marks);
  std::vector<OutboxMark> older;
  for (auto [key, m] : *marks) {
    m.version -= 1;
    m.hash = "lost";
    older.push_back(m);
  }
  REQUIRE(outbox.markSent(older, 0));
  auto resent = c.summarise("district-a");
  CHECK(resent.rows == sent.rows);
  REQUIRE(waitFor([&] { return c.settled({"district-a"}); }));
  at_province = c.report("province", "subtree:H41.31");
  for (const auto& u : own.units) sameFigures(unitOf(at_province, u.unit), u);

  // The same message delivered twice (a retry after a lost answer) is a duplicate.
  auto stored = c.nodes.at("province")->store().counts()->messages;
  auto last = c.ev.at("province").summaries->store().summaryMessagesAfter(0, 100);
  REQUIRE(last);
  REQUIRE_FALSE(last->empty());
  auto files = c.pki.issue("district-a", Role::Node, "node-district-a-again");
  auto node_client = HttpsClient::open(c.url("province"), *files, 5000);
  REQUIRE(node_client);
  auto r = (*node_client)->request("POST", "/api/v1/summaries", last->back().bytes, "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json(r->body)->getValue<bool>("duplicate"));
  CHECK(c.nodes.at("province")->store().counts()->messages == stored);
  at_province = c.report("province", "subtree:H41.31");
  for (const auto& u : own.units) sameFigures(unitOf(at_province, u.unit), u);
}

TEST_CASE("summaries: a summary from the wrong node, under the wrong seal or about units homed elsewhere is refused and not stored") {
  EvidenceCluster c;
  const auto seal = [&](const std::string& organ, const std::string& file) {
    auto files = c.pki.issueSeal(organ, "Seal " + organ, file);
    REQUIRE(files);
    auto signer = makeCmsSigner(files->key, "", files->cert);
    REQUIRE(signer);
    return *signer;
  };
  const BlobSigner seal_a = seal(kDistrictA, "seal-a-test");
  const BlobSigner seal_b = seal(kDistrictB, "seal-b-test");
  const auto summary = [&](const std::string& node, const std::string& unit, const BlobSigner& signer,
                           std::string day = "2022-07-04") {
    SummaryBatch batch;
    batch.node = node;
    batch.made_ms = 1;
    SummaryRow row;
    row.figures.unit = unit;
    row.figures.day = day;
    row.figures.outgoing.electronic_only = 3;
    row.version = 1;
    batch.rows.push_back(row);
    std::string body = summaryBodyJson(batch);
    if (day == "bad") {
      const auto at = body.find("\"bad\"");
      body.replace(at, 5, "\"2022-02-30\"");
    }
    return summaryEnvelopeJson(body, *signer(body));
  };
  auto files = c.pki.issue("district-a", Role::Node, "node-district-a-client");
  auto client = HttpsClient::open(c.url("province"), *files, 5000);
  REQUIRE(client);
  const auto post = [&](const std::string& body) {
    auto r = (*client)->request("POST", "/api/v1/summaries", body, "application/json");
    REQUIRE(r);
    return *r;
  };
  const auto before = c.nodes.at("province")->store().counts()->messages;

  auto good = post(summary("district-a", kDistrictA, seal_a));
  CHECK(good.status == 202);
  const auto stored = c.nodes.at("province")->store().counts()->messages;
  CHECK(stored == before + 1);

  auto other_node = post(summary("district-b", kDistrictB, seal_b));
  CHECK(other_node.status == 403);
  CHECK(other_node.body.find("through node 'district-b', not from node 'district-a'") != std::string::npos);
  auto wrong_seal = post(summary("district-a", kDistrictA, seal_b));
  CHECK(wrong_seal.status == 422);
  CHECK(wrong_seal.body.find("not by the seal of H41.31") != std::string::npos);
  auto elsewhere = post(summary("district-a", kCommuneB1, seal_a));
  CHECK(elsewhere.status == 403);
  CHECK(elsewhere.body.find("rows[0].unit: 000.01.32.H41 is homed at node 'district-b'") != std::string::npos);
  auto bad_day = post(summary("district-a", kDistrictA, seal_a, "bad"));
  CHECK(bad_day.status == 422);
  CHECK(bad_day.body.find("rows[0].day") != std::string::npos);
  auto not_json = post("{\"format\":\"lienthong-summary/1\",\"body\":");
  CHECK(not_json.status == 400);
  auto tampered = summary("district-a", kDistrictA, seal_a);
  tampered.replace(tampered.find("electronic_only\\\":3"), 19, "electronic_only\\\":9");
  auto t = post(tampered);
  CHECK(t.status == 422);

  // An office may not post summaries at all.
  auto office = officeClient(c.pki, kDistrictA, c.url("province"));
  auto o = office->request("POST", "/api/v1/summaries", summary("district-a", kDistrictA, seal_a), "application/json");
  REQUIRE(o);
  CHECK(o->status == 403);
  CHECK(c.nodes.at("province")->store().counts()->messages == stored);
  // Only the good one counts.
  CHECK(unitOf(c.report("province", "unit:H41.31"), "H41.31").outgoing.total == 3);
}

namespace {

// yyyy-mm-dd of `days` days from now (UTC+7).
std::string dayFromNow(int days) {
  const std::string t = timestampVn(nowMs() + static_cast<std::int64_t>(days) * 86400000);
  return t.substr(0, 4) + "-" + t.substr(5, 2) + "-" + t.substr(8, 2);
}

// The three-node tree after a 2025-shaped change: commune A1 (homed at district-a) closed
// yesterday, merged into a new commune directly under the province and homed there.
std::shared_ptr<const schemas::Directory> mergedDirectory(const schemas::Directory& before) {
  std::vector<schemas::Unit> units = before.units();
  for (auto& u : units) {
    if (u.legacy_code == kCommuneA1) {
      u.valid_to = dayFromNow(-1);
      u.successor = "H41.40";
    }
  }
  units.push_back({"H41.40", "000.00.40.H41", "Ủy ban nhân dân xã Quỳnh Lưu (sau sáp nhập)", "H41", 2, dayFromNow(0),
                   "", "", "province", schemas::Channel::Mailbox, {}});
  auto dir = schemas::Directory::fromUnits("test-2-merged", before.nodes(), std::move(units));
  if (!dir) throw std::runtime_error(dir.error().message);
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

}  // namespace

TEST_CASE("reorganisation: a merger applied to a running node re-routes every pending delivery once, to the successor") {
  EvidenceCluster c;
  c.stop("district-a");  // the documents for commune A1 wait at the province
  for (int i = 0; i < 3; ++i) c.send(kProvince, "province", {kCommuneA1}, "2026/06/2" + std::to_string(i));
  Store& store = c.nodes.at("province")->store();
  REQUIRE(waitFor([&] {
    auto b = store.backlog();
    return b && b->size() == 1 && (*b)[0].hop == "district-a" && (*b)[0].pending == 3;
  }));

  auto reload = c.nodes.at("province")->reloadDirectory(mergedDirectory(*c.directory));
  if (!reload) FAIL(reload.error().describe());
  CHECK(reload->rerouted == 3);
  // Handed to the successor's mailbox here, each once, and the sender can see why.
  REQUIRE(waitFor([&] { return c.settled({"province"}); }));
  auto mailbox = store.mailbox("000.00.40.H41", {});
  REQUIRE(mailbox);
  CHECK(mailbox->size() == 3);
  for (const auto& e : *mailbox) CHECK(e.delivery.addressed_to == kCommuneA1);
  std::int64_t rerouted_audits = 0;
  auto audit = store.auditRecords(0, 100000);
  REQUIRE(audit);
  for (const auto& a : *audit) {
    if (a.event == "delivery re-routed") {
      ++rerouted_audits;
      CHECK(a.detail.find("000.01.31.H41 closed on " + dayFromNow(-1) + ", successor 000.00.40.H41; now local") !=
            std::string::npos);
    }
  }
  CHECK(rerouted_audits == 3);
  // The same directory again moves nothing.
  auto again = c.nodes.at("province")->reloadDirectory(mergedDirectory(*c.directory));
  REQUIRE(again);
  CHECK(again->rerouted == 0);

  // A new document to the closed code goes to the successor, with a warning kept beside it.
  auto p = testPackage(kProvince, {kCommuneA1}, 77, "UBND");
  auto office = officeClient(c.pki, kProvince, c.url("province"));
  auto r = office->request("POST", "/api/v1/documents", c.signers.sign(kProvince, p.serialize()));
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(r->body.find("recipient_succeeded") != std::string::npos);
  REQUIRE(waitFor([&] { return store.mailbox("000.00.40.H41", {})->size() == 4; }));

  // The closed commune's credential reads its own past documents only, and sends nothing.
  auto closed = officeClient(c.pki, kCommuneA1, c.url("province"));
  auto theirs = closed->request("GET", "/api/v1/mailbox?organ=000.00.40.H41");
  REQUIRE(theirs);
  CHECK(theirs->status == 403);
  auto send = closed->request("POST", "/api/v1/documents",
                              c.signers.sign(kCommuneA1, testPackage(kCommuneA1, {kProvince}, 5).serialize()));
  REQUIRE(send);
  CHECK(send->status == 403);
  CHECK(send->body.find("was closed on " + dayFromNow(-1)) != std::string::npos);

  // The register counts the documents as issued electronically to the unit they named.
  auto report = c.report("province", "unit:H41", dayFromNow(0).substr(0, 4));
  CHECK(report.total.outgoing.total == 4);
  CHECK(report.total.outgoing.electronic_only == 4);
}

namespace {

// The tree with district-a's units homed at the province: district-a retired.
std::shared_ptr<const schemas::Directory> withoutDistrictA(const schemas::Directory& base) {
  std::vector<schemas::Unit> units = base.units();
  for (auto& u : units) {
    if (u.home_node == "district-a") u.home_node = "province";
  }
  auto dir = schemas::Directory::fromUnits("test-2", base.nodes(), std::move(units));
  if (!dir) throw std::runtime_error(dir.error().message);
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

std::unique_ptr<HttpsClient> adminClient(const DevPki& pki, const std::string& url) {
  auto files = pki.issue("admin-retire", Role::Admin);
  auto c = HttpsClient::open(url, *files, 15000);
  return std::move(*c);
}

}  // namespace

TEST_CASE("retire: a district node hands its pending deliveries, mailboxes and register to the province, nothing left behind") {
  EvidenceCluster c;
  traffic(c);
  // Two documents for the province wait at district-a while the province is down; commune A1's
  // mailbox holds what it has not fetched.
  c.stop("province");
  c.send(kCommuneA1, "district-a", {kProvince}, "2022/09/15");
  c.send(kDistrictA, "district-a", {kCommuneA1, kProvince}, "2022/09/16");
  REQUIRE(waitFor([&] { return c.nodes.at("district-a")->store().mailbox(kCommuneA1, {})->size() == 3; }));
  const auto own = c.report("district-a", "subtree:H41.31");
  const auto a1_mailbox = c.nodes.at("district-a")->store().mailbox(kCommuneA1, {});
  REQUIRE(a1_mailbox);
  CHECK(c.nodes.at("district-a")->store().counts()->pending == 2);
  c.stop("district-a");
  const NodeConfig retiring = c.config("district-a");
  std::ostringstream progress;
  RetireOptions options;
  options.directory = c.directory;

  // The province has not re-homed district-a's units yet: refused, nothing stored there.
  c.start("province");
  const auto held_before = c.nodes.at("province")->store().counts()->messages;
  {
    auto admin = adminClient(c.pki, c.url("province"));
    auto refused = retireNode(retiring, *admin, options, progress);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::Conflict);
    CHECK(refused.error().message.find("still homed at 'district-a'") != std::string::npos);
    CHECK(c.nodes.at("province")->store().counts()->messages == held_before);
    // An office may not hand anything over.
    auto office = officeClient(c.pki, kCommuneA1, c.url("province"));
    auto r = office->request("POST", "/api/v1/handover", "{}", "application/json");
    REQUIRE(r);
    CHECK(r->status == 403);
  }

  // The directory change re-homes them at the province; then the handover, in small batches.
  c.stop("province");
  c.directory = withoutDistrictA(*c.directory);
  c.start("province");
  auto admin = adminClient(c.pki, c.url("province"));
  RetireOptions small = options;
  small.batch_messages = 3;
  small.batch_lines = 4;
  auto done = retireNode(retiring, *admin, small, progress);
  if (!done) FAIL(done.error().describe());
  std::ostringstream printed;
  printRetireReport(printed, *done);
  INFO(progress.str() << printed.str());
  CHECK(done->nothingLeftBehind());
  CHECK(printed.str().find("nothing was left behind") != std::string::npos);
  CHECK(done->messages > 0);
  CHECK(done->messages == done->messages_there);
  CHECK(done->sent.taken > 0);   // the ones the province never saw (local to district-a)
  CHECK(done->sent.merged > 0);  // the ones it had passed on or received
  CHECK(done->pending == 2);
  CHECK(done->handed_over >= 2 + static_cast<std::int64_t>(a1_mailbox->size()) - 1);
  CHECK(done->pending_left == 0);
  CHECK(done->register_here.size() == 2);  // the district and its commune

  // The province delivers what was pending, and the commune finds its mailbox there.
  REQUIRE(waitFor([&] { return c.settled({"province"}); }, std::chrono::seconds(40)));
  auto at_province = c.nodes.at("province")->store().mailbox(kCommuneA1, {});
  REQUIRE(at_province);
  CHECK(at_province->size() == a1_mailbox->size());
  auto office = officeClient(c.pki, kCommuneA1, c.url("province"));
  auto listed = office->request("GET", "/api/v1/mailbox");
  REQUIRE(listed);
  CHECK(listed->status == 200);
  Poco::JSON::Parser parser;
  CHECK(parser.parse(listed->body).extract<Poco::JSON::Array::Ptr>()->size() == a1_mailbox->size());
  // The province's own reports now count district-a's units exactly as district-a did.
  const auto after = c.report("province", "subtree:H41.31");
  for (const auto& u : own.units) {
    sameFigures(unitOf(after, u.unit), u);
    CHECK_FALSE(unitOf(after, u.unit).from_summary);
  }
  CHECK(after.total.outgoing.total == own.total.outgoing.total);

  // Both audit logs say it.
  auto retired_store = openSqliteStore((std::filesystem::path(retiring.data_dir) / "store.sqlite").string());
  REQUIRE(retired_store);
  auto last = (*retired_store)->lastAudit();
  REQUIRE(last);
  REQUIRE(last->has_value());
  CHECK((*last)->event == "node retired");
  CHECK((*retired_store)->counts()->pending == 0);
  retired_store->reset();
  auto records = c.nodes.at("province")->store().auditRecords(0, 100000);
  REQUIRE(records);
  int handed = 0;
  for (const auto& r : *records) {
    const bool message = r.event == "handed over document" || r.event == "handed over status" ||
                         r.event == "handed over summary";
    handed += message && r.actor.starts_with("admin:") ? 1 : 0;
  }
  CHECK(handed == done->sent.taken + done->sent.merged);

  // Run again: every message is known, nothing is added, and it still proves equal.
  auto again = retireNode(retiring, *admin, options, progress);
  if (!again) FAIL(again.error().describe());
  CHECK(again->nothingLeftBehind());
  CHECK(again->sent.again == again->messages);
  CHECK(again->sent.taken + again->sent.merged == 0);
  CHECK(again->handed_over == 0);
  CHECK(c.nodes.at("province")->store().mailbox(kCommuneA1, {})->size() == a1_mailbox->size());
}

TEST_CASE("retire: a handover batch that is malformed, tampered or would loop back is refused and nothing is stored") {
  EvidenceCluster c;
  auto admin = adminClient(c.pki, c.url("province"));
  const auto held = c.nodes.at("province")->store().counts()->messages;
  const auto post = [&](const std::string& body) {
    auto r = admin->request("POST", "/api/v1/handover", body, "application/json");
    REQUIRE(r);
    return *r;
  };
  CHECK(post("not json").status == 400);
  CHECK(post(R"({"format":"lienthong-handover/9","from_node":"district-a"})").body.find("handover.format") !=
        std::string::npos);
  HandoverBatch b;
  b.from_node = "district-a";
  StoredMessage m;
  m.id = 7;
  m.kind = MessageKind::Document;
  m.sender = kCommuneA1;
  m.dedupe_key = "doc-7";
  m.document_id = "doc-7";
  m.bytes = "<edXML/>";
  m.content_hash = sha256Hex(m.bytes);
  Delivery pending;
  pending.recipient = kCommuneA1;  // still homed at district-a in the province's directory
  pending.route = RouteKind::Local;
  pending.state = DeliveryState::Pending;
  b.messages.push_back(handedMessage("district-a", m, {pending}));
  auto loop = post(handoverJson(b));
  CHECK(loop.status == 409);
  CHECK(loop.body.find("messages[0].deliveries[0]") != std::string::npos);
  CHECK(loop.body.find("still reached through node 'district-a'") != std::string::npos);
  // Tampered bytes.
  b.messages[0].deliveries.clear();
  b.messages[0].message.content_hash = sha256Hex("other");
  auto tampered = post(handoverJson(b));
  CHECK(tampered.status == 400);
  CHECK(tampered.body.find("messages[0].content_hash: does not match the bytes") != std::string::npos);
  // A register line of a unit homed elsewhere, or of a message never handed over.
  b.messages.clear();
  RegisterEntry line;
  line.unit = kCommuneB1;
  line.date = "2022-07-01";
  line.source = "gateway";
  line.message_id = 99;
  b.register_lines = {line};
  auto elsewhere = post(handoverJson(b));
  CHECK(elsewhere.status == 409);
  CHECK(elsewhere.body.find("register[0]: unit 000.01.32.H41 is not homed at node 'province'") != std::string::npos);
  b.register_lines[0].unit = kProvince;
  auto unknown = post(handoverJson(b));
  CHECK(unknown.status == 422);
  CHECK(unknown.body.find("its message 99 of node 'district-a' was not handed over") != std::string::npos);
  CHECK(c.nodes.at("province")->store().counts()->messages == held);
  auto items = c.nodes.at("province")->store().handoverItems("district-a");
  REQUIRE(items);
  CHECK(items->empty());
}

TEST_CASE("summaries: a district that runs its own CA sends its units' certificate coverage, only when it changed, and the province shows it") {
  EvidenceCluster c;
  // district-a runs a CA of its own: its coverage is what the test says, changed at will.
  auto figures = std::make_shared<std::vector<UnitCoverage>>(std::vector<UnitCoverage>{
      {kDistrictA, 12, 9, 3, 1, 0}, {kCommuneA1, 5, 5, 0, 1, 1}, {kCommuneB1, 7, 7, 0, 1, 0}});
  c.coverage["district-a"] = [figures]() -> Result<std::vector<UnitCoverage>> { return *figures; };
  c.stop("district-a");
  c.start("district-a");
  auto auditor = anonymousClient(c.pki, c.url("province"));
  auditor->setBearer(testToken("kiem-tra-1", Role::Auditor));
  const auto coverage = [&] {
    auto r = auditor->request("GET", "/api/v1/reports/coverage");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json(r->body);
  };
  CHECK_FALSE(coverage()->getValue<bool>("available"));  // the province runs no CA in this test

  auto first = c.summarise("district-a");
  CHECK(first.messages == 1);  // no register rows yet: the coverage alone
  REQUIRE(waitFor([&] { return c.settled({"district-a"}); }));
  auto got = coverage();
  CHECK(got->getValue<bool>("available"));
  auto units = got->getArray("units");
  REQUIRE(units->size() == 2);  // commune B1 is homed at district-b: not district-a's to send
  std::map<std::string, Poco::JSON::Object::Ptr> by_unit;
  for (std::size_t i = 0; i < units->size(); ++i) {
    auto u = units->getObject(static_cast<unsigned>(i));
    by_unit[u->getValue<std::string>("unit")] = u;
  }
  REQUIRE(by_unit.contains(kDistrictA));
  CHECK(by_unit.at(kDistrictA)->getValue<std::string>("source") == "summary");
  CHECK(by_unit.at(kDistrictA)->getValue<std::string>("home_node") == "district-a");
  CHECK(by_unit.at(kDistrictA)->getValue<int>("missing") == 3);
  CHECK(got->getValue<int>("needed") == 17);
  CHECK(got->getValue<int>("covered") == 14);

  // Unchanged: nothing sent. Changed: sent again, and the newer figures replace the older.
  CHECK(c.summarise("district-a").messages == 0);
  (*figures)[0].signers_valid = 12;
  (*figures)[0].missing = 0;
  CHECK(c.summarise("district-a").messages == 1);
  REQUIRE(waitFor([&] { return c.settled({"district-a"}); }));
  CHECK(coverage()->getValue<int>("covered") == 17);

  // A coverage line for a unit of another node is refused before anything is stored.
  auto files = c.pki.issueSeal(kDistrictA, "Seal", "seal-a-cov");
  REQUIRE(files);
  auto signer = makeCmsSigner(files->key, "", files->cert);
  REQUIRE(signer);
  SummaryBatch batch;
  batch.node = "district-a";
  batch.made_ms = nowMs();
  batch.coverage = {{kCommuneB1, 1, 0, 1, 0, 0}};
  const std::string body = summaryBodyJson(batch);
  auto node = c.pki.issue("district-a", Role::Node, "node-district-a-cov");
  auto client = HttpsClient::open(c.url("province"), *node, 5000);
  REQUIRE(client);
  const auto before = c.nodes.at("province")->store().counts()->messages;
  auto r = (*client)->request("POST", "/api/v1/summaries", summaryEnvelopeJson(body, *(*signer)(body)), "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body.find("coverage[0].unit: 000.01.32.H41 is homed at node 'district-b'") != std::string::npos);
  CHECK(c.nodes.at("province")->store().counts()->messages == before);
}
