// Gateway benchmark over HTTPS keep-alive with mutual TLS: N concurrent office clients post
// SIGNED ~4 KB packages (XMLDSig by the commune's seal, EC P-256 from the dev PKI, or RSA-2048
// with --rsa) to one node (intake: parse, schema, credential, signature and certificate
// verification, duplicate check, durable SQLite group commit) and the rate and p50/p99 latency
// are printed; with --rate R the clients send on a fixed schedule of R docs/s and latency counts
// from each document's scheduled time (no coordinated omission). Then a batch crosses three
// nodes (commune -> district-a -> province -> district-b -> commune, each hop verifying the
// signature again, statuses 01 flowing back) and the end-to-end rate is printed.
// usage: bench_gateway [--clients N] [--docs M] [--rate R] [--rsa] [--skip-three]
//                      [--workers W (dispatcher threads per node, default 8)] [--pdf-bytes B]
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/signing/ca.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/xml_signer.h"

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

Run post(const std::string& url, const TlsFiles& tls, const std::vector<std::string>& bodies, int clients,
         double rate) {
  Run run;
  std::atomic<std::size_t> next{0};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<int> errors{0};
  std::vector<std::unique_ptr<HttpsClient>> conns;
  for (int t = 0; t < clients; ++t) {
    auto c = HttpsClient::open(url, tls, 30000);
    if (!c) {
      std::cerr << c.error().message << "\n";
      std::exit(1);
    }
    // Handshake before the clock starts: the bench measures keep-alive requests.
    (void)(*c)->request("GET", "/healthz");
    conns.push_back(std::move(*c));
  }
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      auto& c = conns[static_cast<std::size_t>(t)];
      for (std::size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        auto t0 = Clock::now();
        if (rate > 0) {
          const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(static_cast<double>(i) / rate));
          std::this_thread::sleep_until(due);
          t0 = due;
        }
        auto r = c->request("POST", "/api/v1/documents", bodies[i]);
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

// Signed packages of about 4 KB (before signing ~2.4 KB of header and attachment).
std::vector<std::string> packages(const signing::XmlSigner& signer, const std::string& from,
                                  const std::string& to, int n, int base, int pdf_bytes) {
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    schemas::sample::PackageSpec spec;
    spec.from = from;
    spec.to = {to};
    spec.number = base + i;
    spec.pdf_bytes = static_cast<std::size_t>(pdf_bytes);
    spec.zipped_appendix = false;
    auto signed_bytes = signer.sign(schemas::sample::package(spec).serialize());
    if (!signed_bytes) {
      std::cerr << signed_bytes.error().message << "\n";
      std::exit(1);
    }
    out.push_back(std::move(*signed_bytes));
  }
  return out;
}

