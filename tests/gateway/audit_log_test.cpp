// The tamper-evident audit log: hash chain, signed checkpoints, and verification naming the
// first altered or missing record, against a real SQLite store that the tests tamper with
// through a second connection, as an attacker with file access would.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/evidence/register.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/node/signature.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;
using namespace Poco::Data::Keywords;

namespace {

struct AuditFixture {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  std::string file = (tmp.path() / "store.sqlite").string();
  std::unique_ptr<Store> store = std::move(*openSqliteStore(file));
  BlobSigner signer;
  BlobVerifier verifier = *makeCmsVerifier(pki.caFile());

  AuditFixture() {
    auto seal = pki.issueSeal(kProvince, "Gateway node province", "seal-node-province");
    signer = *makeCmsSigner(seal->key, "", seal->cert);
  }

  // `n` records, then a signed checkpoint of the head.
  void fill(int n) {
    for (int i = 1; i <= n; ++i) {
      REQUIRE(store->appendAudit(AuditEntry{"test event", "office:" + std::string(kProvince),
                                            "DOC-" + std::to_string(i), "message:" + std::to_string(i),
                                            "detail " + std::to_string(i)}));
    }
    AuditCheckpointer cp(*store, "province", signer, 1000, 60);
    auto c = cp.checkpointNow();
    REQUIRE(c);
    REQUIRE(*c);
    CHECK((*c)->last_record == n);
  }

  // Runs SQL on the store file through another connection (the store is closed first).
  void tamper(const std::vector<std::string>& sql) {
    store.reset();
    Poco::Data::SQLite::Connector::registerConnector();
    {
      Poco::Data::Session s("SQLite", file);
      for (const auto& q : sql) s << q, now;
    }
    // As `audit verify` opens it: a store whose tail was cut is read, not refused at open.
    store = std::move(*openSqliteStore(file, StoreOpenOptions{true, false}));
  }

  AuditVerification verify() {
    auto r = verifyAuditLog(*store, verifier);
    REQUIRE(r);
    return *r;
  }
};

}  // namespace

TEST_CASE("audit: every record holds event, actor, time, subject and the hash of the one before") {
  AuditFixture f;
  f.fill(3);
  auto records = f.store->auditRecords(0, 10);
  REQUIRE(records);
  REQUIRE(records->size() == 3);
  CHECK((*records)[0].prev_hash == kAuditGenesis);
  CHECK((*records)[1].prev_hash == (*records)[0].hash);
  CHECK((*records)[2].prev_hash == (*records)[1].hash);
  CHECK((*records)[1].actor == "office:000.00.00.H41");
  CHECK((*records)[1].subject == "message:2");
  CHECK((*records)[1].event == "test event");
  CHECK((*records)[1].at_ms > 0);
  CHECK((*records)[2].hash == auditRecordHash((*records)[2]));
  CHECK((*records)[2].hash.size() == 64);
  auto v = f.verify();
  CHECK(v.intact);
  CHECK(v.records == 3);
  CHECK(v.checkpoints == 1);
  CHECK(v.first_bad == 0);
}

TEST_CASE("audit verify names the record whose field was changed") {
  AuditFixture f;
  f.fill(20);
  f.tamper({"UPDATE audit SET detail = 'detail changed' WHERE id = 7"});
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad == 7);
  CHECK(v.problem == "record 7 was altered: its content does not match its hash (event 'test event', document 'DOC-7')");
}

TEST_CASE("audit verify names a deleted record as missing") {
  AuditFixture f;
  f.fill(20);
  f.tamper({"DELETE FROM audit WHERE id = 5"});
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad == 5);
  CHECK(v.problem == "record 5 is missing (the log jumps from record 4 to record 6)");
}

TEST_CASE("audit verify names the first of two swapped records") {
  AuditFixture f;
  f.fill(20);
  // Swap every column but the id between records 9 and 10.
  f.tamper({"UPDATE audit SET id = -9 WHERE id = 9", "UPDATE audit SET id = 9 WHERE id = 10",
            "UPDATE audit SET id = 10 WHERE id = -9"});
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad == 9);
  CHECK(v.problem == "record 9 was altered: its content does not match its hash (event 'test event', document 'DOC-10')");
}

