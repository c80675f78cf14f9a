// A node whose directory gives its units a webhook or a folder channel: deliveries go through the
// unit's adapter (factory.h) and what the office's DMS puts out is polled, run through intake and
// settled, with real servers on loopback and real folders.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <thread>

#include "adapters/support.h"
#include "gateway/gateway_fixture.h"
#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/hmac.h"
#include "lienthong/adapters/webhook_adapter.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

// The three-node tree with commune A1 (homed at district-a) on `channel` with `settings`.
std::shared_ptr<const schemas::Directory> directoryWith(schemas::Channel channel,
                                                        std::map<std::string, std::string> settings) {
  return directoryWithA1("test-adapters", channel, std::move(settings));
}

struct AdapterNode {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::unique_ptr<Node> node;

  explicit AdapterNode(std::shared_ptr<const schemas::Directory> dir,
                       const std::function<void(NodeConfig&, const fs::path&)>& tune = {}) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, "district-a", 0);
    c.adapter_poll_ms = 50;
    if (tune) tune(c, tmp.path());
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(std::move(dir));
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    node = std::move(*n);
  }

  std::string statusOf(const std::string& sender, const std::string& doc_id, const std::string& to) {
    auto c = officeClient(pki, sender, node->url());
    auto r = c->request("GET", "/api/v1/documents/" + urlEncode(doc_id) + "?sender=" + sender);
    if (!r || r->status != 200) return {};
    Poco::JSON::Parser p;
    auto o = p.parse(r->body).extract<Poco::JSON::Object::Ptr>();
    auto arr = o->getArray("recipients");
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto x = arr->getObject(static_cast<unsigned>(i));
      if (x->getValue<std::string>("organ_id") == to) return x->getValue<std::string>("status");
    }
    return {};
  }
};

}  // namespace

TEST_CASE("adapters: a webhook unit receives the package once with a valid HMAC and the sender gets 01") {
  adapters_test::Recorder recorder;
  adapters_test::LoopbackServer server(new adapters_test::RecordingFactory(recorder));
  const std::string secret = "webhook-secret-0123456789";
  AdapterNode n(directoryWith(schemas::Channel::Webhook,
                              {{"url", server.url("/dms/inbox")}, {"secret", secret}}));
  auto p = testPackage(kDistrictA, {kCommuneA1}, 31);
  const std::string bytes = n.signers.sign(kDistrictA, p.serialize());
  auto client = officeClient(n.pki, kDistrictA, n.node->url());
  auto r = client->request("POST", "/api/v1/documents", bytes);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return n.statusOf(kDistrictA, p.documentId(), kCommuneA1) == "01"; }));
  // Nothing is left to hand over (a delivery being tried still counts as pending), so a second
  // hand-over cannot come.
  REQUIRE(waitFor([&] { return n.node->store().counts()->pending == 0; }));
  const auto seen = recorder.snapshot();
  REQUIRE(seen.size() == 1);
  const auto& s = seen[0];
  CHECK(s.method == "POST");
  CHECK(s.uri == "/dms/inbox");
  CHECK(s.body == bytes);
  CHECK(s.headers.at(std::string(adapters::kHeaderRecipient)) == kCommuneA1);
  CHECK(s.headers.at(std::string(adapters::kHeaderKind)) == "document");
  const std::string ts = s.headers.at(std::string(adapters::kHeaderTimestamp));
  const std::string delivery = s.headers.at(std::string(adapters::kHeaderDelivery));
  CHECK(s.headers.at(std::string(adapters::kHeaderSignature)) ==
        "sha256=" + adapters::hmacSha256Hex(secret, ts + "." + delivery + "." + s.body));
}

