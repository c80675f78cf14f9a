// Issue 14: the real packages of ../shared/real/ (the vendor SDK's examples) through three real
// nodes on loopback: every one is accepted (policy.allow_unsigned, since the samples' placeholder
// certificate cannot verify), routed across the nodes and delivered byte-identical, with its
// warnings kept and shown; update, replacement and revocation act on the earlier document at the
// recipients they name and show in the register.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/evidence/register.h"
#include "lienthong/gateway/evidence/register_indexer.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "support/real_samples.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;
using lienthong::testing::readReal;
using lienthong::testing::realFiles;

namespace {

constexpr const char* kVpcp = "000.00.00.G22";    // sender of the business samples
constexpr const char* kA80 = "000.00.00.A80";     // sender of the new document sample
constexpr const char* kNgheAn = "000.00.00.H41";  // = kProvince
constexpr const char* kCaoBang = "000.00.00.H14";
constexpr const char* kHaiPhong = "000.00.00.G17";
constexpr const char* kOdd = "28.22.H17";         // neither government form

Poco::JSON::Object::Ptr parseJson(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::string replaceOnce(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

// The demo tree plus the samples' units: senders at district-a, recipients at the province and
// district-b, so that documents cross three nodes.
std::shared_ptr<const schemas::Directory> realDirectory(const std::map<std::string, int>& ports,
                                                        const std::string& without = {}) {
  auto base = threeNodeDirectory(ports);
  std::vector<schemas::Unit> units = base->units();
  auto unit = [](const char* code, const char* name, const char* node) {
    return schemas::Unit{code, "", name, "", 1, "2019-01-01", "", "", node, schemas::Channel::Mailbox, {}};
  };
  units.push_back(unit(kVpcp, "Văn phòng Chính phủ", "district-a"));
  units.push_back(unit(kA80, "UBND xã Hòa Tiến", "district-a"));
  units.push_back(unit(kCaoBang, "UBND Tỉnh Cao Bằng", "district-b"));
  units.push_back(unit(kHaiPhong, "Sở Thông tin truyền thông Hải Phòng", "district-b"));
  units.push_back(unit(kOdd, "UBND xã Hòa Sơn", "district-b"));
  std::erase_if(units, [&](const schemas::Unit& u) { return !without.empty() && u.code == without; });
  auto dir = schemas::Directory::fromUnits("real-1", base->nodes(), std::move(units));
  REQUIRE(dir);
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

struct RealCluster {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()},
                                   {"district-b", freePort()}};
  std::shared_ptr<const schemas::Directory> directory = realDirectory(ports);
  std::map<std::string, std::unique_ptr<Node>> nodes;

  // `province_without`: a unit the province node's own directory lacks (a version lagging behind).
  explicit RealCluster(const std::string& province_without = {}) {
    const auto province_directory =
        province_without.empty() ? directory : realDirectory(ports, province_without);
    for (const auto& [name, port] : ports) {
      NodeOptions o;
      o.directory = schemas::LiveDirectory::make(name == "province" ? province_directory : directory);
      NodeConfig cfg = testNodeConfig(tmp.path(), pki, name, port);
      cfg.signature.allow_unsigned = true;
      auto n = Node::start(cfg, std::move(o));
      REQUIRE(n);
      nodes[name] = std::move(*n);
    }
  }
  std::string url(const std::string& name) { return "https://127.0.0.1:" + std::to_string(ports.at(name)); }
  std::string home(const std::string& organ) { return directory->find(organ)->home_node; }

  Poco::JSON::Object::Ptr post(const std::string& organ, const std::string& path, const std::string& body) {
    auto c = officeClient(pki, organ, url(home(organ)));
    auto r = c->request("POST", path, body);
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 202);
    return parseJson(r->body);
  }

  // The mailbox entry of `organ` for `doc_id` whose bytes are `bytes` (empty: none yet).
  std::string delivered(const std::string& organ, const std::string& doc_id, const std::string& bytes,
                        std::string* state = nullptr) {
    auto c = officeClient(pki, organ, url(home(organ)));
    auto r = c->request("GET", "/api/v1/mailbox");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    Poco::JSON::Parser p;
    auto arr = p.parse(r->body).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < arr->size(); ++i) {
      auto o = arr->getObject(static_cast<unsigned>(i));
      if (o->getValue<std::string>("document_id") != doc_id) continue;
      auto item = c->request("GET", "/api/v1/mailbox/" + std::to_string(o->getValue<std::int64_t>("id")));
      REQUIRE(item);
      if (item->body != bytes) continue;
      if (state) *state = o->getValue<std::string>("state");
      return item->body;
    }
    return {};
  }

