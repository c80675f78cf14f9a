// Damage is found and said: a store damaged in its middle or its header is refused at open
// (naming the file and what to do), a WAL that lost its tail is caught against the audit head and
// the checkpoints kept outside the store, a stored message whose bytes changed is never served,
// and /healthz says when storage cannot be written. Also: a status delivery is never delivered
// without its audit record.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include <catch2/catch.hpp>

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>

#include <sys/resource.h>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/node/intake.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/gateway/node/signature.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

NewMessage document(int i, std::size_t size = 3000) {
  NewMessage m;
  m.kind = MessageKind::Document;
  m.sender = kProvince;
  m.document_id = "DOC-" + std::to_string(i);
  m.dedupe_key = m.document_id;
  m.bytes = "<edXML>MARKER-" + std::to_string(i) + "-" + std::string(size, 'x') + "</edXML>";
  m.content_hash = sha256Hex(m.bytes);
  m.received_from = "office:" + std::string(kProvince);
  m.deliveries = {NewDelivery{kDistrictA, RouteKind::Local, "", ""}};
  return m;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeAt(const fs::path& p, std::size_t offset, const std::string& bytes) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

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

// A closed store of `n` messages in `dir`/store.sqlite (the WAL folded in at close).
fs::path filledStore(const fs::path& dir, int n) {
  const fs::path file = dir / "store.sqlite";
  auto store = openSqliteStore(file.string());
  REQUIRE(store);
  for (int i = 1; i <= n; ++i) REQUIRE((*store)->insertMessage(document(i)));
  return file;
}

}  // namespace

TEST_CASE("store integrity: sixteen bytes damaged in the middle of a stopped store stop it at open, naming the file") {
  TempDir tmp;
  const fs::path file = filledStore(tmp.path(), 300);
  REQUIRE_FALSE(fs::exists(file.string() + "-wal"));
  const auto size = fs::file_size(file);
  const std::size_t page = 4096;
  const std::size_t middle = (size / page / 2) * page;  // the start of a page in the middle
  writeAt(file, middle, std::string(16, '\xA5'));

  auto check = checkStore(file.string(), false);
  REQUIRE(check);
  CHECK_FALSE(check->ok());
  auto opened = openSqliteStore(file.string());
  REQUIRE_FALSE(opened);
  INFO(opened.error().message);
  CHECK(opened.error().code == ErrorCode::Storage);
  CHECK(opened.error().message.starts_with("the store '" + file.string() + "' is damaged: SQLite "));
  CHECK(opened.error().message.find("malformed") != std::string::npos);
  CHECK(opened.error().message.find("restore the last backup") != std::string::npos);

  // The full check says the same from the command line, exit 1.
  auto [rc, out] = runLienthong("store check --data " + tmp.path().string());
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("store DAMAGED: " + file.string()) != std::string::npos);
  CHECK(out.find("malformed") != std::string::npos);
}

TEST_CASE("store integrity: a damaged header is reported as a damaged store, also on a node without a CA") {
  TempDir tmp;
  const fs::path file = filledStore(tmp.path(), 5);
  writeAt(file, 0, std::string(16, '\x01'));
  auto holds = storeHoldsCa(file.string());
  REQUIRE_FALSE(holds);
  INFO(holds.error().message);
  CHECK(holds.error().message.find("cannot open the CA store") == std::string::npos);
  CHECK(holds.error().message.starts_with("the store '" + file.string() + "' is damaged: SQLite cannot read it: "));
  // `lienthong serve` on that data folder stops at once with the same message.
  auto [rc, out] = runLienthong("serve --data " + tmp.path().string() + " --port 0");
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("is damaged") != std::string::npos);
  CHECK(out.find("CA store") == std::string::npos);
}

