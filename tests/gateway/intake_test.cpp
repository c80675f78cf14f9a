// Intake refusals over HTTPS against one real node: each refusal's HTTP status, its JSON error,
// and that nothing was stored.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/http/auth.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

Poco::JSON::Object::Ptr parseJson(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

struct OneNode {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::unique_ptr<Node> node;

  explicit OneNode(bool allow_unsigned = false) {
    const int port = freePort();
    NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
    c.signature.allow_unsigned = allow_unsigned;
    c.http.max_body = 256 * 1024;
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(threeNodeDirectory({{"province", port}}));
    o.start_dispatcher = false;  // intake only: deliveries stay as stored
    auto n = Node::start(c, std::move(o));
    REQUIRE(n);
    node = std::move(*n);
  }

  // The package signed by the seal of its From unit.
  std::string sign(const schemas::Package& pkg) { return signers.sign(pkg.header.from.organ_id, pkg.serialize()); }
  std::int64_t messages() { return node->store().counts()->messages; }
  std::int64_t audit() { return node->store().counts()->audit; }
};

void requireRefusal(const Result<ClientResponse>& r, int status, const std::string& code) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  auto obj = parseJson(r->body);
  CHECK(obj->getValue<std::string>("error") == code);
  CHECK(!obj->getValue<std::string>("message").empty());
}

}  // namespace

TEST_CASE("intake accepts a package from its sender's office with 202 and stores one delivery per recipient") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA, kCommuneB2Paper}, 1);
  const std::string body = n.sign(pkg);
  auto r = client->request("POST", "/api/v1/documents", body);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  auto obj = parseJson(r->body);
  CHECK(obj->getValue<std::string>("result") == "accepted");
  CHECK(obj->getValue<int>("deliveries") == 2);
  CHECK(obj->getValue<int>("paper") == 1);
  const auto id = obj->getValue<std::int64_t>("id");
  auto ds = n.node->store().deliveriesOf(id);
  REQUIRE(ds);
  REQUIRE(ds->size() == 2);
  CHECK((*ds)[0].recipient == kDistrictA);
  CHECK((*ds)[0].route == RouteKind::Peer);
  CHECK((*ds)[0].next_node == "district-a");
  CHECK((*ds)[0].state == DeliveryState::Pending);
  CHECK((*ds)[1].route == RouteKind::Paper);
  CHECK((*ds)[1].state == DeliveryState::Paper);
  auto stored = n.node->store().message(id);
  REQUIRE(stored);
  CHECK(stored->bytes == body);  // the signed bytes exactly as received
  CHECK(n.audit() == 1);
}

TEST_CASE("intake refuses a body over the size limit with 413 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  std::string big = n.sign(testPackage(kProvince, {kDistrictA}, 2));
  big.insert(big.find("</edXML:Subject>"), std::string(300 * 1024, 'x'));
  requireRefusal(client->request("POST", "/api/v1/documents", big), 413, "too_large");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses malformed XML and a DOCTYPE with 400 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  requireRefusal(client->request("POST", "/api/v1/documents", "<edXML:edXML><oops"), 400,
                 "malformed_xml");
  const std::string doctype =
      "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]>" +
      testPackage(kProvince, {kDistrictA}, 3).serialize().substr(39);
  requireRefusal(client->request("POST", "/api/v1/documents", doctype), 400, "doctype_refused");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses a package the schema refuses with 422, the line and the element") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  std::string bytes = n.sign(testPackage(kProvince, {kDistrictA}, 4));
  const auto a = bytes.find("<edXML:Code>");
  const std::string close = "</edXML:Code>";
  const auto b = bytes.find(close) + close.size();
  // Issue 14: an unknown element is a warning now; a business type outside 0-3 is still refused.
  bytes.replace(a, b - a, "<edXML:BussinessDocType>7</edXML:BussinessDocType>");
  auto r = client->request("POST", "/api/v1/documents", bytes);
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 422);
  auto obj = parseJson(r->body);
  CHECK(obj->getValue<std::string>("error") == "schema_violation");
  CHECK(obj->getValue<int>("line") > 0);
  CHECK(!obj->getValue<std::string>("element").empty());
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses a package whose From does not match the client certificate with 403") {
  OneNode n;
  auto client = officeClient(n.pki, kDistrictA, n.node->url());
  requireRefusal(client->request("POST", "/api/v1/documents",
                                 n.sign(testPackage(kProvince, {kDistrictB}, 5))),
                 403, "forbidden");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses a bearer token for another unit with 403 and a bad token with 401") {
  OneNode n;
  auto client = anonymousClient(n.pki, n.node->url());
  const std::string body = n.sign(testPackage(kProvince, {kDistrictB}, 6));
  requireRefusal(client->request("POST", "/api/v1/documents", body), 401, "unauthorized");
  client->setBearer(testToken(kCommuneA1, Role::Office, 60));
  requireRefusal(client->request("POST", "/api/v1/documents", body), 403, "forbidden");
  client->setBearer(makeJwt("dms-" + std::string(kProvince), kProvince, Role::Office, "another-secret-0123456789", 60));
  requireRefusal(client->request("POST", "/api/v1/documents", body), 401, "unauthorized");
  CHECK(n.messages() == 0);
  client->setBearer(testToken(kProvince, Role::Office, 60));
  auto ok = client->request("POST", "/api/v1/documents", body);
  REQUIRE(ok);
  CHECK(ok->status == 202);
  CHECK(n.messages() == 1);
}

