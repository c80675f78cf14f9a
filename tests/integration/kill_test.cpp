// Crash safety: a sending node (`lienthong serve`, a child process) is killed with SIGKILL in
// the middle of a batch of 1,000 signed documents and restarted on the same data folder. Every
// document it answered 202 must reach the recipient's mailbox exactly once. And a district node
// killed while its register summaries are on their way to the province loses or doubles nothing
// of them once it is back.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/app/serve.h"
#include "lienthong/gateway/evidence/summary.h"

extern char** environ;

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

// `lienthong serve --config FILE` with its output in LOG; killed with SIGKILL on destruction.
class ServeProcess {
 public:
  ServeProcess(const std::string& config, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> words{LIENTHONG_BINARY, "serve", "--config", config};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, LIENTHONG_BINARY, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
  }
  ~ServeProcess() { kill9(); }
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

bool healthy(const DevPki& pki, const std::string& url) {
  auto c = HttpsClient::open(url, TlsFiles{"", "", pki.caFile()}, 1000);
  if (!c) return false;
  auto r = (*c)->request("GET", "/healthz");
  return r && r->status == 200;
}

}  // namespace

namespace {

// A node.conf for `lienthong serve` of `name` in `dir`, on the dev PKI, as the test nodes are.
std::string writeServeConfig(const fs::path& dir, const fs::path& data, const DevPki& pki, const std::string& name,
                             const std::string& seal_unit, int port, const schemas::Directory& directory,
                             const std::string& extra = {}) {
  fs::create_directories(dir);
  std::ofstream(dir / "directory.xml") << directory.toXml();
  auto tls = pki.issue(name, Role::Node, "node-" + name);
  auto seal = pki.issueSeal(seal_unit, "Gateway node " + name, "seal-node-" + name);
  {
    std::ofstream map(dir / "certificates.map");
    map << "# role identity match value\n"
        << "office * policy " << DevPki::rolePolicy(Role::Office) << "\n"
        << "node * policy " << DevPki::rolePolicy(Role::Node) << "\n"
        << "admin * policy " << DevPki::rolePolicy(Role::Admin) << "\n";
  }
  std::ofstream conf(dir / "node.conf");
  conf << "node.name = " << name << "\n"
       << "auth.certificates = " << (dir / "certificates.map").string() << "\n"
       << "node.listen = 127.0.0.1:" << port << "\n"
       << "node.data = " << data.string() << "\n"
       << "directory.file = " << (dir / "directory.xml").string() << "\n"
       << "tls.cert = " << tls->cert << "\ntls.key = " << tls->key << "\ntls.ca = " << tls->ca << "\n"
       << "trust.dir = " << pki.caFile() << "\n"
       << "signing.key = " << seal->key << "\nsigning.cert = " << seal->cert << "\n"
       << "dispatch.workers = 4\ndispatch.backoff_ms = 50\ndispatch.backoff_max_ms = 400\n"
       << "dispatch.max_attempts = 1000\n"
       << extra;
  return (dir / "node.conf").string();
}

}  // namespace

