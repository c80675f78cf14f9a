// Switching a unit's channel on a running node: the administrator edits directory.file and asks
// the node to read it again (POST /api/v1/directory/reload, or Node::reloadDirectory as SIGHUP
// does). The next document goes through the new channel, with no restart; a file that cannot be
// used changes nothing and says why; every reload is in the audit log.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/support.h"
#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/cli/cli.h"
#include "lienthong/gateway/app/serve.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

constexpr const char* kNewCommune = "000.02.31.H41";  // added by a reload, homed at district-a

// The three-node tree as version `version`, commune A1 on `channel` with `settings`.
std::string directoryXml(const std::string& version, schemas::Channel channel,
                         std::map<std::string, std::string> settings, bool with_new_commune = false) {
  std::vector<schemas::Unit> extra;
  if (with_new_commune) {
    extra.push_back({"H41.31.02", kNewCommune, "Ủy ban nhân dân xã Quỳnh Lập", "H41.31", 3,
                     "2019-01-01", "", "", "district-a", schemas::Channel::Mailbox, {}});
  }
  return directoryWithA1(version, channel, std::move(settings), std::move(extra))->toXml();
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

struct ReloadNode {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  fs::path directory_file = tmp.path() / "directory.xml";
  NodeConfig config;
  Evidence evidence;
  std::unique_ptr<Node> node;
  int sent = 0;

  ReloadNode() {
    writeText(directory_file, directoryXml("test-1", schemas::Channel::Mailbox, {}));
    config = testNodeConfig(tmp.path(), pki, "district-a", 0);
    config.directory_file = directory_file.string();
    config.adapter_poll_ms = 50;
    NodeOptions o;  // the directory is read from directory.file, as `lienthong serve` does
    auto ev = prepareEvidence(config, o, ServeExtras{{}, {}, nullptr, false});
    if (!ev) FAIL(ev.error().describe());
    evidence = std::move(*ev);
    auto n = Node::start(config, std::move(o));
    if (!n) FAIL(n.error().describe());
    node = std::move(*n);
  }

  // Sends a signed document from district A to `to`; the HTTP answer.
  Result<ClientResponse> send(const std::string& to, std::string* bytes_out = nullptr,
                              std::string* doc_id = nullptr) {
    auto p = testPackage(kDistrictA, {to}, 500 + ++sent);
    const std::string bytes = signers.sign(kDistrictA, p.serialize());
    if (bytes_out) *bytes_out = bytes;
    if (doc_id) *doc_id = p.documentId();
    return officeClient(pki, kDistrictA, node->url())->request("POST", "/api/v1/documents", bytes);
  }

  Result<ClientResponse> reloadAs(Role role, const std::string& subject, const std::string& body = {}) {
    auto files = pki.issue(subject, role);
    auto c = HttpsClient::open(node->url(), *files, 5000);
    return (*c)->request("POST", "/api/v1/directory/reload", body);
  }

  std::size_t mailboxSize(const std::string& organ) {
    auto m = node->store().mailbox(organ, {});
    return m ? m->size() : 0;
  }

  std::vector<AuditRecord> reloadsAudited() {
    std::vector<AuditRecord> out;
    auto all = node->store().auditRecords(0, 100000);
    REQUIRE(all);
    for (const auto& r : *all) {
      if (r.event == "directory reloaded") out.push_back(r);
    }
    return out;
  }
};

// Runs the lienthong command in-process; its exit status, stdout in `out`, stderr in `err`.
int lienthongCli(std::vector<std::string> args, std::string& out, std::string& err) {
  args.insert(args.begin(), "lienthong");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream o, e;
  const int rc = runCli(static_cast<int>(argv.size()), argv.data(), o, e);
  out = o.str();
  err = e.str();
  return rc;
}

Poco::JSON::Object::Ptr json(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

}  // namespace

TEST_CASE("directory reload: a unit moved from mailbox to webhook to folder gets each next document through its new channel, without a restart") {
  ReloadNode n;
  std::string bytes;
  auto r = n.send(kCommuneA1);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return n.mailboxSize(kCommuneA1) == 1; }));

  // Mailbox -> webhook, asked over HTTPS by an administrator.
  adapters_test::Recorder recorder;
  adapters_test::LoopbackServer server(new adapters_test::RecordingFactory(recorder));
  writeText(n.directory_file,
            directoryXml("test-2", schemas::Channel::Webhook,
                         {{"url", server.url("/dms/inbox")}, {"secret", "webhook-secret-0123456789"}}));
  auto reloaded = n.reloadAs(Role::Admin, "admin-1");
  REQUIRE(reloaded);
  INFO(reloaded->body);
  REQUIRE(reloaded->status == 200);
  auto o = json(reloaded->body);
  CHECK(o->getValue<std::string>("previous_version") == "test-1");
  CHECK(o->getValue<std::string>("version") == "test-2");
  CHECK(o->getValue<int>("adapters") == 1);
  auto changes = o->getArray("changes");
  REQUIRE(changes->size() == 1);
  CHECK(changes->getElement<std::string>(0) == "H41.31.01: channel mailbox -> webhook");
  CHECK(reloaded->body.find("webhook-secret") == std::string::npos);

  r = n.send(kCommuneA1, &bytes);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return recorder.snapshot().size() == 1; }));
  CHECK(recorder.snapshot()[0].body == bytes);  // the second document, not the first again

  // Webhook -> folder, as SIGHUP does it (Node::reloadDirectory reads directory.file again).
  adapters_test::TempDir folder;
  writeText(n.directory_file, directoryXml("test-3", schemas::Channel::Folder,
                                           {{"path", folder.path().string()}, {"quiet_ms", "0"}}));
  auto again = n.node->reloadDirectory();
  REQUIRE(again);
  CHECK(again->previous_version == "test-2");
  CHECK(again->changes == std::vector<std::string>{"H41.31.01: channel webhook -> folder"});
  std::string doc_id;
  r = n.send(kCommuneA1, &bytes, &doc_id);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return adapters_test::names(folder.path() / "out").size() == 1; }));
  const auto delivered = adapters_test::names(folder.path() / "out");
  CHECK(adapters_test::readFile(folder.path() / "out" / delivered[0]) == bytes);
  // Nothing is pending any more, so no stray hand-over to the old webhook can come.
  REQUIRE(waitFor([&] { return n.node->store().counts()->pending == 0; }));
  CHECK(recorder.snapshot().size() == 1);

  // Both switches are in the audit log with who asked and what changed.
  const auto audited = n.reloadsAudited();
  REQUIRE(audited.size() == 2);
  CHECK(audited[0].actor == "admin:admin-1");
  CHECK(audited[0].detail.find("version test-1 -> test-2") != std::string::npos);
  CHECK(audited[0].detail.find("H41.31.01: channel mailbox -> webhook") != std::string::npos);
  CHECK(audited[1].actor == "operator");
  CHECK(audited[1].detail.find("channel webhook -> folder") != std::string::npos);
}