TEST_CASE("intake refuses a package with a secrecy mark with 422 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 7);
  pkg.header.other_info.security_level = "Mật";
  requireRefusal(client->request("POST", "/api/v1/documents", n.sign(pkg)), 422,
                 "secrecy_refused");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses an unsigned package when the policy requires signatures, with the report") {
  OneNode n(/*allow_unsigned=*/false);
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto r = client->request("POST", "/api/v1/documents", testPackage(kProvince, {kDistrictA}, 8).serialize());
  requireRefusal(r, 422, "signature_invalid");
  auto obj = parseJson(r->body);
  REQUIRE(obj->has("report"));
  CHECK(obj->getObject("report")->getValue<bool>("signed") == false);
  CHECK(n.messages() == 0);
}

TEST_CASE("intake answers a repeated package with 200 and the first id, and different bytes with 409") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 9);
  const std::string body = n.sign(pkg);
  auto first = client->request("POST", "/api/v1/documents", body);
  REQUIRE(first);
  REQUIRE(first->status == 202);
  const auto id = parseJson(first->body)->getValue<std::int64_t>("id");
  auto again = client->request("POST", "/api/v1/documents", body);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(parseJson(again->body)->getValue<std::int64_t>("id") == id);
  CHECK(parseJson(again->body)->getValue<std::string>("result") == "duplicate");
  pkg.header.subject = "Nội dung khác";
  requireRefusal(client->request("POST", "/api/v1/documents", n.sign(pkg)), 409, "conflict");
  CHECK(n.messages() == 1);
  CHECK(n.node->store().deliveriesOf(id)->size() == 1);
}

TEST_CASE("intake refuses a recipient the directory does not know with 422 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  requireRefusal(client->request("POST", "/api/v1/documents",
                                 n.sign(testPackage(kProvince, {kDistrictA, "000.09.99.H41"}, 10))),
                 422, "unknown_unit");
  CHECK(n.messages() == 0);
}

TEST_CASE("the API refuses an auditor posting documents with 403 and unknown routes with 404") {
  OneNode n;
  auto files = n.pki.issue("inspector", Role::Auditor);
  auto client = std::move(*HttpsClient::open(n.node->url(), *files, 5000));
  requireRefusal(client->request("POST", "/api/v1/documents",
                                 n.sign(testPackage(kProvince, {kDistrictA}, 11))),
                 403, "forbidden");
  requireRefusal(client->request("GET", "/api/v1/nothing"), 404, "not_found");
  CHECK(n.messages() == 0);
}

TEST_CASE("healthz and metrics answer without a credential; metrics count intake by result") {
  OneNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  REQUIRE(office->request("POST", "/api/v1/documents", n.sign(testPackage(kProvince, {kDistrictA}, 12)))->status == 202);
  REQUIRE(office->request("POST", "/api/v1/documents", "<x")->status == 400);
  auto client = anonymousClient(n.pki, n.node->url());
  auto h = client->request("GET", "/healthz");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(parseJson(h->body)->getValue<std::string>("node") == "province");
  CHECK(parseJson(h->body)->getValue<int>("pending") == 1);
  auto m = client->request("GET", "/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->body.find("lienthong_intake_total{result=\"accepted\"} 1\n") != std::string::npos);
  CHECK(m->body.find("lienthong_intake_total{result=\"refused\",status=\"400\"} 1\n") != std::string::npos);
  CHECK(m->body.find("lienthong_queue_depth 1\n") != std::string::npos);
}

