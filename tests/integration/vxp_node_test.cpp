// A real node speaking VXP at https://HOST:PORT/axis to the independent SDK-style test client
// (support/vxp_client.h) over TLS without a client certificate: system A sends a package to a
// unit of system B; B lists it, fetches it (the file parses), settles it done; A lists a status
// back. Refusals store nothing. Then two nodes, one the VXP client of the other.
#include <Poco/JSON/Object.h>

#include <catch2/catch.hpp>

#include <sstream>

#include "adapters/support.h"
#include "gateway/gateway_fixture.h"
#include "support/vxp_client.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

constexpr const char* kSystemA = "vxp.huyen.quynhluu";  // serves the district
constexpr const char* kSystemB = "vxp.xa.quynhthang";   // serves the commune
const std::string kSecretA = "secret-of-system-a-0123";
const std::string kSecretB = "secret-of-system-b-4567";

struct VxpNode {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::ostringstream log;  // read only after node->stop()
  std::unique_ptr<Node> node;

  explicit VxpNode(const std::function<void(NodeConfig&)>& tune = {}) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, "district-a", 0);
    adapters_test::writeFile(tmp.path() / "a.secret", kSecretA + "\n");
    adapters_test::writeFile(tmp.path() / "b.secret", kSecretB);
    c.axis_clients.push_back({kSystemA, {kDistrictA}, (tmp.path() / "a.secret").string(), {}});
    c.axis_clients.push_back({kSystemB, {"H41.31.01"}, (tmp.path() / "b.secret").string(), {}});
    if (tune) tune(c);
    NodeOptions o;
    o.log = &log;
    o.directory = schemas::LiveDirectory::make(threeNodeDirectory({}));
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    node = std::move(*n);
  }
  std::string endpoint() const { return node->url() + "/axis"; }
  vxp_test::SdkClient sdk(const char* system, const std::string& secret, unsigned seed) const {
    return vxp_test::SdkClient(endpoint(), system, secret, pki.caFile(), seed);
  }
  std::int64_t messages() {
    auto c = node->store().counts();
    return c ? c->messages : -1;
  }
};

std::string itemField(const vxp_test::Reply& r, std::size_t i, const std::string& key) {
  return r.data()->getObject(static_cast<unsigned>(i))->get(key).convert<std::string>();
}

}  // namespace

