// bench_slow_clients: a legitimate client's request latency while 200 slow or idle connections
// are open against one node (default limits), beside the 1 s target. Scenarios: idle TCP (no
// TLS handshake), a TLS handshake sent one byte at a time, headers one byte every 500 ms, a body
// one byte every 500 ms, each from 200 distinct loopback addresses (127.0.1.x, so the
// per-address limit does not help), then 200 from one address (the per-address limit refuses
// all but 16). Attackers connect again whenever they are cut. Prints, per scenario, the
// connections made and refused, the legitimate requests' latency
// (median and max of 5, one a second) and whether the target is met.
//   ./build/bench/bench_slow_clients [--count N]
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../tests/gateway/raw_tls.h"
#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/schemas/directory.h"

using namespace lienthong;
using namespace lienthong::gateway;
using lienthong::gateway::testing::RawTls;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

int freePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = s.address().port();
  s.close();
  return port;
}

struct Attack {
  std::string name;
  bool distinct_sources = true;
  bool handshake = true;
  std::string first;   // sent at once after connecting
  std::string trickle; // then one byte of it every 500 ms, for as long as the connection lives
};

}  // namespace

int main(int argc, char** argv) {
  int count = 200;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--count") == 0) count = std::atoi(argv[i + 1]);
  }
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("lienthong-bench-slow-" + std::to_string(rd()));
  fs::create_directories(dir);
  auto pki = DevPki::open((dir / "pki").string());
  if (!pki) return 1;
  const int port = freePort();
  std::vector<schemas::NodeInfo> nodes = {{"province", "", "https://127.0.0.1:" + std::to_string(port)}};
  std::vector<schemas::Unit> units = {{"H41", "000.00.00.H41", "Tỉnh", "", 1, "2019-01-01", "", "", "province",
                                       schemas::Channel::Mailbox, {}}};
  auto directory = schemas::Directory::fromUnits("bench-1", std::move(nodes), std::move(units));
  NodeConfig c;
  c.name = "province";
  c.data_dir = (dir / "province").string();
  auto tls = pki->issue("province", Role::Node, "node-province");
  c.http.cert_file = tls->cert;
  c.http.key_file = tls->key;
  c.http.ca_file = tls->ca;
  c.http.port = port;
  c.http.certificate_rules = DevPki::certificateRules();
  c.trust = pki->caFile();
  auto seal = pki->issueSeal("000.00.00.H41", "Node", "seal-node-province");
  c.signing_key = seal->key;
  c.signing_cert = seal->cert;
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*directory)));
  auto node = Node::start(c, std::move(o));
  if (!node) {
    std::fprintf(stderr, "%s\n", node.error().message.c_str());
    return 1;
  }
  const TlsFiles office = *pki->issue("000.00.00.H41", Role::Office);
  std::printf("node on port %d: max_connections %d, max_per_address %d, handshake %d ms, request %d ms, "
              "read gap %d ms, keep-alive %d ms; %d attacking connections per scenario\n",
              port, c.http.max_connections, c.http.max_per_address, c.http.handshake_timeout_ms,
              c.http.read_timeout_ms, c.http.read_gap_ms, c.http.keepalive_ms, count);

  const std::vector<Attack> attacks = {
      {"idle TCP, no TLS handshake", true, false, "", ""},
      {"TLS handshake, one byte every 500 ms", true, false, "", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)},
      {"headers, one byte every 500 ms", true, true, "GET /healthz HTTP/1.1\r\n", "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
      {"body, one byte every 500 ms", true, true,
       "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", std::string(100000, 'a')},
      {"headers, one byte every 500 ms, all from one address", false, true, "GET /healthz HTTP/1.1\r\n",
       "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
  };
  bool all_ok = true;
  for (const auto& a : attacks) {
    std::atomic<bool> stop{false};
    std::atomic<int> opened{0}, refused{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        // An attacker connects again each time the server cuts it.
        while (!stop) {
          RawTls::Options ro;
          ro.ca_file = pki->caFile();
          ro.handshake = a.handshake;
          ro.source = a.distinct_sources ? "127.0.1." + std::to_string(1 + i % 250) : "127.0.0.9";
          auto t = RawTls::open(port, ro);
          if (!t) {
            ++refused;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            continue;
          }
          ++opened;
          if (!a.first.empty() && !t->send(a.first)) continue;
          std::size_t k = 0;
          while (!stop) {
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
            if (a.trickle.empty()) {
              t->setTimeout(1);
              if (t->closedByPeer()) break;  // cut: connect again
              continue;
            }
            if (!t->send(std::string(1, a.trickle[k++ % a.trickle.size()]))) break;  // cut
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the attack is in place
    std::vector<double> ms;
    int failed = 0;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = Clock::now();
      auto client = HttpsClient::open((*node)->url(), office, 15000);
      auto r = client ? (*client)->request("GET", "/api/v1/mailbox") : Result<ClientResponse>(std::unexpected(client.error()));
      const double took = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (!r || r->status != 200) ++failed;
      ms.push_back(took);
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
    stop = true;
    for (auto& t : threads) t.join();
    std::sort(ms.begin(), ms.end());
    const bool ok = failed == 0 && ms.back() < 1000.0;
    all_ok = all_ok && ok;
    std::printf("%-55s connections %4d refused %4d | legitimate request: median %7.1f ms, max %7.1f ms, failed %d "
                "| limit 1000 ms: %s\n",
                a.name.c_str(), opened.load(), refused.load(), ms[ms.size() / 2], ms.back(), failed,
                ok ? "met" : "MISSED");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  (*node)->stop();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return all_ok ? 0 : 1;
}