  std::string stateOf(const std::string& organ, const std::string& doc_id, const std::string& bytes) {
    std::string state;
    delivered(organ, doc_id, bytes, &state);
    return state;
  }
};

bool hasCode(const Poco::JSON::Array::Ptr& ws, const std::string& code) {
  for (std::size_t i = 0; i < ws->size(); ++i) {
    if (ws->getObject(static_cast<unsigned>(i))->getValue<std::string>("code") == code) return true;
  }
  return false;
}

// An earlier document built from the SDK's new document: from VPCP, with DocumentId `id`, to the
// recipients of the business samples.
std::string earlier(const std::string& id) {
  std::string s = readReal("vxpsdk_edoc_new_original.edxml");
  s = replaceOnce(s, "<edXML:OrganId>000.00.00.A80</edXML:OrganId>", "<edXML:OrganId>000.00.00.G22</edXML:OrganId>");
  s = replaceOnce(s, "<edXML:OrganId>28.22.H17</edXML:OrganId>", "<edXML:OrganId>000.00.00.H41</edXML:OrganId>");
  s = replaceOnce(s, "<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</edXML:DocumentId>",
                  "<edXML:To><edXML:OrganId>000.00.00.H14</edXML:OrganId></edXML:To>"
                  "<edXML:To><edXML:OrganId>000.00.00.G17</edXML:OrganId></edXML:To>"
                  "<edXML:DocumentId>" + id + "</edXML:DocumentId>");
  return s;
}

}  // namespace

TEST_CASE("real packages: every sample is accepted, crosses three nodes and arrives byte-identical") {
  RealCluster c;
  const std::string rev_target = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT";
  const std::string upd_target = "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT";
  const std::string rep_target = "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT";
  // The earlier documents first, so that the business samples and the statuses have something to
  // act on (the statuses and the recall are about DocumentId rev_target from VPCP).
  std::map<std::string, std::string> originals;
  for (const auto& id : {rev_target, upd_target, rep_target}) {
    originals[id] = earlier(id);
    c.post(kVpcp, "/api/v1/documents", originals[id]);
  }
  for (const auto& id : {rev_target, upd_target, rep_target}) {
    for (const char* to : {kNgheAn, kCaoBang, kHaiPhong}) {
      INFO(id << " to " << to);
      CHECK(waitFor([&] { return !c.delivered(to, id, originals[id]).empty(); }));
    }
  }

  struct Sent {
    std::string file, sender, doc_id, bytes;
    std::vector<std::string> to;
  };
  std::vector<Sent> sent;
  for (const auto& name : realFiles()) {
    if (name.find("status_13") != std::string::npos || name.find("edoc_revocation") != std::string::npos) {
      continue;  // after the others: the recall and the revocation end the earlier document's life
    }
    const std::string bytes = readReal(name);
    const bool status = name.find("status") != std::string::npos;
    INFO(name);
    auto r = c.post(status ? kNgheAn : name.find("new_original") != std::string::npos ? kA80 : kVpcp,
                    status ? "/api/v1/statuses" : "/api/v1/documents", bytes);
    CHECK(r->getValue<std::string>("result") == "accepted");
    auto ws = r->getArray("warnings");
    if (!status) {
      // The placeholder certificate cannot verify: accepted as unsigned, and said so.
      CHECK(hasCode(ws, "signature_unverified"));
      sent.push_back({name, r->getValue<std::string>("sender"), r->getValue<std::string>("document_id"), bytes, {}});
    }
  }
  // The recall (13, from VPCP) and the revocation (its target is its own DocumentId).
  auto recall = c.post(kVpcp, "/api/v1/statuses", readReal("vxpsdk_status_13_cancellation.edxml"));
  CHECK(recall->getValue<std::string>("result") == "accepted");
  const std::string revocation = readReal("vxpsdk_edoc_revocation.edxml");
  auto rv = c.post(kVpcp, "/api/v1/documents", revocation);
  CHECK(rv->getValue<std::string>("document_id") == rev_target);
  sent.push_back({"vxpsdk_edoc_revocation.edxml", kVpcp, rev_target, revocation, {}});

  // Every package reaches each of its recipients byte-identical, across the nodes.
  for (auto& s : sent) {
    auto pkg = schemas::Package::parse(s.bytes, nullptr);
    REQUIRE(pkg);
    for (const auto& to : pkg->header.to) {
      INFO(s.file << " to " << to.organ_id);
      std::string got;
      CHECK(waitFor([&] { return !(got = c.delivered(to.organ_id, s.doc_id, s.bytes)).empty(); }));
      CHECK(got == s.bytes);
    }
  }

  // The new document's odd recipient code is routed by the directory, with its warning kept.
  auto a = officeClient(c.pki, kA80, c.url("district-a"));
  auto view = a->request("GET", "/api/v1/documents/" + urlEncode("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT") +
                                    "?sender=" + urlEncode(kA80));
  REQUIRE(view);
  INFO(view->body);
  REQUIRE(view->status == 200);
  auto vo = parseJson(view->body);
  CHECK(hasCode(vo->getArray("warnings"), "organ_id_other"));
  CHECK(hasCode(vo->getArray("warnings"), "signature_unverified"));

  // Warnings are counted in /metrics by code.
  auto m = a->request("GET", "/metrics");
  REQUIRE(m);
  CHECK(m->body.find("lienthong_intake_warnings_total{code=\"signature_unverified\"} ") != std::string::npos);
  CHECK(m->body.find("lienthong_intake_warnings_total{code=\"organ_id_other\"} ") != std::string::npos);

  // Update, replacement and revocation acted on the earlier documents where they say.
  CHECK(waitFor([&] { return c.stateOf(kNgheAn, upd_target, originals[upd_target]) == "updated"; }));
  CHECK(waitFor([&] { return c.stateOf(kCaoBang, upd_target, originals[upd_target]) == "updated"; }));
  CHECK(waitFor([&] { return c.stateOf(kNgheAn, rep_target, originals[rep_target]) == "replaced"; }));
  CHECK(waitFor([&] { return c.stateOf(kCaoBang, rep_target, originals[rep_target]) == "replaced"; }));
  // The replacement names H41 and H14 only: Hải Phòng's copy is not replaced.
  CHECK(c.stateOf(kHaiPhong, rep_target, originals[rep_target]) != "replaced");
  CHECK(waitFor([&] { return c.stateOf(kCaoBang, rev_target, originals[rev_target]) == "revoked"; }));

  // Statuses from Nghệ An reached VPCP's view of the document.
  auto g = officeClient(c.pki, kVpcp, c.url("district-a"));
  CHECK(waitFor([&] {
    auto r = g->request("GET", "/api/v1/documents/" + urlEncode(rev_target) + "?sender=" + urlEncode(kVpcp));
    return r && r->status == 200 && r->body.find("\"code\":\"06\"") != std::string::npos &&
           r->body.find("\"code\":\"16\"") != std::string::npos;
  }));

  // The register of VPCP's node: the earlier lines carry the acts; no line of their own.
  EvidenceOptions eo;
  eo.store_file = (c.tmp.path() / "district-a" / "store.sqlite").string();
  eo.directory = schemas::LiveDirectory::make(c.directory);
  eo.node_name = "district-a";
  auto ev = openEvidence(eo);
  REQUIRE(ev);
  REQUIRE(ev->indexer->run());
  RegisterQuery q;
  q.units = {kVpcp};
  auto entries = ev->book->entries(q);
  REQUIRE(entries);
  std::map<std::string, std::string> notes;
  for (const auto& e : *entries) notes[e.document_id] += e.notes;
  CHECK(entries->size() == 3);
  CHECK(notes[upd_target].find("cập nhật") != std::string::npos);
  CHECK(notes[rep_target].find("thay thế") != std::string::npos);
  CHECK(notes[rev_target].find("thu hồi") != std::string::npos);
}

