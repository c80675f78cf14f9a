// Gateway benchmark over HTTPS keep-alive: N concurrent office clients post ~4 KB packages to
// one node (intake: parse, schema, credential, duplicate check, durable SQLite commit) and the
// rate and p50/p99 latency are printed; then the same batch crosses three nodes (commune ->
// district-a -> province -> district-b -> commune) and the end-to-end rate is printed.
// usage: bench_gateway [--clients N] [--docs M]
// Packages are unsigned (policy.allow_unsigned) until the gateway verifies XMLDSig envelopes.
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/gateway/dev_pki.h"
#include "lienthong/gateway/https_client.h"
#include "lienthong/gateway/node.h"
#include "lienthong/schemas/sample.h"

using namespace lienthong;
using namespace lienthong::gateway;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

int freePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = s.address().port();
  s.close();
  return port;
}

std::shared_ptr<const schemas::Directory> directory(const std::map<std::string, int>& ports) {
  using schemas::Channel;
  auto url = [&](const std::string& n) { return "https://127.0.0.1:" + std::to_string(ports.at(n)); };
  std::vector<schemas::NodeInfo> nodes = {{"province", "", url("province")},
                                          {"district-a", "province", url("district-a")},
                                          {"district-b", "province", url("district-b")}};
  std::vector<schemas::Unit> units = {
      {"H41", "000.00.00.H41", "UBND tỉnh", "", 1, "", "", "", "province", Channel::Mailbox, {}},
      {"H41.31", "000.00.31.H41", "UBND huyện A", "H41", 2, "", "", "", "district-a", Channel::Mailbox, {}},
      {"H41.32", "000.00.32.H41", "UBND huyện B", "H41", 2, "", "", "", "district-b", Channel::Mailbox, {}},
      {"H41.31.01", "000.01.31.H41", "UBND xã A1", "H41.31", 3, "", "", "", "district-a", Channel::Mailbox, {}},
      {"H41.32.01", "000.01.32.H41", "UBND xã B1", "H41.32", 3, "", "", "", "district-b", Channel::Mailbox, {}},
  };
  return std::make_shared<const schemas::Directory>(*schemas::Directory::fromUnits("bench", nodes, units));
}

struct Run {
  double seconds = 0;
  std::vector<double> latencies_ms;
  int errors = 0;
};

Run post(const std::string& url, const TlsFiles& tls, const std::vector<std::string>& bodies, int clients) {
  Run run;
  std::atomic<std::size_t> next{0};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<int> errors{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto c = HttpsClient::open(url, tls, 30000);
      if (!c) {
        errors += 1;
        return;
      }
      for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        const auto t0 = Clock::now();
        auto r = (*c)->request("POST", "/api/v1/documents", bodies[i]);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!r || r->status != 202) {
          errors += 1;
          if (errors < 3) std::cerr << (r ? r->body : r.error().message) << "\n";
        }
        lat[static_cast<std::size_t>(t)].push_back(ms);
      }
    });
  }
  for (auto& th : threads) th.join();
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& l : lat) run.latencies_ms.insert(run.latencies_ms.end(), l.begin(), l.end());
  std::sort(run.latencies_ms.begin(), run.latencies_ms.end());
  run.errors = errors;
  return run;
}

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::vector<std::string> packages(const std::string& from, const std::string& to, int n, int base) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    schemas::sample::PackageSpec spec;
    spec.from = from;
    spec.to = {to};
    spec.number = base + i;
    spec.pdf_bytes = 1200;
    spec.zipped_appendix = false;
    out.push_back(schemas::sample::package(spec).serialize());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 8, docs = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients")) clients = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--docs")) docs = std::atoi(argv[i + 1]);
  }
  const fs::path dir = fs::temp_directory_path() / ("lienthong-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  auto pki = DevPki::open((dir / "pki").string());
  if (!pki) {
    std::cerr << pki.error().message << "\n";
    return 1;
  }
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}};
  auto dirx = directory(ports);
  std::map<std::string, std::unique_ptr<Node>> nodes;
  for (const auto& [name, port] : ports) {
    NodeConfig c;
    c.name = name;
    c.data_dir = (dir / name).string();
    auto files = pki->issue(name, Role::Node, "node-" + name);
    c.http.cert_file = files->cert;
    c.http.key_file = files->key;
    c.http.ca_file = files->ca;
    c.http.port = port;
    c.http.max_connections = clients + 16;
    c.trust = pki->caFile();
    const std::string seal_unit = name == "province" ? "000.00.00.H41" : name == "district-a" ? "000.00.31.H41" : "000.00.32.H41";
    auto seal = pki->issueSeal(seal_unit, "Gateway node " + name, "seal-node-" + name);
    c.signing_key = seal->key;
    c.signing_cert = seal->cert;
    c.dispatch.workers = 4;
    NodeOptions o;
    o.directory = dirx;
    auto n = Node::start(c, std::move(o));
    if (!n) {
      std::cerr << n.error().message << "\n";
      return 1;
    }
    nodes[name] = std::move(*n);
  }
  auto tls = *pki->issue("000.01.31.H41", Role::Office);
  const auto bodies = packages("000.01.31.H41", "000.00.31.H41", docs, 1);
  std::printf("package size: %zu bytes, %d clients, %d documents\n", bodies[0].size(), clients, docs);
  Run intake = post(nodes["district-a"]->url(), tls, bodies, clients);
  std::printf("intake (one node, local recipient): %.0f docs/s  p50 %.2f ms  p99 %.2f ms  errors %d\n",
              static_cast<double>(docs) / intake.seconds, pct(intake.latencies_ms, 0.5),
              pct(intake.latencies_ms, 0.99), intake.errors);

  const auto across = packages("000.01.31.H41", "000.01.32.H41", docs, 100000);
  const auto t0 = Clock::now();
  Run r = post(nodes["district-a"]->url(), tls, across, clients);
  auto delivered = [&] {
    auto m = nodes["district-b"]->store().mailbox("000.01.32.H41", {"delivered"});
    return m ? static_cast<int>(m->size()) : 0;
  };
  while (delivered() < docs && Clock::now() - t0 < std::chrono::minutes(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("three nodes (commune -> district-a -> province -> district-b -> commune): %d of %d delivered, %.0f docs/s end to end (intake p99 %.2f ms)\n",
              delivered(), docs, static_cast<double>(delivered()) / secs, pct(r.latencies_ms, 0.99));
  nodes.clear();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