TEST_CASE("audit verify catches a cut tail against the last signed checkpoint") {
  AuditFixture f;
  f.fill(20);
  f.tamper({"DELETE FROM audit WHERE id > 17"});
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.records == 17);
  CHECK(v.first_bad == 18);
  CHECK(v.problem.starts_with("records 18 to 20 are missing: the log ends at record 17 but the checkpoint signed at "));
  CHECK(v.problem.ends_with(" covers up to record 20 (tail cut)"));
}

TEST_CASE("audit verify catches a tail cut and rewritten with a fresh, consistent chain") {
  AuditFixture f;
  f.fill(20);
  f.tamper({"DELETE FROM audit WHERE id > 17"});
  for (int i = 0; i < 3; ++i) REQUIRE(f.store->appendAudit(AuditEntry{"forged", "system", "", "", ""}));
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.first_bad == 20);
  CHECK(v.problem.starts_with("record 20 differs from the checkpoint signed at "));
}

TEST_CASE("audit verify refuses a checkpoint whose signed body was edited") {
  AuditFixture f;
  f.fill(5);
  f.tamper({"UPDATE audit_checkpoints SET body = replace(body, '\"last_record\":5', '\"last_record\":4')"});
  auto v = f.verify();
  CHECK_FALSE(v.intact);
  CHECK(v.problem.starts_with("checkpoint 1 of "));
  CHECK(v.problem.find(": its signature does not verify (") != std::string::npos);
}

TEST_CASE("a node writes audit records with the actor and signs a checkpoint when it stops") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  const int port = freePort();
  NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(threeNodeDirectory({{"province", port}}));
  o.start_dispatcher = false;
  auto node = std::move(*Node::start(c, std::move(o)));
  auto client = officeClient(pki, kProvince, node->url());
  auto r = client->request("POST", "/api/v1/documents",
                           signers.sign(kProvince, testPackage(kProvince, {kDistrictA}, 1).serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  auto records = node->store().auditRecords(0, 10);
  REQUIRE(records);
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].event == "received document");
  CHECK((*records)[0].actor == "office:000.00.00.H41");
  CHECK((*records)[0].subject == "message:1");
  node->stop();
  auto cps = node->store().checkpoints();
  REQUIRE(cps);
  REQUIRE(cps->size() == 1);
  CHECK((*cps)[0].last_record == 1);
  auto v = verifyAuditLog(node->store(), *makeCmsVerifier(pki.caFile()));
  REQUIRE(v);
  CHECK(v->intact);
  CHECK(v->checkpoints == 1);
}