TEST_CASE("directory reload: a unit added by a reload is routed at once and counted in the reports; a unit moved to paper is recorded as paper") {
  ReloadNode n;
  auto r = n.send(kNewCommune);
  REQUIRE(r);
  CHECK(r->status == 422);  // not in version test-1
  CHECK(r->body.find(kNewCommune) != std::string::npos);

  writeText(n.directory_file, directoryXml("test-2", schemas::Channel::Paper, {}, true));
  auto reloaded = n.node->reloadDirectory();
  REQUIRE(reloaded);
  CHECK(reloaded->units == 7);
  CHECK(reloaded->changes == std::vector<std::string>{
                                 "H41.31.01: channel mailbox -> paper",
                                 "added H41.31.02 (Ủy ban nhân dân xã Quỳnh Lập), mailbox at node 'district-a'"});
  r = n.send(kNewCommune);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  REQUIRE(waitFor([&] { return n.mailboxSize(kNewCommune) == 1; }));
  r = n.send(kCommuneA1);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(json(r->body)->getValue<int>("paper") == 1);

  // The reports list the new unit (the evidence reads the same live directory).
  auto files = n.pki.issue("auditor-1", Role::Auditor);
  auto auditor = HttpsClient::open(n.node->url(), *files, 5000);
  auto units = (*auditor)->request("GET", "/api/v1/reports/units");
  REQUIRE(units);
  REQUIRE(units->status == 200);
  CHECK(units->body.find("\"H41.31.02\"") != std::string::npos);
  CHECK(json(units->body)->getValue<std::string>("directory") == "test-2");
}

