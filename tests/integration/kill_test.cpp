// Crash safety: a sending node (`lienthong serve`, a child process) is killed with SIGKILL in
// the middle of a batch of 1,000 signed documents and restarted on the same data folder. Every
// document it answered 202 must reach the recipient's mailbox exactly once.
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