TEST_CASE("kill -9 of a sending node during a batch of 1,000: every 202 is delivered exactly once") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}};
  auto directory = threeNodeDirectory(ports);

  // The receiver: district-a, in this process.
  NodeConfig rc = testNodeConfig(tmp.path(), pki, "district-a", ports.at("district-a"));
  rc.dispatch.max_attempts = 100000;  // the statuses it returns wait for the province to come back
  NodeOptions ro;
  ro.directory = schemas::LiveDirectory::make(directory);
  auto receiver = std::move(*Node::start(rc, std::move(ro)));

  // The sender: the province, as a separate `lienthong serve` process.
  const fs::path dir = tmp.path() / "province-conf";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "directory.xml") << directory->toXml();
    auto tls = pki.issue("province", Role::Node, "node-province");
    auto seal = pki.issueSeal(kProvince, "Gateway node province", "seal-node-province");
    {
      std::ofstream map(dir / "certificates.map");
      map << "# role identity match value\n"
          << "office * policy " << DevPki::rolePolicy(Role::Office) << "\n"
          << "node * policy " << DevPki::rolePolicy(Role::Node) << "\n";
    }
    std::ofstream conf(dir / "node.conf");
    conf << "node.name = province\n"
         << "auth.certificates = " << (dir / "certificates.map").string() << "\n"
         << "node.listen = 127.0.0.1:" << ports.at("province") << "\n"
         << "node.data = " << (tmp.path() / "province").string() << "\n"
         << "directory.file = " << (dir / "directory.xml").string() << "\n"
         << "tls.cert = " << tls->cert << "\ntls.key = " << tls->key << "\ntls.ca = " << tls->ca << "\n"
         << "trust.dir = " << pki.caFile() << "\n"
         << "signing.key = " << seal->key << "\nsigning.cert = " << seal->cert << "\n"
         << "dispatch.workers = 4\ndispatch.backoff_ms = 50\ndispatch.backoff_max_ms = 400\n"
         << "dispatch.max_attempts = 1000\n";
  }
  const std::string conf = (dir / "node.conf").string();
  const std::string log = (tmp.path() / "province.log").string();
  const std::string url = "https://127.0.0.1:" + std::to_string(ports.at("province"));

  constexpr int kDocs = 1000;
  std::vector<std::string> bodies, ids;
  for (int i = 0; i < kDocs; ++i) {
    auto p = testPackage(kProvince, {kCommuneA1}, 5000 + i);
    ids.push_back(p.documentId());
    bodies.push_back(signers.sign(kProvince, p.serialize()));
  }

  std::mutex mu;  // guards accepted and errors
  std::set<int> accepted;
  std::vector<std::string> errors;
  // Made once, before the client threads (the dev PKI is not thread-safe per folder).
  const TlsFiles office = *pki.issue(kProvince, Role::Office);
  auto send = [&](const std::vector<int>& which, std::atomic<bool>* stop_sending) {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        auto opened = HttpsClient::open(url, office, 30000);
        if (!opened) return;
        auto& c = *opened;
        for (std::size_t k; (k = next.fetch_add(1)) < which.size();) {
          if (stop_sending && stop_sending->load()) return;
          const int i = which[k];
          auto r = c->request("POST", "/api/v1/documents", bodies[static_cast<std::size_t>(i)]);
          std::lock_guard lock(mu);
          if (r && (r->status == 202 || r->status == 200)) {
            accepted.insert(i);
          } else if (errors.size() < 5) {
            errors.push_back(r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : r.error().message);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  };

  std::vector<int> all(kDocs);
  for (int i = 0; i < kDocs; ++i) all[static_cast<std::size_t>(i)] = i;
  {
    auto sender = std::make_unique<ServeProcess>(conf, log);
    const bool up = waitFor([&] { return healthy(pki, url); }, std::chrono::seconds(30));
    INFO(std::string(std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(log)), {}));
    REQUIRE(up);
    std::atomic<bool> stop{false};
    std::atomic<bool> sent_all{false};
    std::thread killer([&] {
      // Mid-batch: once about a third of the batch has its 202.
      while (!sent_all) {
        {
          std::lock_guard lock(mu);
          if (accepted.size() >= kDocs / 3) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      sender->kill9();
      stop = true;
    });
    send(all, &stop);
    sent_all = true;
    killer.join();
  }
  const std::set<int> before_crash = accepted;
  INFO("accepted before the kill: " << before_crash.size());
  std::string first_errors;
  for (const auto& e : errors) first_errors += e + "\n";
  INFO("first errors:\n" << first_errors);
  REQUIRE(before_crash.size() >= kDocs / 3);
  REQUIRE(before_crash.size() < kDocs);

  // Restart on the same data folder and send the rest (a repeat of a stored one gets 200).
  ServeProcess again(conf, log);
  REQUIRE(waitFor([&] { return healthy(pki, url); }, std::chrono::seconds(30)));
  std::vector<int> rest;
  for (int i = 0; i < kDocs; ++i) {
    if (!before_crash.contains(i)) rest.push_back(i);
  }
  send(rest, nullptr);
  REQUIRE(accepted.size() == kDocs);

  auto mailbox = [&] {
    std::map<std::string, int> seen;
    auto m = receiver->store().mailbox(kCommuneA1, {});
    REQUIRE(m);
    for (const auto& e : *m) seen[e.document_id] += 1;
    return seen;
  };
  REQUIRE(waitFor([&] { return mailbox().size() == kDocs; }, std::chrono::seconds(90)));
  const auto seen = mailbox();
  int twice = 0;
  for (const auto& [id, n] : seen) twice += n != 1;
  CHECK(twice == 0);
  for (int i : before_crash) CHECK(seen.at(ids[static_cast<std::size_t>(i)]) == 1);
  CHECK(receiver->store().counts()->messages >= kDocs);
}

TEST_CASE("kill -9 of a district node while its summaries go up: the province's figures equal the district's own, nothing doubled") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}};
  auto directory = threeNodeDirectory(ports);

  // The province, in this process, with its evidence (it takes the summaries).
  NodeConfig pc = testNodeConfig(tmp.path(), pki, "province", ports.at("province"));
  pc.summary_seconds = 0;
  pc.web_dir = (tmp.path() / "no-web").string();
  NodeOptions po;
  po.directory = schemas::LiveDirectory::make(directory);
  auto pev = prepareEvidence(pc, po);
  if (!pev) FAIL(pev.error().describe());
  auto province = Node::start(pc, std::move(po));
  if (!province) FAIL(province.error().describe());
  pev->audit->attach(&(*province)->store());

  // district-a as `lienthong serve`, summarising every second on its housekeeping thread.
  const fs::path data = tmp.path() / "district-a";
  const std::string conf = writeServeConfig(tmp.path() / "district-a-conf", data, pki, "district-a", kDistrictA,
                                            ports.at("district-a"), *directory, "evidence.summary_seconds = 1\n");
  const std::string log = (tmp.path() / "district-a.log").string();
  const std::string url = "https://127.0.0.1:" + std::to_string(ports.at("district-a"));
  const TlsFiles office = *pki.issue(kDistrictA, Role::Office);
  int number = 0;
  std::set<std::string> accepted;
  const auto send = [&](int n, const std::string& date) {
    auto c = HttpsClient::open(url, office, 15000);
    REQUIRE(c);
    for (int i = 0; i < n; ++i) {
      auto p = testPackage(kDistrictA, {kCommuneA1}, 7000 + ++number, "UBND");
      p.header.promulgation_date = date;
      p.header.document_id = std::string(kDistrictA) + "," + date + "," + std::to_string(7000 + number) + "/UBND";
      auto r = (*c)->request("POST", "/api/v1/documents", signers.sign(kDistrictA, p.serialize()));
      if (r && (r->status == 202 || r->status == 200)) accepted.insert(p.header.document_id);
    }
  };
  const auto received_rows = [&] {
    auto rows = pev->summaries->store().rows("district-a");
    return rows ? static_cast<int>(rows->size()) : -1;
  };
  {
    ServeProcess district(conf, log);
    REQUIRE(waitFor([&] { return healthy(pki, url); }, std::chrono::seconds(30)));
    send(40, "2022/07/04");
    send(40, "2022/07/05");
    // Killed once the first summaries are in flight (made, and some of them taken or not).
    const bool first_rows = waitFor([&] {
      auto s = pev->summaries->ingest();
      return s && received_rows() > 0;
    }, std::chrono::seconds(30));
    if (!first_rows) {
      FAIL("no summary reached the province; accepted " << accepted.size() << "; district-a's log:\n"
                                                       << std::string(std::istreambuf_iterator<char>(
                                                                          *std::make_unique<std::ifstream>(log)),
                                                                      {}));
    }
    send(30, "2022/07/06");
    district.kill9();
  }
  {
    // Back on the same data folder: the rest of the summaries, and a correction of a day.
    ServeProcess district(conf, log);
    REQUIRE(waitFor([&] { return healthy(pki, url); }, std::chrono::seconds(30)));
    send(20, "2022/07/04");
    const auto own_total = [&] {
      // The district's own figures, read from its register beside the running node.
      EvidenceOptions o;
      o.store_file = (data / "store.sqlite").string();
      o.directory = schemas::LiveDirectory::make(directory);
      o.node_name = "district-a";
      auto ev = openEvidence(o);
      REQUIRE(ev);
      auto r = ev->reporter->issuance(*Scope::parse("subtree:H41.31"), *Period::parse("2022-Q3"));
      REQUIRE(r);
      return *r;
    };
    const auto at_province = [&] {
      auto r = pev->reporter->issuance(*Scope::parse("subtree:H41.31"), *Period::parse("2022-Q3"));
      REQUIRE(r);
      return *r;
    };
    REQUIRE(waitFor([&] {
      return at_province().total.outgoing.total == static_cast<std::int64_t>(accepted.size());
    }, std::chrono::seconds(60)));
    const auto own = own_total();
    const auto there = at_province();
    INFO(std::string(std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(log)), {}));
    CHECK(own.total.outgoing.total == static_cast<std::int64_t>(accepted.size()));
    CHECK(there.total.outgoing.total == own.total.outgoing.total);
    CHECK(there.total.outgoing.electronic_only == own.total.outgoing.electronic_only);
    CHECK(there.total.received == own.total.received);
    // One row per unit and day at the province, whatever was sent twice.
    auto rows = pev->summaries->store().rows("district-a");
    REQUIRE(rows);
    std::set<std::string> days;
    for (const auto& r : *rows) CHECK(days.insert(r.figures.unit + " " + r.figures.day).second);
  }
  pev->audit->attach(nullptr);
  (*province)->stop();
}