TEST_CASE("store integrity: an intact store passes the quick and the full check") {
  TempDir tmp;
  const fs::path file = filledStore(tmp.path(), 20);
  auto full = checkStore(file.string(), true);
  REQUIRE(full);
  CHECK(full->ok());
  CHECK(full->messages == 20);
  CHECK(full->schema_version >= 2);
  auto [rc, out] = runLienthong("store check --data " + tmp.path().string());
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("store intact") != std::string::npos);
}

TEST_CASE("store integrity: a stored message whose bytes were damaged on disk is refused, reported, never served") {
  TempDir tmp;
  const fs::path file = filledStore(tmp.path(), 10);
  const std::string bytes = readAll(file);
  const auto at = bytes.find("MARKER-7-");
  REQUIRE(at != std::string::npos);
  writeAt(file, at + 12, "yyyy");  // inside the message's text: SQLite's structure is intact
  REQUIRE(checkStore(file.string(), false)->ok());  // quick_check cannot see it

  auto store = openSqliteStore(file.string());
  REQUIRE(store);
  auto m = (*store)->message(7);
  REQUIRE_FALSE(m);
  CHECK(m.error().code == ErrorCode::Storage);
  CHECK(m.error().message.find("stored document 7 ('DOC-7' from 000.00.00.H41) is damaged") != std::string::npos);
  CHECK(m.error().message.find("it is not served") != std::string::npos);
  CHECK_FALSE((*store)->findDocument(kProvince, "DOC-7"));
  CHECK((*store)->message(6));  // the others are served
  // Reported once in the audit log, however often it is asked for.
  REQUIRE_FALSE((*store)->message(7));
  auto records = (*store)->auditRecords(0, 1000);
  REQUIRE(records);
  int damage = 0;
  for (const auto& r : *records) damage += r.event == "store damage" && r.subject == "message:7";
  CHECK(damage == 1);
  store->reset();

  auto full = checkStore(file.string(), true);
  REQUIRE(full);
  REQUIRE(full->problems.size() == 1);
  CHECK(full->problems[0] == "message 7: its bytes do not match its content_hash");
}

TEST_CASE("store integrity: a WAL that lost its tail is caught by the audit head and the checkpoints kept outside the store") {
  TempDir tmp;
  const fs::path live = tmp.path() / "live";
  const fs::path crash = tmp.path() / "crash";
  fs::create_directories(live);
  fs::create_directories(crash);
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  auto seal = pki.issueSeal(kProvince, "Gateway node province", "seal-node-province");
  const std::string store_file = (live / "store.sqlite").string();
  auto store = openSqliteStore(store_file);
  REQUIRE(store);
  AuditCheckpointer cp(**store, "province", *makeCmsSigner(seal->key, "", seal->cert), 1000, 60,
                       (live / kCheckpointFileName).string());
  for (int i = 1; i <= 20; ++i) REQUIRE((*store)->insertMessage(document(i)));
  REQUIRE(cp.checkpointNow());
  for (int i = 21; i <= 40; ++i) REQUIRE((*store)->insertMessage(document(i)));
  // The files as a crash leaves them (the store still open: its last commits are in the WAL).
  REQUIRE(fs::exists(store_file + "-wal"));
  for (const auto& name : {"store.sqlite", "store.sqlite-wal", "store.sqlite.audit-head", kCheckpointFileName}) {
    fs::copy_file(live / name, crash / name);
  }
  // The WAL loses its second half.
  const auto wal = crash / "store.sqlite-wal";
  fs::resize_file(wal, fs::file_size(wal) / 2);

  const std::string crashed = (crash / "store.sqlite").string();
  auto refused = openSqliteStore(crashed);
  REQUIRE_FALSE(refused);
  INFO(refused.error().message);
  CHECK(refused.error().message.find("has lost its last records: its audit log ends at record ") != std::string::npos);
  CHECK(refused.error().message.find("store.sqlite.audit-head' says record 40 was committed") != std::string::npos);

  // audit verify reads it and names the lost records against the head kept outside.
  auto [rc, out] = runLienthong("audit verify --data " + crash.string() + " --trust " + pki.caFile());
  INFO(out);
  CHECK(rc == 1);
  CHECK(out.find("are missing: the log ends at record ") != std::string::npos);
  CHECK(out.find("store.sqlite.audit-head says record 40 was committed at ") != std::string::npos);

  // Without the head, the checkpoint appended outside the store still catches a tail cut that
  // took the store's own checkpoint with it.
  const fs::path cut = tmp.path() / "cut";
  fs::create_directories(cut);
  for (const auto& name : {"store.sqlite", "store.sqlite-wal", kCheckpointFileName}) {
    fs::copy_file(live / name, cut / name);
  }
  const std::string cut_file = (cut / "store.sqlite").string();
  Poco::Data::SQLite::Connector::registerConnector();
  {
    using namespace Poco::Data::Keywords;
    Poco::Data::Session s("SQLite", cut_file);
    s << "DELETE FROM audit WHERE id > 15", now;
    s << "DELETE FROM audit_checkpoints", now;
  }
  auto reopened = openSqliteStore(cut_file, StoreOpenOptions{true, false});
  REQUIRE(reopened);
  auto outside = outsideEvidence(cut_file);
  REQUIRE(outside);
  REQUIRE(outside->checkpoints.size() == 1);
  CHECK_FALSE(outside->head);
  auto v = verifyAuditLog(**reopened, *makeCmsVerifier(pki.caFile()), {}, *outside);
  REQUIRE(v);
  CHECK_FALSE(v->intact);
  INFO(v->problem);
  CHECK(v->problem.starts_with("records 16 to 20 are missing: the log ends at record 15 but the checkpoint signed at "));
  CHECK(v->problem.find(", kept in " + (cut / kCheckpointFileName).string() + ", covers up to record 20") != std::string::npos);
}