TEST_CASE("vxp: system A sends to a unit of system B through the node; B lists, fetches, settles done; A lists a status back") {
  VxpNode n;
  auto a = n.sdk(kSystemA, kSecretA, 11);
  auto b = n.sdk(kSystemB, kSecretB, 12);
  auto p = testPackage(kDistrictA, {kCommuneA1}, 61);
  const std::string file = n.signers.sign(kDistrictA, p.serialize());

  auto sent = a.sendEdoc({{"from", kDistrictA}, {"servicetype", "eDoc"}, {"messagetype", "edoc"}}, file);
  INFO(sent.body);
  REQUIRE(sent.ok());
  const std::string doc_id = sent.field("DocId");
  CHECK(!doc_id.empty());
  auto again = a.sendEdoc({{"from", kDistrictA}, {"servicetype", "eDoc"}, {"messagetype", "edoc"}}, file);
  REQUIRE(again.ok());
  CHECK(again.field("DocId") == doc_id);  // a repeat answers the first DocId

  // B: the list, the file, the receipt.
  vxp_test::Reply list;
  REQUIRE(waitFor([&] {
    list = b.formCall("/getReceivedEdocList", {{"servicetype", "eDoc"}, {"messagetype", "edoc"}});
    return list.ok() && list.data() && list.data()->size() == 1;
  }));
  CHECK(itemField(list, 0, "from") == kDistrictA);
  CHECK(itemField(list, 0, "to") == kCommuneA1);
  CHECK(itemField(list, 0, "messageType") == "edoc");
  CHECK(itemField(list, 0, "serviceType") == "eDoc");
  CHECK(itemField(list, 0, "status") == "initial");
  const std::string item = itemField(list, 0, "docId");
  CHECK(b.jsonCall("/countReceiveEdoc", {}).field("count") == "1");
  auto got = b.jsonCall("/getEdoc", {{"filePath", "xml"}, {"docId", item}});
  REQUIRE(got.ok());
  CHECK(got.file() == file);
  auto parsed = schemas::Package::parse(got.file(), nullptr);
  REQUIRE(parsed);
  CHECK(parsed->documentId() == p.documentId());
  // A cannot fetch or settle B's item.
  CHECK(a.jsonCall("/getEdoc", {{"docId", item}}).code() == "41");
  CHECK(a.jsonCall("/updateStatus", {{"docId", item}, {"status", "done"}}).code() == "41");
  auto processing = b.jsonCall("/updateStatus", {{"docId", item}, {"status", "processing"}});
  REQUIRE(processing.ok());
  auto still = b.formCall("/getReceivedEdocList", {{"messagetype", "edoc"}});
  REQUIRE(still.data()->size() == 1);
  CHECK(itemField(still, 0, "status") == "processing");
  auto done = b.jsonCall("/updateStatus", {{"docId", item}, {"status", "done"}});
  REQUIRE(done.ok());
  auto d = n.node->store().delivery(std::stoll(item));
  REQUIRE(d);
  CHECK(d->state == DeliveryState::Acknowledged);
  CHECK(b.formCall("/getReceivedEdocList", {{"messagetype", "edoc"}}).data()->size() == 0);
  CHECK(b.jsonCall("/countReceiveEdoc", {}).field("count") == "0");

  // B answers with an edXML status 03 through sendEdoc, messagetype=status.
  auto accepted = schemas::sample::status(p, kCommuneA1, schemas::StatusCode::Accepted);
  const std::string status_file = n.signers.sign(kCommuneA1, accepted.serialize(false));
  auto status_sent = b.sendEdoc({{"from", kCommuneA1}, {"servicetype", "eDoc"}, {"messagetype", "status"}},
                                status_file);
  // Without messagetype the node goes by what the file is (here: a repeat of the same status).
  vxp_test::SdkClient fresh = n.sdk(kSystemB, kSecretB, 13);
  auto no_type = fresh.sendEdoc({{"from", kCommuneA1}}, status_file);
  INFO(no_type.body);
  CHECK(no_type.ok());
  CHECK(no_type.field("DocId") == status_sent.field("DocId"));
  INFO(status_sent.body);
  REQUIRE(status_sent.ok());

  // A: the statuses back (01 from the node when the package reached B's unit, then B's 03).
  vxp_test::Reply statuses;
  REQUIRE(waitFor([&] {
    statuses = a.formCall("/getReceivedEdocList", {{"servicetype", "eDoc"}, {"messagetype", "status"}});
    return statuses.ok() && statuses.data() && statuses.data()->size() == 2;
  }));
  std::vector<int> codes;
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(itemField(statuses, i, "messageType") == "status");
    auto s = a.jsonCall("/getEdoc", {{"docId", itemField(statuses, i, "docId")}});
    REQUIRE(s.ok());
    auto st = schemas::StatusMessage::parse(s.file(), nullptr);
    REQUIRE(st);
    CHECK(st->response_for.document_id == p.documentId());
    codes.push_back(static_cast<int>(st->status));
    REQUIRE(a.jsonCall("/updateStatus", {{"docId", itemField(statuses, i, "docId")}, {"status", "done"}}).ok());
  }
  std::sort(codes.begin(), codes.end());
  CHECK(codes == std::vector<int>{1, 3});
  CHECK(a.jsonCall("/countReceiveStatus", {}).field("count") == "0");

  // A's view of what it sent: one row per recipient, with B's latest status.
  auto sent_list = a.formCall("/getSentEdocList", {{"servicetype", "eDoc"}, {"docId", doc_id}});
  INFO(sent_list.body);
  REQUIRE(sent_list.ok());
  REQUIRE(sent_list.data()->size() == 1);
  CHECK(itemField(sent_list, 0, "toCode") == kCommuneA1);
  CHECK(itemField(sent_list, 0, "fromCode") == kDistrictA);
  CHECK(itemField(sent_list, 0, "receiverDocId") == item);
  CHECK(itemField(sent_list, 0, "receiveStatus") == "03");
  CHECK(itemField(sent_list, 0, "notation") == "61/CV-UBND");
  CHECK(b.formCall("/getSentEdocList", {{"docId", doc_id}}).code() == "41");

  // The directory as agencies; registration refused.
  auto agencies = a.formCall("/getAgenciesList", {});
  REQUIRE(agencies.ok());
  CHECK(agencies.data()->size() == 6);
  auto qd20 = a.formCall("/getAgenciesListQD20", {{"level", "3"}});
  REQUIRE(qd20.ok());
  REQUIRE(qd20.data()->size() == 3);
  bool found = false;
  for (std::size_t i = 0; i < qd20.data()->size(); ++i) {
    if (itemField(qd20, i, "code") == "H41.31.01") found = itemField(qd20, i, "code102") == kCommuneA1;
  }
  CHECK(found);
  auto reg = a.jsonCall("/registerAgency", {});
  CHECK(reg.status() == "FAIL");
  CHECK(reg.code() == "27");
}