TEST_CASE("intake accepts an unsigned package only when the policy allows unsigned messages") {
  OneNode n(/*allow_unsigned=*/true);
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto r = client->request("POST", "/api/v1/documents", testPackage(kProvince, {kDistrictA}, 20).serialize());
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 202);
  CHECK(n.messages() == 1);
}

TEST_CASE("intake refuses a tampered signed package with 422, HASH_FAILURE in the report, nothing stored") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  std::string body = n.sign(testPackage(kProvince, {kDistrictA}, 21));
  const auto at = body.find("<edXML:Subject>") + std::string("<edXML:Subject>").size();
  body.insert(at, "Sửa: ");
  auto r = client->request("POST", "/api/v1/documents", body);
  requireRefusal(r, 422, "signature_invalid");
  auto report = parseJson(r->body)->getObject("report");
  CHECK(report->getValue<std::string>("indication") == "TOTAL_FAILED");
  CHECK(report->getValue<std::string>("sub_indication") == "HASH_FAILURE");
  CHECK(n.messages() == 0);
  CHECK(n.audit() == 0);
}

TEST_CASE("intake refuses a package signed by another unit's seal with 422 and the signer in the report") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  // Signed by the district's seal but From the province.
  const std::string body = n.signers.sign(kDistrictA, testPackage(kProvince, {kDistrictB}, 22).serialize());
  auto r = client->request("POST", "/api/v1/documents", body);
  requireRefusal(r, 422, "certificate_invalid");
  auto obj = parseJson(r->body);
  CHECK(obj->getValue<std::string>("message").find("signed by " + std::string(kDistrictA)) != std::string::npos);
  auto report = obj->getObject("report");
  CHECK(report->getValue<std::string>("indication") == "TOTAL_PASSED");
  CHECK(report->getObject("signer")->getValue<std::string>("organ_id") == kDistrictA);
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses a package signed under a CA the node does not trust with 422 and a chain failure") {
  OneNode n;
  TempDir other;
  DevPki stranger = *DevPki::open((other.path() / "pki").string());
  OfficeSigners foreign(stranger);
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto r = client->request("POST", "/api/v1/documents",
                           foreign.sign(kProvince, testPackage(kProvince, {kDistrictA}, 23).serialize()));
  requireRefusal(r, 422, "certificate_invalid");
  // The stranger's CA has the same name as the node's (both "Lienthong dev CA"), so a path is
  // built to the node's anchor and its signature check fails.
  auto report = parseJson(r->body)->getObject("report");
  CHECK(report->getValue<std::string>("indication") == "INDETERMINATE");
  CHECK(report->getValue<std::string>("sub_indication") == "CERTIFICATE_CHAIN_GENERAL_FAILURE");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake accepts a signed package and reports revocation as not checked when the certificate names no source") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto r = client->request("POST", "/api/v1/documents", n.sign(testPackage(kProvince, {kDistrictA}, 24)));
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == 202);
  CHECK(n.messages() == 1);
}

// Issue 14: codes compare case-insensitively; the delivery is stored under the directory's
// spelling, once, so the unit's mailbox finds it.
TEST_CASE("intake routes a recipient written in lower case, once, under the directory's spelling") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto r = client->request("POST", "/api/v1/documents",
                           n.sign(testPackage(kProvince, {"000.00.31.h41", kDistrictA, "h41.31"}, 30)));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  auto obj = parseJson(r->body);
  CHECK(obj->getValue<int>("deliveries") == 1);
  auto ds = n.node->store().deliveriesOf(obj->getValue<std::int64_t>("id"));
  REQUIRE(ds);
  REQUIRE(ds->size() == 1);
  CHECK((*ds)[0].recipient == kDistrictA);
  auto w = obj->getArray("warnings");
  bool duplicate = false;
  for (std::size_t i = 0; i < w->size(); ++i) {
    duplicate = duplicate || w->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") == "duplicate_recipient";
  }
  CHECK(duplicate);
}

TEST_CASE("the mailbox filters by a delivery state it knows; an unknown one is refused with 400 and the states it knows") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  auto ok = client->request("GET", "/api/v1/mailbox?state=delivered");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  auto bad = client->request("GET", "/api/v1/mailbox?state=deliverd");
  REQUIRE(bad);
  INFO(bad->body);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("'deliverd' is not a delivery state (pending, delivered, paper, failed") != std::string::npos);
}