TEST_CASE("store: a status delivery is delivered with its audit record in the same transaction, once") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  NewMessage s = document(1);
  s.kind = MessageKind::Status;
  s.status_code = 3;
  auto id = store->insertMessage(s);
  REQUIRE(id);
  auto ds = store->deliveriesOf(id->id);
  REQUIRE(ds);
  const auto delivery = (*ds)[0].id;
  const StatusRecord rec{kProvince, "DOC-1", kDistrictA, 3, "accepted", "2026/11/20 10:00:00", 0};
  REQUIRE(store->recordStatus(rec, delivery, nowMs()));
  const auto count = [&] {
    int n = 0;
    auto records = store->auditRecords(0, 100);
    REQUIRE(records);
    for (const auto& r : *records) {
      n += r.event == "delivery delivered" && r.subject.starts_with("delivery:" + std::to_string(delivery) + " ");
    }
    return n;
  };
  // A crash here (before the dispatcher's finishDelivery) leaves the record already written.
  CHECK(count() == 1);
  CHECK(store->delivery(delivery)->state == DeliveryState::Delivered);
  // The dispatcher finishing it afterwards adds nothing.
  REQUIRE(store->finishDelivery(delivery, DeliveryState::Delivered, nowMs(), "mailbox"));
  CHECK(count() == 1);
}

TEST_CASE("healthz: a node whose storage cannot be written says so with 503, and ok again once it can") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  const int port = freePort();
  NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(threeNodeDirectory({{"province", port}}));
  o.start_dispatcher = false;
  auto node = std::move(*Node::start(c, std::move(o)));
  auto client = anonymousClient(pki, node->url());
  const auto status = [&] {
    auto r = client->request("GET", "/healthz");
    REQUIRE(r);
    return std::pair<int, std::string>{r->status, r->body};
  };
  CHECK(status().first == 200);
  // Every file write of this process fails (EFBIG), as on a full disk.
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
  rlimit none = saved;
  none.rlim_cur = 0;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &none) == 0);
  std::pair<int, std::string> seen;
  const bool refused = waitFor([&] {
    seen = status();
    return seen.first == 503;
  }, std::chrono::seconds(10));
  REQUIRE(setrlimit(RLIMIT_FSIZE, &saved) == 0);
  std::signal(SIGXFSZ, SIG_DFL);
  INFO(seen.second);
  REQUIRE(refused);
  CHECK(seen.second.find("storage not usable: store: ") != std::string::npos);
  CHECK(seen.second.find("I/O error") != std::string::npos);
  // A refused write keeps /healthz at 503 for 10 s after it.
  CHECK(waitFor([&] { return status().first == 200; }, std::chrono::seconds(30)));
}