TEST_CASE("vxp: refusals answer FAIL with their ErrorCode and store nothing") {
  VxpNode n;
  auto p = testPackage(kDistrictA, {kCommuneA1}, 62);
  const std::string file = n.signers.sign(kDistrictA, p.serialize());
  const vxp_test::SdkClient::Fields header = {{"from", kDistrictA}, {"servicetype", "eDoc"}, {"messagetype", "edoc"}};
  const auto before = n.messages();

  auto wrong = n.sdk(kSystemA, "not-the-secret-of-a-000", 21).sendEdoc(header, file);
  CHECK(wrong.status() == "FAIL");
  CHECK(wrong.code() == "13");
  auto unknown = n.sdk("vxp.nobody", kSecretA, 22).sendEdoc(header, file);
  CHECK(unknown.code() == "12");
  CHECK(unknown.desc().find("vxp.nobody") != std::string::npos);
  auto not_served = n.sdk(kSystemB, kSecretB, 23).sendEdoc(header, file);
  CHECK(not_served.code() == "21");
  auto other_hash = n.sdk(kSystemA, kSecretA, 24).sendEdoc(header, file, vxp_test::sdkHashFile(file + "x"));
  CHECK(other_hash.code() == "24");
  // `from` served by the system but not the package's From.
  auto q = testPackage(kCommuneA1, {kDistrictA}, 63);
  auto mismatch = n.sdk(kSystemA, kSecretA, 25).sendEdoc(header, n.signers.sign(kCommuneA1, q.serialize()));
  CHECK(mismatch.code() == "22");
  // Intake in full: an unsigned package and a schema violation are refused as anywhere else.
  auto unsigned_pkg = n.sdk(kSystemA, kSecretA, 26).sendEdoc(header, p.serialize());
  CHECK(unsigned_pkg.code() == "32");
  auto not_edxml = n.sdk(kSystemA, kSecretA, 27).sendEdoc(header, "<edXMLEnvelope/>");
  CHECK(not_edxml.code() == "31");
  CHECK(n.messages() == before);
  n.node->stop();  // the refusals are in the node's log
  const std::string log = n.log.str();
  CHECK(log.find(R"("event":"axis refused")") != std::string::npos);
  CHECK(log.find("/axis/sendEdoc from system 'vxp.nobody': ErrorCode 12") != std::string::npos);
}