// An RSA-2048 seal for `organ` from a CA engine made for the bench (its certificate names an
// OCSP URL and CRL point, so the node is told not to check revocation: policy.revocation=off).
struct RsaSeal {
  std::string trust_pem;  // the root, for trust.dir
  signing::SigningKey key;
};
RsaSeal rsaSeal(const std::string& organ) {
  signing::CaSettings cs;
  cs.province_name = "UBND tinh bench";
  cs.organ_id = "000.00.00.H41";
  cs.crl_url = "http://127.0.0.1:1/crl";
  cs.ocsp_url = "http://127.0.0.1:1/ocsp";
  const std::string pass = "bench-passphrase-123";
  auto bundle = signing::createCa(cs, pass);
  auto ca = signing::CertificateAuthority::load(cs, *bundle, pass);
  signing::SubjectFields subject;
  subject.common_name = "UBND xa A1";
  subject.organization = "UBND xa A1";
  subject.organ_id = organ;
  auto cred = ca->generate(signing::CertProfile::AgencySeal, subject, signing::KeyType::Rsa2048, "p12-pass-123");
  if (!cred) {
    std::cerr << "CA: " << cred.error().message << "\n";
    std::exit(1);
  }
  auto key = signing::SigningKey::fromPkcs12(cred->pkcs12, "p12-pass-123");
  return RsaSeal{bundle->root.cert_pem + bundle->issuing.cert_pem, std::move(*key)};
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 8, docs = 2000, pdf_bytes = 100, workers = 8;
  double rate = 0;
  bool rsa = false, three = true;
  for (int i = 1; i < argc; ++i) {
    const bool has = i + 1 < argc;
    if (!std::strcmp(argv[i], "--clients") && has) clients = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--docs") && has) docs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rate") && has) rate = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--pdf-bytes") && has) pdf_bytes = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--workers") && has) workers = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--rsa")) rsa = true;
    else if (!std::strcmp(argv[i], "--skip-three")) three = false;
  }
  const fs::path dir = fs::temp_directory_path() / ("lienthong-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  auto pki = DevPki::open((dir / "pki").string());
  if (!pki) {
    std::cerr << pki.error().message << "\n";
    return 1;
  }
  const std::string commune = "000.01.31.H41";
  std::unique_ptr<signing::XmlSigner> signer;
  std::string trust = pki->caFile();
  if (rsa) {
    auto seal = rsaSeal(commune);
    const fs::path bundle = dir / "trust.pem";
    std::ofstream(bundle) << std::ifstream(pki->caFile()).rdbuf() << seal.trust_pem;
    trust = bundle.string();
    signer = std::make_unique<signing::XmlSigner>(std::move(seal.key));
  } else {
    auto files = pki->issueSeal(commune, "UBND xa A1");
    signer = std::make_unique<signing::XmlSigner>(*signing::SigningKey::fromPemFiles(files->key, "", files->cert));
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
    c.http.certificate_rules = DevPki::certificateRules();
    c.http.max_connections = clients + 16;
    c.http.max_per_address = clients + 16;  // every bench client comes from 127.0.0.1
    c.trust = trust;
    if (rsa) c.signature.revocation = RevocationMode::Off;
    const std::string seal_unit = name == "province" ? "000.00.00.H41" : name == "district-a" ? "000.00.31.H41" : "000.00.32.H41";
    auto seal = pki->issueSeal(seal_unit, "Gateway node " + name, "seal-node-" + name);
    c.signing_key = seal->key;
    c.signing_cert = seal->cert;
    c.dispatch.workers = workers;
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(dirx);
    auto n = Node::start(c, std::move(o));
    if (!n) {
      std::cerr << n.error().message << "\n";
      return 1;
    }
    nodes[name] = std::move(*n);
  }
  auto tls = *pki->issue(commune, Role::Office);
  std::printf("signing %d packages (%s)...\n", docs, rsa ? "RSA-2048" : "EC P-256");
  const auto bodies = packages(*signer, commune, "000.00.31.H41", docs, 1, pdf_bytes);
  std::printf("signed package size: %zu bytes, %d clients, %d documents%s\n", bodies[0].size(), clients, docs,
              rate > 0 ? (", rate " + std::to_string(static_cast<int>(rate)) + " docs/s").c_str() : ", open loop");
  Run intake = post(nodes["district-a"]->url(), tls, bodies, clients, rate);
  std::printf("intake (one node, signature verified, durable commit): %.0f docs/s  p50 %.2f ms  p99 %.2f ms  max %.2f ms  errors %d\n",
              static_cast<double>(docs) / intake.seconds, pct(intake.latencies_ms, 0.5),
              pct(intake.latencies_ms, 0.99), intake.latencies_ms.empty() ? 0.0 : intake.latencies_ms.back(),
              intake.errors);
  if (three) {
    const auto across = packages(*signer, commune, "000.01.32.H41", docs, 100000, pdf_bytes);
    auto delivered = [&] {
      auto m = nodes["district-b"]->store().mailbox("000.01.32.H41", {DeliveryState::Delivered});
      return m ? static_cast<int>(m->size()) : 0;
    };
    const auto t0 = Clock::now();
    Run r = post(nodes["district-a"]->url(), tls, across, clients, rate);
    while (delivered() < docs && Clock::now() - t0 < std::chrono::minutes(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("three nodes (commune -> district-a -> province -> district-b -> commune): %d of %d delivered, %.0f docs/s end to end (intake p50 %.2f ms p99 %.2f ms)\n",
                delivered(), docs, static_cast<double>(delivered()) / secs, pct(r.latencies_ms, 0.5),
                pct(r.latencies_ms, 0.99));
  }
  nodes.clear();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
