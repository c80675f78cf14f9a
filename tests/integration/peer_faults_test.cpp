// Faults between peers, with real nodes on loopback (mutual TLS, real stores, signed packages):
// a peer that accepts TCP and never answers, a peer down for longer than the old retry budget,
// and a peer whose backlog is retried at once when it is seen again.
#include <Poco/Net/ServerSocket.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include <fstream>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/node/config.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Nodes of the three-node tree on given ports, started on demand with a config hook.
struct Peers {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  std::map<std::string, int> ports;
  std::shared_ptr<const schemas::Directory> directory;
  std::map<std::string, std::unique_ptr<Node>> nodes;
  std::function<void(NodeConfig&)> tune = [](NodeConfig&) {};

  explicit Peers(std::map<std::string, int> p) : ports(std::move(p)), directory(threeNodeDirectory(ports)) {}

  void start(const std::string& name) {
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(directory);
    NodeConfig cfg = testNodeConfig(tmp.path(), pki, name, ports.at(name));
    cfg.dispatch.max_attempts = 0;  // the horizon decides
    tune(cfg);
    auto n = Node::start(cfg, std::move(o));
    REQUIRE(n);
    nodes[name] = std::move(*n);
  }
  Node& node(const std::string& name) { return *nodes.at(name); }
  std::string url(const std::string& name) { return "https://127.0.0.1:" + std::to_string(ports.at(name)); }

  // Posts a signed document from `from` (homed at `home`) to `to`; returns its message id there.
  std::int64_t send(const std::string& from, const std::string& home, const std::string& to, int number) {
    auto c = officeClient(pki, from, url(home));
    auto r = c->request("POST", "/api/v1/documents",
                        signers.sign(from, testPackage(from, {to}, number).serialize()));
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 202);
    const auto at = r->body.find("\"id\":");
    REQUIRE(at != std::string::npos);
    return std::stoll(r->body.substr(at + 5));
  }

  // The delivery of message `id` at `name` once it left (delivered), else nullopt.
  std::optional<Delivery> done(const std::string& name, std::int64_t id) {
    auto ds = node(name).store().deliveriesOf(id);
    if (!ds || ds->size() != 1 || (*ds)[0].state != DeliveryState::Delivered) return std::nullopt;
    return (*ds)[0];
  }

  int mailboxCount(const std::string& organ, const std::string& home) {
    auto c = officeClient(pki, organ, url(home));
    auto r = c->request("GET", "/api/v1/mailbox");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    int n = 0;
    for (std::size_t at = r->body.find("\"document_id\""); at != std::string::npos;
         at = r->body.find("\"document_id\"", at + 1)) {
      ++n;
    }
    return n;
  }

  std::string metrics(const std::string& name) {
    auto c = anonymousClient(pki, url(name));
    auto r = c->request("GET", "/metrics");
    REQUIRE(r);
    return r->body;
  }
};

// The value of one /metrics line, or -1 when it is not there.
double metric(const std::string& text, const std::string& line_start) {
  const auto at = text.find(line_start + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + line_start.size() + 1));
}

std::int64_t median(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

TEST_CASE("https client: a peer that accepts TCP and never answers the TLS handshake costs one deadline") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  // The kernel completes the TCP handshake for the listen backlog; nobody ever reads or writes.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string url = "https://127.0.0.1:" + std::to_string(silent.address().port());
  auto files = pki.issue("province", Role::Node, "node-province");
  auto client = HttpsClient::open(url, *files, 700);
  REQUIRE(client);
  for (int i = 0; i < 2; ++i) {  // a fresh connection and then the reconnect after a failure
    const auto t = Clock::now();
    auto r = (*client)->request("POST", "/api/v1/documents", "<x/>");
    const auto took = msSince(t);
    INFO("attempt " << i << " took " << took << " ms");
    REQUIRE_FALSE(r);
    INFO(r.error().message);
    CHECK(r.error().code == ErrorCode::Network);
    CHECK(took >= 600);
    CHECK(took < 2000);  // the deadline once (the handshake's read), not forever, not twice
  }
}

