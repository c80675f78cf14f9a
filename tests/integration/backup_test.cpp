// Backup and restore (issue 19): a backup taken while a node takes documents restores to a store
// that passes the audit check and serves every document accepted before the backup began; and
// the two commands as an operator runs them beside `lienthong serve`.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <sys/wait.h>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/gateway/store/audit_log.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

TEST_CASE("backup: taken under load, restored in place of the node's store, it passes audit verify and serves every document") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}};
  auto directory = threeNodeDirectory(ports);
  NodeConfig c = testNodeConfig(tmp.path(), pki, "province", ports.at("province"));
  c.audit_checkpoint_every = 25;  // checkpoints inside the store and in the file beside it
  const std::string store_file = (fs::path(c.data_dir) / "store.sqlite").string();
  const auto start = [&] {
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(directory);
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    return std::move(*n);
  };
  auto node = start();

  // Documents for district-a (down: they stay pending) from 2 clients, until told to stop.
  std::mutex mu;
  std::vector<std::string> accepted;  // in the order their 202 came
  std::atomic<bool> stop{false};
  std::atomic<int> number{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 2; ++t) {
    clients.emplace_back([&] {
      auto client = officeClient(pki, kProvince, node->url());
      while (!stop) {
        auto p = testPackage(kProvince, {kDistrictA}, 9000 + ++number);
        auto r = client->request("POST", "/api/v1/documents", signers.sign(kProvince, p.serialize()));
        if (r && r->status == 202) {
          std::lock_guard lock(mu);
          accepted.push_back(p.documentId());
        }
      }
    });
  }
  REQUIRE(waitFor([&] {
    std::lock_guard lock(mu);
    auto cps = node->store().checkpoints();
    return accepted.size() >= 60 && cps && !cps->empty();  // a checkpoint in and beside the store
  }));
  std::vector<std::string> before;
  {
    std::lock_guard lock(mu);
    before = accepted;
  }
  const std::string backup = (tmp.path() / "province.backup").string();
  auto taken = backupSqliteStore(store_file, backup);
  REQUIRE(waitFor([&] {
    std::lock_guard lock(mu);
    return accepted.size() >= before.size() + 30;  // the load went on during and after it
  }));
  stop = true;
  for (auto& t : clients) t.join();
  if (!taken) FAIL(taken.error().describe());
  CHECK(taken->messages >= static_cast<std::int64_t>(before.size()));
  CHECK(taken->checkpoints_outside >= 1);
  CHECK(taken->bytes > 0);
  // Never over an existing file.
  auto again = backupSqliteStore(store_file, backup);
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("exists") != std::string::npos);
  const auto last_before_restore = node->store().lastAudit();
  REQUIRE(last_before_restore);
  node->stop();
  node.reset();

  auto restored = restoreSqliteStore(backup, store_file, "admin:test");
  if (!restored) FAIL(restored.error().describe());
  CHECK(restored->head_before == (*last_before_restore)->id);
  CHECK(restored->head_before > restored->last_record);  // what came after the backup is not in it
  CHECK(restored->moved_aside.size() >= 2);
  {
    auto store = openSqliteStore(store_file, StoreOpenOptions{true, false});
    REQUIRE(store);
    auto outside = outsideEvidence(store_file);
    REQUIRE(outside);
    auto v = verifyAuditLog(**store, *makeCmsVerifier(pki.caFile()), {}, *outside);
    REQUIRE(v);
    INFO(v->problem);
    CHECK(v->intact);
    CHECK(v->checkpoints >= 1);
    auto last = (*store)->lastAudit();
    REQUIRE(last);
    CHECK((*last)->event == "store restored");
    CHECK((*last)->detail.find("are not in it") != std::string::npos);
  }
  // The node starts on it and serves every document accepted before the backup began.
  node = start();
  auto client = officeClient(pki, kProvince, node->url());
  for (const auto& id : before) {
    auto r = client->request("GET", "/api/v1/documents/" + urlEncode(id) + "?sender=" + kProvince);
    REQUIRE(r);
    INFO(id);
    CHECK(r->status == 200);
  }
  CHECK(node->store().counts()->pending >= static_cast<std::int64_t>(before.size()));
  node->stop();
}

namespace {

std::pair<int, std::string> sh(const std::string& script) {
  FILE* p = popen(("bash -c '" + script + "' 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  const int rc = pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

}  // namespace

TEST_CASE("backup: lienthong backup beside a running serve, lienthong restore once it stopped, then audit verify") {
  TempDir tmp;
  const std::string bin = LIENTHONG_BINARY;
  const std::string data = (tmp.path() / "data").string();
  const std::string file = (tmp.path() / "node.backup").string();
  const std::string log = (tmp.path() / "serve.log").string();
  const std::string script =
      bin + " serve --data " + data + " --port 0 > " + log + " 2>&1 & pid=$!\n" +
      "for i in $(seq 1 300); do grep -q \"listening on\" " + log + " && break; sleep 0.1; done\n" +
      bin + " backup --data " + data + " --to " + file + "; echo \"backup exit $?\"\n" +
      bin + " backup --data " + data + " --to " + file + "; echo \"again exit $?\"\n" +
      "kill -INT $pid; wait $pid\n" +
      bin + " restore --from " + file + " --data " + data + "; echo \"unchecked exit $?\"\n" +
      bin + " restore --from " + file + " --data " + data + " --node-stopped; echo \"restore exit $?\"\n" +
      bin + " restore --from " + data + "/store.sqlite.audit-head --data " + data +
      " --node-stopped; echo \"not-a-backup exit $?\"\n" + bin + " audit verify --data " + data +
      "; echo \"verify exit $?\"\n";
  std::ofstream(tmp.path() / "run.sh") << script;
  auto [rc, out] = sh("bash " + (tmp.path() / "run.sh").string());
  INFO(out);
  CHECK(out.find("backup of " + data + "/store.sqlite written to " + file) != std::string::npos);
  CHECK(out.find("integrity_check ok") != std::string::npos);
  CHECK(out.find("backup exit 0\n") != std::string::npos);
  CHECK(out.find("a backup is never written over a file") != std::string::npos);
  CHECK(out.find("again exit 1\n") != std::string::npos);
  CHECK(out.find("cannot see whether a node runs on it") != std::string::npos);
  CHECK(out.find("unchecked exit 2\n") != std::string::npos);
  CHECK(out.find("restored " + file + " into " + data + "/store.sqlite") != std::string::npos);
  CHECK(out.find("  kept aside: ") != std::string::npos);
  CHECK(out.find("restore exit 0\n") != std::string::npos);
  CHECK(out.find("is not a Lienthong backup") != std::string::npos);
  CHECK(out.find("not-a-backup exit 1\n") != std::string::npos);
  CHECK(out.find("verify exit 0\n") != std::string::npos);
}