TEST_CASE("real packages: a recipient a node on the way cannot route fails with its reason, and status 02 goes back to the sender") {
  // The province's directory lacks 28.22.H17: district-a routes it up, the province refuses the
  // hand-over with "no route for recipient 28.22.H17", district-a records the failure and tells
  // the sender with a status 02.
  RealCluster c(kOdd);
  const std::string bytes = readReal("vxpsdk_edoc_new_original.edxml");
  auto r = c.post(kA80, "/api/v1/documents", bytes);
  const std::string id = r->getValue<std::string>("document_id");
  auto a = officeClient(c.pki, kA80, c.url("district-a"));
  std::string body;
  CHECK(waitFor([&] {
    auto v = a->request("GET", "/api/v1/documents/" + urlEncode(id) + "?sender=" + urlEncode(kA80));
    if (!v || v->status != 200) return false;
    body = v->body;
    auto o = parseJson(v->body);
    auto rs = o->getArray("recipients");
    for (std::size_t i = 0; i < rs->size(); ++i) {
      auto x = rs->getObject(static_cast<unsigned>(i));
      if (x->getValue<std::string>("organ_id") == kOdd && x->getValue<std::string>("status") == "02" &&
          x->getValue<std::string>("delivery") == "failed") {
        return x->getValue<std::string>("last_error").find("no route for recipient 28.22.H17") != std::string::npos;
      }
    }
    return false;
  }, std::chrono::seconds(30)));
  INFO(body);
}
