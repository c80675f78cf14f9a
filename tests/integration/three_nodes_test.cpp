// Three real nodes (province, district-a, district-b hosting their communes) on loopback with
// mutual TLS and real SQLite stores: documents across every level, statuses back hop by hop,
// a recall, a paper-only recipient, and a peer that is down for a while.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/signing/trust_store.h"
#include "lienthong/signing/xml_verifier.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

Poco::JSON::Object::Ptr parseJson(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

struct Cluster {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()},
                                   {"district-b", freePort()}};
  std::shared_ptr<const schemas::Directory> directory = threeNodeDirectory(ports);
  std::map<std::string, std::unique_ptr<Node>> nodes;
  int max_attempts;

  explicit Cluster(int attempts = 6) : max_attempts(attempts) {
    for (const auto& [name, port] : ports) start(name);
  }
  void start(const std::string& name) {
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(directory);
    // Signatures required: offices sign with their seals, nodes sign the statuses they issue.
    NodeConfig cfg = testNodeConfig(tmp.path(), pki, name, ports.at(name));
    cfg.dispatch.max_attempts = max_attempts;
    auto n = Node::start(cfg, std::move(o));
    REQUIRE(n);
    nodes[name] = std::move(*n);
  }
  Node& node(const std::string& name) { return *nodes.at(name); }
  std::string url(const std::string& name) { return "https://127.0.0.1:" + std::to_string(ports.at(name)); }

  // POSTs as the office of `organ` to its home node, the body signed with the office's seal.
  ClientResponse post(const std::string& organ, const std::string& home, const std::string& path,
                      const std::string& body) {
    auto c = officeClient(pki, organ, url(home));
    auto r = c->request("POST", path, signers.sign(organ, body));
    REQUIRE(r);
    return *r;
  }

  // The mailbox entries of `organ` at `home` in state `state`.
  Poco::JSON::Array::Ptr mailbox(const std::string& organ, const std::string& home) {
    auto c = officeClient(pki, organ, url(home));
    auto r = c->request("GET", "/api/v1/mailbox");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    Poco::JSON::Parser p;
    return p.parse(r->body).extract<Poco::JSON::Array::Ptr>();
  }

  bool inMailbox(const std::string& organ, const std::string& home, const std::string& doc_id,
                 const std::string& state = "delivered") {
    auto arr = mailbox(organ, home);
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto o = arr->getObject(static_cast<unsigned>(i));
      if (o->getValue<std::string>("document_id") == doc_id && o->getValue<std::string>("state") == state) {
        return true;
      }
    }
    return false;
  }

  int countInMailbox(const std::string& organ, const std::string& home, const std::string& doc_id) {
    auto arr = mailbox(organ, home);
    int n = 0;
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (arr->getObject(static_cast<unsigned>(i))->getValue<std::string>("document_id") == doc_id) ++n;
    }
    return n;
  }

  // The sender's view of a document: recipient -> last status code ("" when none).
  std::map<std::string, std::string> view(const std::string& sender, const std::string& home,
                                          const std::string& doc_id, std::vector<std::string>* history = nullptr) {
    auto c = officeClient(pki, sender, url(home));
    auto r = c->request("GET", "/api/v1/documents/" + urlEncode(doc_id) + "?sender=" + urlEncode(sender));
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 200);
    auto o = parseJson(r->body);
    std::map<std::string, std::string> out;
    auto rs = o->getArray("recipients");
    for (std::size_t i = 0; i < rs->size(); ++i) {
      auto x = rs->getObject(static_cast<unsigned>(i));
      const auto st = x->getValue<std::string>("status");
      out[x->getValue<std::string>("organ_id")] = st.empty() ? x->getValue<std::string>("state") : st;
    }
    if (history) {
      auto hs = o->getArray("statuses");
      for (std::size_t i = 0; i < hs->size(); ++i) {
        auto x = hs->getObject(static_cast<unsigned>(i));
        history->push_back(x->getValue<std::string>("reporter") + ":" + x->getValue<std::string>("code"));
      }
    }
    return out;
  }
};

std::string postStatus(Cluster& c, const std::string& reporter, const std::string& home,
                       const schemas::Package& original, schemas::StatusCode code, const std::string& ts) {
  auto s = schemas::sample::status(original, reporter, code);
  s.timestamp = ts;
  auto r = c.post(reporter, home, "/api/v1/statuses", s.serialize(false));
  INFO(r.body);
  CHECK(r.status == 202);
  return r.body;
}

}  // namespace

