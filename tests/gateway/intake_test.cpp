// Intake refusals over HTTPS against one real node: each refusal's HTTP status, its JSON error,
// and that nothing was stored.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/auth.h"

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
  std::unique_ptr<Node> node;

  explicit OneNode(bool allow_unsigned = true) {
    const int port = freePort();
    NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
    c.allow_unsigned = allow_unsigned;  // stated: these tests send unsigned sample packages
    c.http.max_body = 256 * 1024;
    NodeOptions o;
    o.directory = threeNodeDirectory({{"province", port}});
    o.start_dispatcher = false;  // intake only: deliveries stay as stored
    auto n = Node::start(c, std::move(o));
    REQUIRE(n);
    node = std::move(*n);
  }

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
  auto r = client->request("POST", "/api/v1/documents", pkg.serialize());
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
  CHECK((*ds)[0].state == "pending");
  CHECK((*ds)[1].route == RouteKind::Paper);
  CHECK((*ds)[1].state == "paper");
  auto stored = n.node->store().message(id);
  REQUIRE(stored);
  CHECK(stored->bytes == pkg.serialize());  // the bytes exactly as received
  CHECK(n.audit() == 1);
}

TEST_CASE("intake refuses a body over the size limit with 413 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  std::string big = testPackage(kProvince, {kDistrictA}, 2).serialize();
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
  std::string bytes = testPackage(kProvince, {kDistrictA}, 4).serialize();
  const auto a = bytes.find("<edXML:Code>");
  const std::string close = "</edXML:Code>";
  const auto b = bytes.find(close) + close.size();
  bytes.replace(a, b - a, "<edXML:Bogus>1</edXML:Bogus>");
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
                                 testPackage(kProvince, {kDistrictB}, 5).serialize()),
                 403, "forbidden");
  CHECK(n.messages() == 0);
}

TEST_CASE("intake refuses a bearer token for another unit with 403 and a bad token with 401") {
  OneNode n;
  auto client = anonymousClient(n.pki, n.node->url());
  const std::string body = testPackage(kProvince, {kDistrictB}, 6).serialize();
  requireRefusal(client->request("POST", "/api/v1/documents", body), 401, "unauthorized");
  client->setBearer(makeJwt(kCommuneA1, Role::Office, "test-secret-0123456789", 60));
  requireRefusal(client->request("POST", "/api/v1/documents", body), 403, "forbidden");
  client->setBearer(makeJwt(kProvince, Role::Office, "another-secret-0123456789", 60));
  requireRefusal(client->request("POST", "/api/v1/documents", body), 401, "unauthorized");
  CHECK(n.messages() == 0);
  client->setBearer(makeJwt(kProvince, Role::Office, "test-secret-0123456789", 60));
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
  requireRefusal(client->request("POST", "/api/v1/documents", pkg.serialize()), 422,
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
  auto first = client->request("POST", "/api/v1/documents", pkg.serialize());
  REQUIRE(first);
  REQUIRE(first->status == 202);
  const auto id = parseJson(first->body)->getValue<std::int64_t>("id");
  auto again = client->request("POST", "/api/v1/documents", pkg.serialize());
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(parseJson(again->body)->getValue<std::int64_t>("id") == id);
  CHECK(parseJson(again->body)->getValue<std::string>("result") == "duplicate");
  pkg.header.subject = "Nội dung khác";
  requireRefusal(client->request("POST", "/api/v1/documents", pkg.serialize()), 409, "conflict");
  CHECK(n.messages() == 1);
  CHECK(n.node->store().deliveriesOf(id)->size() == 1);
}

TEST_CASE("intake refuses a recipient the directory does not know with 422 and stores nothing") {
  OneNode n;
  auto client = officeClient(n.pki, kProvince, n.node->url());
  requireRefusal(client->request("POST", "/api/v1/documents",
                                 testPackage(kProvince, {kDistrictA, "000.09.99.H41"}, 10).serialize()),
                 422, "unknown_unit");
  CHECK(n.messages() == 0);
}

TEST_CASE("the API refuses an auditor posting documents with 403 and unknown routes with 404") {
  OneNode n;
  auto files = n.pki.issue("inspector", Role::Auditor);
  auto client = std::move(*HttpsClient::open(n.node->url(), *files, 5000));
  requireRefusal(client->request("POST", "/api/v1/documents",
                                 testPackage(kProvince, {kDistrictA}, 11).serialize()),
                 403, "forbidden");
  requireRefusal(client->request("GET", "/api/v1/nothing"), 404, "not_found");
  CHECK(n.messages() == 0);
}

TEST_CASE("healthz and metrics answer without a credential; metrics count intake by result") {
  OneNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  REQUIRE(office->request("POST", "/api/v1/documents", testPackage(kProvince, {kDistrictA}, 12).serialize())->status == 202);
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