TEST_CASE("vxp: axis.http_listen serves /axis over plain HTTP on loopback; axis.sources limits a system's addresses") {
  VxpNode n([](NodeConfig& c) {
    c.axis_http_host = "127.0.0.1";
    c.axis_http_port = 0;
    c.axis_clients[1].sources = {"10.0.0.0/8"};
  });
  REQUIRE(n.node->axisHttpPort() > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(n.node->axisHttpPort()) + "/axis";
  vxp_test::SdkClient a(url, kSystemA, kSecretA, "", 31);
  auto count = a.jsonCall("/countReceiveEdoc", {});
  INFO(count.body);
  CHECK(count.ok());
  vxp_test::SdkClient slash(url + "/", kSystemA, kSecretA, "", 34);  // service.endpoint ending in '/'
  CHECK(slash.jsonCall("/countReceiveEdoc", {}).ok());
  vxp_test::SdkClient b(url, kSystemB, kSecretB, "", 32);
  CHECK(b.jsonCall("/countReceiveEdoc", {}).code() == "14");
  CHECK(n.sdk(kSystemB, kSecretB, 33).jsonCall("/countReceiveEdoc", {}).code() == "14");
}

TEST_CASE("vxp: a bad axis.* setting stops the configuration with the key named") {
  TempDir tmp;
  adapters_test::writeFile(tmp.path() / "s.secret", kSecretA);
  const auto load = [&](const std::string& lines) {
    adapters_test::writeFile(tmp.path() / "node.conf", lines);
    return loadConfig((tmp.path() / "node.conf").string());
  };
  auto ok = load("axis.clients = vxp.a:000.00.31.H41|000.01.31.H41:s.secret\naxis.sources = vxp.a:10.0.0.1|10.2.0.0/16\n");
  REQUIRE(ok);
  REQUIRE(ok->axis_clients.size() == 1);
  CHECK(ok->axis_clients[0].units == std::vector<std::string>{kDistrictA, kCommuneA1});
  CHECK(ok->axis_clients[0].sources == std::vector<std::string>{"10.0.0.1", "10.2.0.0/16"});
  auto remote = load("axis.clients = vxp.a:000.00.31.H41:s.secret\naxis.http_listen = 0.0.0.0:8080\n");
  REQUIRE_FALSE(remote);
  CHECK(remote.error().message.find("axis.http_listen: plain HTTP is served on a loopback address only") !=
        std::string::npos);
  auto stray = load("axis.clients = vxp.a:000.00.31.H41:s.secret\naxis.sources = vxp.b:10.0.0.1\n");
  REQUIRE_FALSE(stray);
  CHECK(stray.error().message.find("axis.sources: system 'vxp.b' is not in axis.clients") != std::string::npos);
  auto bad_source = load("axis.clients = vxp.a:000.00.31.H41:s.secret\naxis.sources = vxp.a:10.0.0.300\n");
  REQUIRE_FALSE(bad_source);
  CHECK(bad_source.error().message.find("'10.0.0.300' is not an IP address") != std::string::npos);
  auto shape = load("axis.clients = vxp.a:s.secret\n");
  REQUIRE_FALSE(shape);
  CHECK(shape.error().message.find("SYSTEMID:ORGANID[|ORGANID...]:SECRET_FILE") != std::string::npos);
}

TEST_CASE("vxp: two nodes, the province node a VXP client of the other node's axis, both ways") {
  constexpr const char* kCentral = "000.00.00.G22";
  const std::string secret = "province-at-axis-secret-01";
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  using schemas::Channel;

  // The axis node: the central unit, and the province as a unit of system vxp.h41.
  NodeConfig ac = testNodeConfig(tmp.path(), pki, "national", 0);
  auto seal = pki.issueSeal(kCentral, "Văn phòng Chính phủ", "seal-node-national-g22");
  ac.signing_key = seal->key;
  ac.signing_cert = seal->cert;
  adapters_test::writeFile(tmp.path() / "h41.secret", secret);
  ac.axis_clients.push_back({"vxp.h41", {kProvince}, (tmp.path() / "h41.secret").string(), {}});
  auto axis_dir = schemas::Directory::fromUnits(
      "axis-1", {{"national", "", ""}},
      {{"G22", kCentral, "Văn phòng Chính phủ", "", 1, "2019-01-01", "", "", "national", Channel::Mailbox, {}},
       {"H41", kProvince, "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "national", Channel::Mailbox, {}}});
  REQUIRE(axis_dir);
  NodeOptions ao;
  ao.directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*axis_dir)));
  auto axis_node = Node::start(ac, std::move(ao));
  if (!axis_node) FAIL(axis_node.error().describe());

  // The province node: the central unit is reached through the axis.
  NodeConfig pc = testNodeConfig(tmp.path(), pki, "province", 0);
  pc.adapter_poll_ms = 50;
  auto province_dir = schemas::Directory::fromUnits(
      "province-1", {{"province", "", ""}},
      {{"H41", kProvince, "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "province", Channel::Mailbox, {}},
       {"G22", kCentral, "Văn phòng Chính phủ", "", 1, "2019-01-01", "", "", "province", Channel::Axis,
        {{"url", (*axis_node)->url() + "/axis"}, {"client_id", "vxp.h41"}, {"secret", secret},
         {"ca_file", pki.caFile()}, {"timeout_ms", "5000"}}}});
  REQUIRE(province_dir);
  NodeOptions po;
  po.directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*province_dir)));
  auto province = Node::start(pc, std::move(po));
  if (!province) FAIL(province.error().describe());

  // Up: the province's office sends to the central unit; it lands in the axis node's mailbox,
  // and the axis node's 01 comes back through the list and is settled.
  auto up = testPackage(kProvince, {kCentral}, 71);
  auto office = officeClient(pki, kProvince, (*province)->url());
  auto r = office->request("POST", "/api/v1/documents", signers.sign(kProvince, up.serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] {
    auto m = (*axis_node)->store().mailbox(kCentral, {});
    return m && m->size() == 1 && m->front().document_id == up.documentId();
  }));
  // The central unit's office answers 03 at the axis node; the province node collects it.
  auto accepted_up = schemas::sample::status(up, kCentral, schemas::StatusCode::Accepted);
  r = officeClient(pki, kCentral, (*axis_node)->url())
          ->request("POST", "/api/v1/statuses", signers.sign(kCentral, accepted_up.serialize(false)));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  CHECK(waitFor([&] {
    auto h = (*province)->store().statusHistory(kProvince, up.documentId());
    return h && std::any_of(h->begin(), h->end(), [](const StatusRecord& s) {
             return s.code == 3 && s.reporter == kCentral;
           });
  }));
  CHECK(waitFor([&] {
    auto s = (*axis_node)->store().localDeliveries(kProvince, MessageKind::Status,
                                                   {DeliveryState::Acknowledged});
    return s && !s->empty();
  }));

  // Down: the central unit's office writes to the province at the axis node; the province node
  // polls it, runs intake, delivers it to its office's mailbox and settles it done.
  auto down = testPackage(kCentral, {kProvince}, 72);
  auto central = officeClient(pki, kCentral, (*axis_node)->url());
  r = central->request("POST", "/api/v1/documents", signers.sign(kCentral, down.serialize()));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] {
    auto m = (*province)->store().mailbox(kProvince, {});
    return m && m->size() == 1 && m->front().document_id == down.documentId();
  }));
  CHECK(waitFor([&] {
    auto m = (*axis_node)->store().mailbox(kProvince, {DeliveryState::Acknowledged});
    return m && m->size() == 1;
  }));
  // The province's office answers 03; it goes up through sendEdoc (messagetype=status).
  auto accepted_down = schemas::sample::status(down, kProvince, schemas::StatusCode::Accepted);
  r = office->request("POST", "/api/v1/statuses", signers.sign(kProvince, accepted_down.serialize(false)));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(waitFor([&] {
    auto h = (*axis_node)->store().statusHistory(kCentral, down.documentId());
    return h && std::any_of(h->begin(), h->end(), [](const StatusRecord& s) {
             return s.code == 3 && s.reporter == kProvince;
           });
  }));
  (*province)->stop();
  (*axis_node)->stop();
}

TEST_CASE("vxp: a system's unit must be a mailbox unit homed at the node, or the node does not start") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  adapters_test::writeFile(tmp.path() / "s.secret", kSecretA);
  const auto start = [&](const std::string& unit) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, "district-a", 0);
    c.axis_clients.push_back({kSystemA, {kDistrictA, unit}, (tmp.path() / "s.secret").string(), {}});
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(threeNodeDirectory({}));
    return Node::start(c, std::move(o));
  };
  auto elsewhere = start(kCommuneB1);
  REQUIRE_FALSE(elsewhere);
  CHECK(elsewhere.error().message.find("unit '000.01.32.H41' is homed at node 'district-b'") != std::string::npos);
  auto unknown = start("000.09.31.H41");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("is not in directory") != std::string::npos);
}