TEST_CASE("a node never serves a stored document whose bytes were damaged on disk: 503 naming it, and /healthz says the store is damaged") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  const int port = freePort();
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  using schemas::Channel;
  auto dir = schemas::Directory::fromUnits(
      "t-1", {{"province", "", url}},
      {{"H41", kProvince, "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "province", Channel::Mailbox, {}},
       {"H41.31", kDistrictA, "Ủy ban nhân dân huyện Quỳnh Lưu", "H41", 2, "2019-01-01", "", "", "province", Channel::Mailbox, {}}});
  REQUIRE(dir);
  auto directory = std::make_shared<const schemas::Directory>(std::move(*dir));
  const NodeConfig cfg = testNodeConfig(tmp.path(), pki, "province", port);
  const auto start = [&] {
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(directory);
    auto n = Node::start(cfg, std::move(o));
    REQUIRE(n);
    return std::move(*n);
  };
  auto node = start();
  auto sender = officeClient(pki, kProvince, url);
  auto r = sender->request("POST", "/api/v1/documents",
                           signers.sign(kProvince, testPackage(kProvince, {kDistrictA}, 1).serialize()));
  REQUIRE(r);
  REQUIRE(r->status == 202);
  auto reader = officeClient(pki, kDistrictA, url);
  std::string entry;
  REQUIRE(waitFor([&] {
    auto m = reader->request("GET", "/api/v1/mailbox");
    const auto at = m ? m->body.find("\"id\":") : std::string::npos;
    if (at == std::string::npos) return false;
    entry = std::to_string(std::stoll(m->body.substr(at + 5)));
    return true;
  }));
  auto fetched = reader->request("GET", "/api/v1/mailbox/" + entry);
  REQUIRE(fetched);
  REQUIRE(fetched->status == 200);
  node.reset();

  // A few bytes of the document's attachment change on disk (its base64 starts with "%PDF-").
  const fs::path file = fs::path(cfg.data_dir) / "store.sqlite";
  const std::string bytes = readAll(file);
  const auto at = bytes.find("JVBERi0");
  REQUIRE(at != std::string::npos);
  writeAt(file, at + 10, "AAAA");

  node = start();  // its structure is intact: the quick check passes
  // The check of every message's bytes after start finds it before anyone asks for it.
  auto monitor = anonymousClient(pki, url);
  std::string said;
  REQUIRE(waitFor([&] {
    auto h = monitor->request("GET", "/healthz");
    if (!h || h->status != 503) return false;
    said = h->body;
    return true;
  }));
  CHECK(said.find("is damaged: message ") != std::string::npos);
  reader = officeClient(pki, kDistrictA, url);
  auto damaged = reader->request("GET", "/api/v1/mailbox/" + entry);
  REQUIRE(damaged);
  INFO(damaged->body);
  CHECK(damaged->status == 503);
  CHECK(damaged->body.find("is damaged in '" + file.string() + "'") != std::string::npos);
  CHECK(damaged->body.find("it is not served") != std::string::npos);
  CHECK(damaged->body.find("JVBERi0") == std::string::npos);
  auto health = anonymousClient(pki, url)->request("GET", "/healthz");
  REQUIRE(health);
  INFO(health->body);
  CHECK(health->status == 503);
  CHECK(health->body.find("is damaged: message ") != std::string::npos);
}