namespace {

// Runs the lienthong binary; returns its exit status and output (stdout and stderr).
std::pair<int, std::string> runLienthong(const std::string& args) {
  const std::string cmd = std::string(LIENTHONG_BINARY) + " " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

}  // namespace

TEST_CASE("lienthong audit verify exits 0 on an intact log and 1 naming the altered record; checkpoint exports it") {
  AuditFixture f;
  f.fill(12);
  const std::string data = f.tmp.path().string();
  f.store.reset();
  auto [ok, ok_out] = runLienthong("audit verify --data " + data);
  INFO(ok_out);
  CHECK(ok == 0);
  CHECK(ok_out.find("audit log intact: 12 records, 1 signed checkpoint(s); the last covers record 12") != std::string::npos);

  const std::string out_file = (f.tmp.path() / "cp.json").string();
  auto [cp, cp_out] = runLienthong("audit checkpoint --out " + out_file + " --data " + data);
  INFO(cp_out);
  CHECK(cp == 0);
  CHECK(fs::exists(out_file));
  CHECK(fs::exists(out_file + ".p7s"));
  auto [ossl, ossl_out] = [&] {
    const std::string cmd = "openssl cms -verify -inform DER -binary -in " + out_file + ".p7s -content " +
                            out_file + ".body -CAfile " + f.pki.caFile() + " -purpose any -out /dev/null 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string text;
    std::array<char, 1024> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
    return std::pair<int, std::string>{WEXITSTATUS(pclose(p)), text};
  }();
  INFO(ossl_out);
  CHECK(ossl == 0);

  f.tamper({"UPDATE audit SET actor = 'office:someone-else' WHERE id = 3"});
  f.store.reset();
  auto [bad, bad_out] = runLienthong("audit verify --data " + data);
  INFO(bad_out);
  CHECK(bad == 1);
  CHECK(bad_out.find("audit log ALTERED at record 3: record 3 was altered") != std::string::npos);
}

TEST_CASE("audit verify accepts checkpoints only from the node's own seal, not from another trusted signer") {
  AuditFixture f;
  f.fill(3);
  // An office's seal from the same CA signs a checkpoint of its own.
  auto office = f.pki.issueSeal(kDistrictA, "Office A", "seal-office-a");
  AuditCheckpointer forged(*f.store, "province", *makeCmsSigner(office->key, "", office->cert), 1000, 60);
  REQUIRE(f.store->appendAudit(AuditEntry{"test event", "system", "", "", "4"}));
  REQUIRE(forged.checkpointNow());
  const auto node_seal = *certificateFingerprints((f.tmp.path() / "pki" / "seal-node-province.pem").string());
  auto pinned = verifyAuditLog(*f.store, *makeCmsVerifier(f.pki.caFile(), node_seal));
  REQUIRE(pinned);
  CHECK_FALSE(pinned->intact);
  CHECK(pinned->problem.find("not by the node's own seal") != std::string::npos);

  // The command line pins the dev PKI's node seal from the data folder by itself.
  const std::string data = f.tmp.path().string();
  f.store.reset();
  auto [rc, out] = runLienthong("audit verify --data " + data);
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("not by the node's own seal") != std::string::npos);
}

TEST_CASE("administrative acts reach the chained audit log: CA commands from the CLI and paper records") {
  TempDir tmp;
  const std::string data = (tmp.path() / "data").string();
  const std::string env = "LIENTHONG_CA_PASSPHRASE='a long ca passphrase' ";
  const std::string cmd = env + std::string(LIENTHONG_BINARY) + " ca init --province 'UBND tinh Lao Cai' "
                          "--organ 000.00.00.H41 --url http://127.0.0.1:8080 --key-type p256 --actor lan --data " +
                          data + " 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string need = env + std::string(LIENTHONG_BINARY) + " ca need 000.00.31.H41 47 --actor lan --data " +
                           data + " > /dev/null 2>&1";
  REQUIRE(std::system(need.c_str()) == 0);
  auto store = std::move(*openSqliteStore(data + "/store.sqlite"));
  auto records = store->auditRecords(0, 100);
  REQUIRE(records);
  std::set<std::string> events;
  for (const auto& r : *records) {
    events.insert(r.event);
    if (r.event == "ca.needed") CHECK(r.actor == "lan");
  }
  CHECK(events.contains("ca.init"));
  CHECK(events.contains("ca.needed"));

  // A clerk's paper record, through the register as the CLI and the API use it.
  EvidenceOptions o;
  o.store_file = data + "/store.sqlite";
  o.directory = schemas::LiveDirectory::make(threeNodeDirectory({}));
  o.node_name = "district-a";
  auto ev = openEvidence(o);
  REQUIRE(ev);
  PaperRecord paper;
  paper.unit = kDistrictA;
  paper.number = "12";
  paper.notation = "UBND-VP";
  paper.date = "2024-05-06";
  paper.recipients = {kProvince};
  paper.dispatch_date = "2024-05-07";
  REQUIRE(ev->book->recordPaper(paper, "cli:clerk"));
  auto after = store->auditRecords(0, 1000);
  REQUIRE(after);
  bool paper_seen = false;
  for (const auto& r : *after) {
    if (r.event == "paper recorded" && r.actor == "cli:clerk" && r.detail.find("12/UBND-VP") != std::string::npos) {
      paper_seen = true;
    }
  }
  CHECK(paper_seen);
  auto v = verifyAuditLog(*store, {});
  REQUIRE(v);
  CHECK(v->intact);  // both writers kept one chain
}