TEST_CASE("documents cross every level, statuses come back, a recall is agreed, paper is recorded") {
  Cluster c;

  // Commune (district-a) -> province.
  auto up = testPackage(kCommuneA1, {kProvince}, 101, "BC-UBND");
  auto r1 = c.post(kCommuneA1, "district-a", "/api/v1/documents", up.serialize());
  INFO(r1.body);
  REQUIRE(r1.status == 202);

  // Province -> two communes in different districts and one paper-only commune.
  auto down = testPackage(kProvince, {kCommuneA1, kCommuneB1, kCommuneB2Paper}, 102, "QĐ-UBND");
  auto r2 = c.post(kProvince, "province", "/api/v1/documents", down.serialize());
  INFO(r2.body);
  REQUIRE(r2.status == 202);
  CHECK(parseJson(r2.body)->getValue<int>("paper") == 1);

  // District -> district.
  auto across = testPackage(kDistrictA, {kDistrictB}, 103, "CV-UBND");
  auto r3 = c.post(kDistrictA, "district-a", "/api/v1/documents", across.serialize());
  REQUIRE(r3.status == 202);

  REQUIRE(waitFor([&] { return c.inMailbox(kProvince, "province", up.documentId()); }));
  REQUIRE(waitFor([&] { return c.inMailbox(kCommuneA1, "district-a", down.documentId()); }));
  REQUIRE(waitFor([&] { return c.inMailbox(kCommuneB1, "district-b", down.documentId()); }));
  REQUIRE(waitFor([&] { return c.inMailbox(kDistrictB, "district-b", across.documentId()); }));

  // Status 01 comes back automatically to each sender's home.
  REQUIRE(waitFor([&] { return c.view(kCommuneA1, "district-a", up.documentId())[kProvince] == "01"; }));
  REQUIRE(waitFor([&] {
    auto v = c.view(kProvince, "province", down.documentId());
    return v[kCommuneA1] == "01" && v[kCommuneB1] == "01" && v[kCommuneB2Paper] == "paper";
  }));

  // The recipient reports 03 then 06; both travel back through district-b to the province.
  postStatus(c, kCommuneB1, "district-b", down, schemas::StatusCode::Accepted, "2026/11/20 10:00:00");
  postStatus(c, kCommuneB1, "district-b", down, schemas::StatusCode::Completed, "2026/11/21 16:00:00");
  std::vector<std::string> history;
  REQUIRE(waitFor([&] {
    history.clear();
    return c.view(kProvince, "province", down.documentId(), &history)[kCommuneB1] == "06";
  }));
  std::vector<std::string> b1;
  for (const auto& h : history) {
    if (h.starts_with(kCommuneB1)) b1.push_back(h.substr(h.find(':') + 1));
  }
  CHECK(b1 == std::vector<std::string>{"01", "03", "06"});

  // The district recalls its document; district-b agrees (15) since it is not yet taken.
  REQUIRE(waitFor([&] { return c.view(kDistrictA, "district-a", across.documentId())[kDistrictB] == "01"; }));
  postStatus(c, kDistrictA, "district-a", across, schemas::StatusCode::RecallRequested, "2026/11/20 11:00:00");
  REQUIRE(waitFor([&] { return c.view(kDistrictA, "district-a", across.documentId())[kDistrictB] == "15"; }));
  CHECK(c.inMailbox(kDistrictB, "district-b", across.documentId(), "recalled"));

  // Each document is in each mailbox exactly once; the paper recipient has no mailbox entry.
  CHECK(c.countInMailbox(kCommuneA1, "district-a", down.documentId()) == 1);
  CHECK(c.countInMailbox(kCommuneB1, "district-b", down.documentId()) == 1);
  CHECK(c.node("district-b").store().counts()->paper == 0);
  CHECK(c.node("province").store().counts()->paper == 1);
  CHECK(c.node("province").store().counts()->failed == 0);

  // Every status stored at the province is signed: 01 and 15 by a node's seal, 03 and 06 by the
  // reporting commune's seal; each verifies against the test CA.
  signing::ValidationPolicy policy;
  policy.revocation.check = false;  // the dev certificates name no revocation source
  signing::XmlVerifier verifier(*signing::TrustStore::fromBundle(c.pki.caFile()), policy);
  auto& store = c.node("province").store();
  int statuses = 0;
  for (std::int64_t id = 1; id <= store.counts()->messages; ++id) {
    auto m = store.message(id);
    REQUIRE(m);
    if (m->kind != MessageKind::Status) continue;
    ++statuses;
    auto report = verifier.verify(m->bytes);
    INFO(report.toJson());
    CHECK(report.passed());
    REQUIRE(report.signer);
    const auto code = m->status_code;
    if (code == 1) {
      CHECK((report.signer->organ_id == kDistrictA || report.signer->organ_id == kDistrictB ||
             report.signer->organ_id == kProvince));
    } else {
      CHECK(report.signer->organ_id == m->sender);
    }
  }
  CHECK(statuses >= 5);  // 01 from A1 and B1 (down), 03, 06 from B1, plus what passed through
}

TEST_CASE("a peer node down for a while: every delivery completes once it is back, none twice") {
  Cluster c(/*attempts=*/1000);
  c.nodes.at("district-b")->stop();
  c.nodes.erase("district-b");
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto p = testPackage(kProvince, {kCommuneB1}, 200 + i);
    auto r = c.post(kProvince, "province", "/api/v1/documents", p.serialize());
    REQUIRE(r.status == 202);
    ids.push_back(p.documentId());
  }
  // Attempts fail and are rescheduled while district-b is down.
  REQUIRE(waitFor([&] { return c.node("province").metrics().retryCount() >= 5; }));
  CHECK(c.node("province").store().counts()->pending == 20);
  c.start("district-b");
  for (const auto& id : ids) {
    REQUIRE(waitFor([&] { return c.inMailbox(kCommuneB1, "district-b", id); }));
  }
  CHECK(c.mailbox(kCommuneB1, "district-b")->size() == 20);
  for (const auto& id : ids) CHECK(c.countInMailbox(kCommuneB1, "district-b", id) == 1);
  REQUIRE(waitFor([&] { return c.node("province").store().counts()->pending == 0; }));
  CHECK(c.node("province").store().counts()->failed == 0);
}

TEST_CASE("a peer that stays down: the delivery fails after the last try and the sender is told") {
  Cluster c;
  c.nodes.at("district-b")->stop();
  auto p = testPackage(kProvince, {kCommuneB1}, 300);
  REQUIRE(c.post(kProvince, "province", "/api/v1/documents", p.serialize()).status == 202);
  REQUIRE(waitFor([&] { return c.view(kProvince, "province", p.documentId())[kCommuneB1] == "02"; },
                  std::chrono::seconds(30)));
  CHECK(c.node("province").store().counts()->failed == 1);
  CHECK(c.node("province").metrics().failureCount() == 1);
}