TEST_CASE("directory reload: a file that cannot be used is refused with its reason, and the node keeps its version and channels") {
  ReloadNode n;
  const auto health = [&] {
    auto h = anonymousClient(n.pki, n.node->url())->request("GET", "/healthz");
    REQUIRE(h);
    return json(h->body)->getValue<std::string>("directory");
  };
  const auto refused = [&](const std::string& expect) {
    auto r = n.reloadAs(Role::Admin, "admin-1");
    REQUIRE(r);
    INFO(r->body);
    CHECK(r->status == 422);
    CHECK(r->body.find(expect) != std::string::npos);
    CHECK(r->body.find("keeps version test-1") != std::string::npos);
    CHECK(health() == "test-1");
  };

  SECTION("an adapter setting is missing") {
    writeText(n.directory_file, directoryXml("test-2", schemas::Channel::Webhook,
                                             {{"secret", "webhook-secret-0123456789"}}));
    refused("(webhook): setting 'url' is missing");
  }
  SECTION("the file is not a directory") {
    writeText(n.directory_file, "<directory version=\"test-2\"><node name=");
    refused(n.directory_file.string());
  }
  SECTION("the file lost this node") {
    auto base = threeNodeDirectory({});
    std::vector<schemas::NodeInfo> nodes;
    std::vector<schemas::Unit> units;
    for (const auto& x : base->nodes()) if (x.name != "district-a") nodes.push_back(x);
    for (const auto& u : base->units()) if (u.home_node != "district-a") units.push_back(u);
    auto dir = schemas::Directory::fromUnits("test-2", nodes, units);
    REQUIRE(dir);
    writeText(n.directory_file, dir->toXml());
    refused("has no node 'district-a' (this node)");
  }
  SECTION("the file is gone") {
    fs::remove(n.directory_file);
    refused("directory.file '" + n.directory_file.string() + "'");
  }
  // Nothing changed: A1 still takes documents in its mailbox; no reload was audited.
  auto r = n.send(kCommuneA1);
  REQUIRE(r);
  REQUIRE(r->status == 202);
  CHECK(waitFor([&] { return n.mailboxSize(kCommuneA1) == 1; }));
  CHECK(n.reloadsAudited().empty());
}

TEST_CASE("directory reload: only an administrator may ask, with no body") {
  ReloadNode n;
  writeText(n.directory_file, directoryXml("test-2", schemas::Channel::Paper, {}));
  auto office = n.reloadAs(Role::Office, kCommuneA1);
  REQUIRE(office);
  CHECK(office->status == 403);
  auto auditor = n.reloadAs(Role::Auditor, "auditor-1");
  REQUIRE(auditor);
  CHECK(auditor->status == 403);
  auto body = n.reloadAs(Role::Admin, "admin-1", "<directory/>");
  REQUIRE(body);
  CHECK(body->status == 400);
  CHECK(body->body.find("edit that file first") != std::string::npos);
  CHECK(n.reloadsAudited().empty());
  auto ok = n.reloadAs(Role::Admin, "admin-1");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(n.reloadsAudited().size() == 1);
}

TEST_CASE("directory reload: `lienthong directory reload` asks the node as an administrator and prints the changes; `directory show` hides the secret") {
  ReloadNode n;
  const std::string secret = "webhook-secret-0123456789";
  writeText(n.directory_file, directoryXml("test-2", schemas::Channel::Webhook,
                                           {{"url", "https://dms.example.vn/hook"}, {"secret", secret}}));
  std::string out, err;
  auto admin = n.pki.issue("admin-1", Role::Admin);
  REQUIRE(admin);
  const std::vector<std::string> client{"--node", n.node->url(), "--ca", n.pki.caFile()};
  auto as = [&](const TlsFiles& f) {
    auto args = client;
    args.insert(args.end(), {"--cert", f.cert, "--key", f.key});
    return args;
  };
  auto args = as(*admin);
  args.insert(args.begin(), {"directory", "reload"});
  REQUIRE(lienthongCli(args, out, err) == 0);
  INFO(err);
  CHECK(out == "node 'district-a': directory reloaded: version test-1 -> test-2, 6 units, 1 served "
               "through adapters, 1 change(s)\n  H41.31.01: channel mailbox -> webhook\n");

  // An office's certificate is refused by the node; the command says so and exits 1.
  auto office = n.pki.issue(kCommuneA1, Role::Office);
  args = as(*office);
  args.insert(args.begin(), {"directory", "reload"});
  CHECK(lienthongCli(args, out, err) == 1);
  CHECK(err.find("HTTP 403") != std::string::npos);

  REQUIRE(lienthongCli({"directory", "show", kCommuneA1, "--directory", n.directory_file.string()}, out, err) == 0);
  CHECK(out.find("Channel        webhook\n") != std::string::npos);
  CHECK(out.find("  url = https://dms.example.vn/hook\n") != std::string::npos);
  CHECK(out.find("  secret = (set, 25 characters)\n") != std::string::npos);
  CHECK(out.find(secret) == std::string::npos);
}