TEST_CASE("adapters: a recall request reaches a webhook unit's DMS as a status; the node does not answer for it, the DMS's 15 goes back") {
  adapters_test::Recorder recorder;
  adapters_test::LoopbackServer server(new adapters_test::RecordingFactory(recorder));
  AdapterNode n(directoryWith(schemas::Channel::Webhook,
                              {{"url", server.url("/dms/inbox")}, {"secret", "webhook-secret-0123456789"}}));
  auto p = testPackage(kDistrictA, {kCommuneA1}, 32);
  auto district = officeClient(n.pki, kDistrictA, n.node->url());
  auto r = district->request("POST", "/api/v1/documents", n.signers.sign(kDistrictA, p.serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return n.statusOf(kDistrictA, p.documentId(), kCommuneA1) == "01"; }));

  auto recall = schemas::sample::status(p, kDistrictA, schemas::StatusCode::RecallRequested);
  const std::string recall_bytes = n.signers.sign(kDistrictA, recall.serialize(false));
  r = district->request("POST", "/api/v1/statuses", recall_bytes);
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return recorder.snapshot().size() == 2; }));
  const auto seen = recorder.snapshot();
  CHECK(seen[1].headers.at(std::string(adapters::kHeaderKind)) == "status");
  CHECK(seen[1].body == recall_bytes);
  // The recall's hand-over is finished and nothing is pending: an answer of the node's own would
  // have been stored with it.
  REQUIRE(waitFor([&] { return n.node->store().counts()->pending == 0; }));
  CHECK(n.statusOf(kDistrictA, p.documentId(), kCommuneA1) == "01");

  // The DMS agrees through the API, as the commune's office.
  auto agreed = schemas::sample::status(p, kCommuneA1, schemas::StatusCode::RecallAgreed);
  r = officeClient(n.pki, kCommuneA1, n.node->url())
          ->request("POST", "/api/v1/statuses", n.signers.sign(kCommuneA1, agreed.serialize(false)));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(waitFor([&] { return n.statusOf(kDistrictA, p.documentId(), kCommuneA1) == "15"; }));
}

TEST_CASE("adapters: a bad adapter setting stops the node naming the unit and the setting") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  NodeConfig c = testNodeConfig(tmp.path(), pki, "district-a", 0);
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(directoryWith(schemas::Channel::Webhook, {{"secret", "webhook-secret-0123456789"}}));
  auto node = Node::start(c, std::move(o));
  REQUIRE_FALSE(node);
  CHECK(node.error().code == ErrorCode::Config);
  INFO(node.error().message);
  CHECK(node.error().message.find("(webhook): setting 'url' is missing") != std::string::npos);
  CHECK((node.error().message.find("H41.31.01") != std::string::npos ||
         node.error().message.find(kCommuneA1) != std::string::npos));
}