TEST_CASE("a hung peer (TCP accepted, silent) does not slow deliveries to a healthy peer; its backlog drains once when it is back") {
  // district-b's address is held by a socket that accepts TCP and never answers.
  auto hung = std::make_unique<Poco::Net::ServerSocket>(Poco::Net::SocketAddress("127.0.0.1", 0), 256);
  Peers p({{"province", freePort()}, {"district-a", freePort()}, {"district-b", hung->address().port()}});
  p.tune = [](NodeConfig& c) {
    c.peer_timeout_ms = 1500;
    c.dispatch.backoff_ms = 100;
    c.dispatch.backoff_max_ms = 1000;
  };
  p.start("province");
  p.start("district-a");

  // Before: the healthy peer's delivery latency (intake to hand-over, from the province's store).
  std::vector<std::int64_t> before;
  for (int i = 0; i < 8; ++i) {
    const auto id = p.send(kProvince, "province", kCommuneA1, 100 + i);
    REQUIRE(waitFor([&] { return p.done("province", id).has_value(); }));
    const auto d = *p.done("province", id);
    before.push_back(d.done_ms - d.created_ms);
  }

  // While district-b hangs: documents to both peers, interleaved, for a while.
  std::vector<std::int64_t> to_a, to_b;
  const auto hang_started = Clock::now();
  for (int i = 0; i < 24; ++i) {
    to_b.push_back(p.send(kProvince, "province", kCommuneB1, 200 + i));
    to_a.push_back(p.send(kProvince, "province", kCommuneA1, 300 + i));
    // Paced over several deadlines of the hung peer, so that its attempts overlap the others.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  std::vector<std::int64_t> during;
  for (const auto id : to_a) {
    REQUIRE(waitFor([&] { return p.done("province", id).has_value(); }, std::chrono::seconds(10)));
    const auto d = *p.done("province", id);
    during.push_back(d.done_ms - d.created_ms);
  }
  const auto hung_for = msSince(hang_started);
  INFO("healthy peer: median before " << median(before) << " ms, during the hang " << median(during)
                                      << " ms, max during " << *std::max_element(during.begin(), during.end())
                                      << " ms; hung for " << hung_for << " ms");
  // The hung peer was really tried, and held: nothing of it delivered, nothing failed.
  CHECK(p.node("province").metrics().retryCount() >= 3);
  for (const auto id : to_b) CHECK_FALSE(p.done("province", id).has_value());
  CHECK(p.node("province").store().counts()->failed == 0);
  // Healthy deliveries kept their latency: none waited for a hung-peer deadline (1.5 s).
  CHECK(median(during) <= median(before) + 300);
  CHECK(*std::max_element(during.begin(), during.end()) < 1500);
  const auto m = p.metrics("province");
  CHECK(metric(m, "lienthong_backlog{route=\"peer\",hop=\"district-b\"}") == 24);
  CHECK(metric(m, "lienthong_backlog_oldest_seconds{route=\"peer\",hop=\"district-b\"}") >= 5);
  CHECK(metric(m, "lienthong_hop_failures{hop=\"node:district-b\"}") >= 3);

  // district-b comes back on its address: its backlog is handed over, each document once.
  hung.reset();
  p.start("district-b");
  REQUIRE(waitFor([&] { return p.node("province").store().counts()->pending == 0; }, std::chrono::seconds(30)));
  for (const auto id : to_b) CHECK(p.done("province", id).has_value());
  REQUIRE(waitFor([&] { return p.mailboxCount(kCommuneB1, "district-b") == 24; }));
  CHECK(p.mailboxCount(kCommuneB1, "district-b") == 24);
  CHECK(p.node("province").store().counts()->failed == 0);
  CHECK(p.node("district-b").store().counts()->messages >= 24);
}

TEST_CASE("a peer down for longer than the old retry budget: nothing fails, all delivered once when it returns") {
  Peers p({{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}});
  // Short backoffs: the old budget (8 attempts) is spent in about a second.
  p.tune = [](NodeConfig& c) {
    c.dispatch.backoff_ms = 20;
    c.dispatch.backoff_max_ms = 200;
  };
  p.start("province");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(p.send(kProvince, "province", kCommuneB1, 400 + i));
  // Every delivery has been tried more often than the old budget allowed.
  REQUIRE(waitFor([&] {
    for (const auto id : ids) {
      auto ds = p.node("province").store().deliveriesOf(id);
      if (!ds || ds->size() != 1 || (*ds)[0].attempts < 9) return false;
    }
    return true;
  }, std::chrono::seconds(40)));
  CHECK(p.node("province").store().counts()->failed == 0);
  CHECK(p.node("province").store().counts()->pending == 3);
  CHECK(p.node("province").metrics().failureCount() == 0);

  p.start("district-b");
  REQUIRE(waitFor([&] { return p.node("province").store().counts()->pending == 0; }, std::chrono::seconds(20)));
  REQUIRE(waitFor([&] { return p.mailboxCount(kCommuneB1, "district-b") == 3; }));
  CHECK(p.node("province").store().counts()->failed == 0);
  CHECK(p.mailboxCount(kCommuneB1, "district-b") == 3);
}

TEST_CASE("a resting peer's backlog is retried at once when a message comes in from it") {
  Peers p({{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}});
  // One failure rests the peer for 20-40 s: only its coming back can explain a quick drain.
  p.tune = [](NodeConfig& c) {
    c.dispatch.backoff_ms = 40000;
    c.dispatch.backoff_max_ms = 60000;
    c.dispatch.breaker_failures = 1;
  };
  p.start("province");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(p.send(kProvince, "province", kCommuneB1, 500 + i));
  double rest = -1;
  REQUIRE(waitFor([&] {
    rest = metric(p.metrics("province"), "lienthong_hop_probe_in_seconds{hop=\"node:district-b\"}");
    return rest >= 18;
  }));
  const auto seen_at = Clock::now();
  p.start("district-b");
  // district-b hands the province a document: the province hears from it.
  p.send(kCommuneB1, "district-b", kProvince, 600);
  REQUIRE(waitFor([&] { return p.node("province").store().counts()->pending == 0; }, std::chrono::seconds(30)));
  const auto drained_in = msSince(seen_at);
  INFO("the rest had " << rest << " s to go; drained " << drained_in << " ms after district-b came back");
  CHECK(static_cast<double>(drained_in) < (rest - 2) * 1000);
  REQUIRE(waitFor([&] { return p.mailboxCount(kCommuneB1, "district-b") == 3; }));
  CHECK(p.node("province").store().counts()->failed == 0);
}

TEST_CASE("a delivery still failing after the retry horizon fails for good and the sender hears why") {
  Peers p({{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}});
  p.tune = [](NodeConfig& c) {
    c.dispatch.backoff_ms = 50;
    c.dispatch.backoff_max_ms = 200;
    c.dispatch.retry_horizon_ms = 1500;
  };
  p.start("province");
  const auto id = p.send(kProvince, "province", kCommuneB1, 700);
  REQUIRE(waitFor([&] { return p.node("province").store().counts()->failed == 1; }, std::chrono::seconds(20)));
  auto ds = p.node("province").store().deliveriesOf(id);
  REQUIRE(ds);
  CHECK((*ds)[0].state == DeliveryState::Failed);
  CHECK((*ds)[0].last_error.find("retry horizon (1 s") != std::string::npos);
  // The sender's 02 names the reason.
  auto c = officeClient(p.pki, kProvince, p.url("province"));
  REQUIRE(waitFor([&] {
    auto r = c->request("GET", "/api/v1/documents/" + urlEncode(testPackage(kProvince, {kCommuneB1}, 700).documentId()) +
                                   "?sender=" + urlEncode(kProvince));
    return r && r->status == 200 && r->body.find("\"code\":\"02\"") != std::string::npos &&
           r->body.find("retry horizon") != std::string::npos;
  }));
}

TEST_CASE("a resting peer is probed at least every dispatch.probe_max_ms, however long its backoff") {
  Peers p({{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}});
  p.tune = [](NodeConfig& c) {
    c.dispatch.backoff_ms = 40000;
    c.dispatch.backoff_max_ms = 60000;
    c.dispatch.breaker_failures = 1;
    c.dispatch.probe_max_ms = 300;
  };
  p.start("province");
  p.send(kProvince, "province", kCommuneB1, 800);
  REQUIRE(waitFor([&] { return p.node("province").metrics().retryCount() >= 1; }));
  const double rest = metric(p.metrics("province"), "lienthong_hop_probe_in_seconds{hop=\"node:district-b\"}");
  CHECK(rest <= 0.3);
  // district-b comes back: the next probe, not the 20-40 s backoff, hands the document over.
  const auto back = Clock::now();
  p.start("district-b");
  REQUIRE(waitFor([&] { return p.node("province").store().counts()->pending == 0; }, std::chrono::seconds(15)));
  INFO("delivered " << msSince(back) << " ms after district-b came back");
  CHECK(msSince(back) < 15000);
}

TEST_CASE("dispatch settings: the retry horizon in days, hours, minutes or seconds; bad spans named") {
  TempDir tmp;
  const auto load = [&](const std::string& lines) {
    const fs::path f = tmp.path() / "node.conf";
    std::ofstream(f) << lines;
    return loadConfig(f.string());
  };
  auto week = load("dispatch.retry_horizon = 7d\ndispatch.per_peer = 1\ndispatch.probe_max_ms = 5000\n");
  REQUIRE(week);
  CHECK(week->dispatch.retry_horizon_ms == 7 * kDayMs);
  CHECK(week->dispatch.per_peer == 1);
  CHECK(week->dispatch.probe_max_ms == 5000);
  CHECK(load("dispatch.retry_horizon = 36h\n")->dispatch.retry_horizon_ms == 36ll * 3600 * 1000);
  CHECK(load("dispatch.retry_horizon = 90m\n")->dispatch.retry_horizon_ms == 90ll * 60 * 1000);
  CHECK(load("dispatch.retry_horizon = 600s\n")->dispatch.retry_horizon_ms == 600000);
  CHECK(loadConfig((tmp.path() / "none.conf").string()).error().code == ErrorCode::Config);
  auto bad = load("dispatch.retry_horizon = soon\n");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.ends_with("node.conf: dispatch.retry_horizon: 'soon' is not a span like 7d, 36h, 90m, 600s or 1500ms"));
  CHECK(NodeConfig{}.dispatch.retry_horizon_ms == 7 * kDayMs);
  CHECK(NodeConfig{}.dispatch.max_attempts == 0);
}
