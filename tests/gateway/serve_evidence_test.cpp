// A node assembled as `lienthong serve` assembles it (serve.h): the evidence routes on its HTTPS
// server and the register filled by the node itself after intake.
#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/app/serve.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

struct ServedNode {
  TempDir tmp;
  std::unique_ptr<DevPki> pki;
  std::optional<Evidence> evidence;
  std::unique_ptr<Node> node;

  explicit ServedNode(std::string web_dir = {}) {
    auto p = DevPki::open((tmp.path() / "pki").string());
    REQUIRE(p);
    pki = std::make_unique<DevPki>(std::move(*p));
    NodeConfig c = testNodeConfig(tmp.path(), *pki, "district-a", 0);
    c.web_dir = std::move(web_dir);
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(threeNodeDirectory({}));
    o.start_dispatcher = true;
    auto ev = prepareEvidence(c, o);
    if (!ev) FAIL(ev.error().describe());
    evidence = std::move(*ev);
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    node = std::move(*n);
  }

  std::unique_ptr<HttpsClient> bearer(const std::string& subject, Role role) {
    auto c = anonymousClient(*pki, node->url());
    c->setBearer(testToken(subject, role));
    return c;
  }
};

std::size_t entriesOf(RegisterBook& book, RegisterDirection d, const std::string& unit) {
  RegisterQuery q;
  q.direction = d;
  q.units = {unit};
  auto e = book.entries(q);
  return e ? e->size() : 0;
}

}  // namespace

TEST_CASE("serve: the node answers the issuance report for an auditor (200) and refuses an office (403)") {
  ServedNode s;
  const std::string path = std::string("/api/v1/reports/issuance?scope=unit:") + kDistrictA +
                           "&period=2022-Q3&format=json";
  auto auditor = s.bearer("kiem-tra-1", Role::Auditor);
  auto ok = auditor->request("GET", path);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto office = s.bearer(kDistrictA, Role::Office);
  auto refused = office->request("GET", path);
  REQUIRE(refused);
  CHECK(refused->status == 403);
  auto units = auditor->request("GET", "/api/v1/reports/units");
  REQUIRE(units);
  CHECK(units->status == 200);
}

TEST_CASE("serve: a document accepted through intake reaches the register without an index call") {
  ServedNode s;
  OfficeSigners signers(*s.pki);
  auto p = testPackage(kDistrictA, {kCommuneA1}, 7);
  auto client = officeClient(*s.pki, kDistrictA, s.node->url());
  auto r = client->request("POST", "/api/v1/documents", signers.sign(kDistrictA, p.serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  RegisterBook& book = *s.evidence->book;
  CHECK(waitFor([&] { return entriesOf(book, RegisterDirection::Outgoing, kDistrictA) == 1; }));
  CHECK(waitFor([&] { return entriesOf(book, RegisterDirection::Incoming, kCommuneA1) == 1; }));
  RegisterQuery q;
  q.units = {kDistrictA};
  auto e = book.entries(q);
  REQUIRE(e);
  REQUIRE(e->size() == 1);
  CHECK(e->front().document_id == p.documentId());
  CHECK(e->front().source == "gateway");
}

TEST_CASE("serve: without the web folder the node starts and /dashboard answers 503 naming install-web.sh") {
  TempDir empty;
  ServedNode s(empty.path().string());
  auto c = anonymousClient(*s.pki, s.node->url());
  auto r = c->request("GET", "/dashboard");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.find("run scripts/install-web.sh") != std::string::npos);
  auto health = c->request("GET", "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}