TEST_CASE("adapters: a folder unit's signed package dropped into in/ is accepted and delivered; a malformed one is rejected with .error.json") {
  adapters_test::TempDir folder;
  AdapterNode n(directoryWith(schemas::Channel::Folder,
                              {{"path", folder.path().string()}, {"quiet_ms", "0"}}));
  const fs::path in = folder.path() / "in";
  REQUIRE(waitFor([&] { return fs::exists(in); }));
  auto p = testPackage(kCommuneA1, {kDistrictA}, 41);
  adapters_test::writeFile(in / "qd-41.edxml.part", n.signers.sign(kCommuneA1, p.serialize()));
  fs::rename(in / "qd-41.edxml.part", in / "qd-41.edxml");
  adapters_test::writeFile(in / "bad.edxml.part", "<not-edxml>");
  fs::rename(in / "bad.edxml.part", in / "bad.edxml");

  // Accepted and delivered to the district's mailbox; 01 goes back to the commune (its out/).
  REQUIRE(waitFor([&] {
    auto m = n.node->store().mailbox(kDistrictA, {});
    return m && m->size() == 1 && m->front().document_id == p.documentId();
  }));
  CHECK(waitFor([&] { return !fs::exists(in / "qd-41.edxml"); }));
  CHECK(waitFor([&] {
    for (const auto& name : adapters_test::names(folder.path() / "out")) {
      if (name.find("-status-") != std::string::npos) return true;
    }
    return false;
  }));
  REQUIRE(waitFor([&] { return fs::exists(folder.path() / "rejected" / "bad.edxml.error.json"); }));
  CHECK(fs::exists(folder.path() / "rejected" / "bad.edxml"));
  CHECK_FALSE(fs::exists(in / "bad.edxml"));

  // A document to the commune lands in out/ under its delivery id.
  auto q = testPackage(kDistrictA, {kCommuneA1}, 42);
  auto client = officeClient(n.pki, kDistrictA, n.node->url());
  auto r = client->request("POST", "/api/v1/documents", n.signers.sign(kDistrictA, q.serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(waitFor([&] {
    for (const auto& name : adapters_test::names(folder.path() / "out")) {
      if (name.find("-document-") != std::string::npos) return true;
    }
    return false;
  }));
  CHECK(waitFor([&] { return n.statusOf(kDistrictA, q.documentId(), kCommuneA1) == "01"; }));
}

TEST_CASE("adapters: an axis client sends into the node as its unit, then lists, fetches and settles what the unit received") {
  const std::string secret = "axis-secret-0123456789";
  AdapterNode n(threeNodeDirectory({}), [&](NodeConfig& c, const fs::path& dir) {
    adapters_test::writeFile(dir / "axis-quynh-thang.secret", secret + "\n");
    c.axis_clients.push_back({"quynh-thang", {kCommuneA1}, (dir / "axis-quynh-thang.secret").string(), {}});
  });
  adapters::AxisClientSettings settings;
  settings.url = n.node->url() + "/axis";
  settings.client_id = "quynh-thang";
  settings.secret = secret;
  settings.organ_ids = {};  // a DMS's own system: everything listed for it
  settings.ca_file = n.pki.caFile();
  auto client = adapters::AxisClient::create(settings, adapters_test::schemaSet());
  if (!client) FAIL(client.error().describe());

  // sendEdoc: intake as the commune, delivered to the district's mailbox.
  auto p = testPackage(kCommuneA1, {kDistrictA}, 51);
  const std::string bytes = n.signers.sign(kCommuneA1, p.serialize());
  const auto sent = (*client)->deliver(adapters::Delivery{7, kDistrictA, kCommuneA1, p.documentId(),
                                                          schemas::MessageKind::Document, bytes});
  INFO(sent.error.describe());
  REQUIRE(sent.ok());
  CHECK(waitFor([&] {
    auto m = n.node->store().mailbox(kDistrictA, {});
    return m && m->size() == 1 && m->front().document_id == p.documentId();
  }));

  // The district writes to the commune: the axis client collects it, and "done" acknowledges it.
  auto q = testPackage(kDistrictA, {kCommuneA1}, 52);
  const std::string q_bytes = n.signers.sign(kDistrictA, q.serialize());
  auto office = officeClient(n.pki, kDistrictA, n.node->url());
  auto r = office->request("POST", "/api/v1/documents", q_bytes);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] {
    auto m = n.node->store().mailbox(kCommuneA1, {DeliveryState::Delivered});
    return m && m->size() == 1;
  }));
  // The list now carries statuses too (VXP lists messagetype=status): the node's 01 for the
  // commune's own package p comes after the district's package q (documents are listed first).
  auto items = (*client)->poll(10);
  if (!items) FAIL(items.error().describe());
  REQUIRE(items->size() == 2);
  CHECK(items->front().bytes == q_bytes);
  CHECK(items->front().document_id == q.documentId());
  CHECK(items->back().kind == schemas::MessageKind::Status);
  CHECK(items->back().document_id == p.documentId());
  for (const auto& item : *items) REQUIRE((*client)->settle(item.ref, adapters::Verdict::accept()));
  auto m = n.node->store().mailbox(kCommuneA1, {});
  REQUIRE(m);
  REQUIRE(m->size() == 1);
  CHECK(m->front().delivery.state == DeliveryState::Acknowledged);
  auto again = (*client)->poll(10);
  REQUIRE(again);
  CHECK(again->empty());
}
