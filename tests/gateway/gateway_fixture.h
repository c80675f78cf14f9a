// Test fixtures for gateway tests: a temporary folder, a demo directory of three nodes
// (province, district-a, district-b) with their communes, free loopback ports, a dev PKI with
// node and office certificates, and helpers to start nodes and wait for conditions.
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/free_port.h"
#include "lienthong/gateway/app/dev_pki.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/node.h"
#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/xml_signer.h"

namespace lienthong::gateway::testing {

namespace fs = std::filesystem;

inline constexpr const char* kProvince = "000.00.00.H41";
inline constexpr const char* kDistrictA = "000.00.31.H41";
inline constexpr const char* kDistrictB = "000.00.32.H41";
inline constexpr const char* kCommuneA1 = "000.01.31.H41";
inline constexpr const char* kCommuneB1 = "000.01.32.H41";
inline constexpr const char* kCommuneB2Paper = "000.02.32.H41";

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("lienthong-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

using lienthong::testing::freePort;

// The three-node demo tree; `ports` gives each node's port (node name -> port).
inline std::shared_ptr<const schemas::Directory> threeNodeDirectory(const std::map<std::string, int>& ports) {
  using schemas::Channel;
  const auto url = [&](const std::string& n) {
    auto it = ports.find(n);
    return it == ports.end() ? std::string() : "https://127.0.0.1:" + std::to_string(it->second);
  };
  std::vector<schemas::NodeInfo> nodes = {{"province", "", url("province")},
                                          {"district-a", "province", url("district-a")},
                                          {"district-b", "province", url("district-b")}};
  std::vector<schemas::Unit> units = {
      {"H41", kProvince, "Ủy ban nhân dân tỉnh Nghệ An", "", 1, "2019-01-01", "", "", "province", Channel::Mailbox, {}},
      {"H41.31", kDistrictA, "Ủy ban nhân dân huyện Quỳnh Lưu", "H41", 2, "2019-01-01", "", "", "district-a", Channel::Mailbox, {}},
      {"H41.32", kDistrictB, "Ủy ban nhân dân huyện Diễn Châu", "H41", 2, "2019-01-01", "", "", "district-b", Channel::Mailbox, {}},
      {"H41.31.01", kCommuneA1, "Ủy ban nhân dân xã Quỳnh Thắng", "H41.31", 3, "2019-01-01", "", "", "district-a", Channel::Mailbox, {}},
      {"H41.32.01", kCommuneB1, "Ủy ban nhân dân xã Diễn Lâm", "H41.32", 3, "2019-01-01", "", "", "district-b", Channel::Mailbox, {}},
      {"H41.32.02", kCommuneB2Paper, "Ủy ban nhân dân xã Diễn Đoài", "H41.32", 3, "2019-01-01", "", "", "district-b", Channel::Paper, {}},
  };
  return std::make_shared<const schemas::Directory>(
      *schemas::Directory::fromUnits("test-1", std::move(nodes), std::move(units)));
}

// The three-node tree (no node URLs) as version `version`, commune A1 on `channel` with
// `settings`, plus the units `extra`.
inline std::shared_ptr<const schemas::Directory> directoryWithA1(
    const std::string& version, schemas::Channel channel, std::map<std::string, std::string> settings,
    std::vector<schemas::Unit> extra = {}) {
  auto base = threeNodeDirectory({});
  std::vector<schemas::Unit> units = base->units();
  for (auto& u : units) {
    if (u.legacy_code == kCommuneA1) {
      u.channel = channel;
      u.settings = std::move(settings);
    }
  }
  units.insert(units.end(), extra.begin(), extra.end());
  auto dir = schemas::Directory::fromUnits(version, base->nodes(), std::move(units));
  if (!dir) throw std::runtime_error("directoryWithA1: " + dir.error().message);
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

// The unit each test node signs its statuses as (its top unit).
inline std::string nodeSealUnit(const std::string& node) {
  if (node == "district-a") return kDistrictA;
  if (node == "district-b") return kDistrictB;
  return kProvince;
}

// The DMS clients of bearer tokens every test node knows (auth.clients): one office client per
// unit of the tree ("dms-<OrganId>") and one auditor ("kiem-tra-1"), each with its own key.
inline TokenClient testTokenClient(const std::string& organ, Role role = Role::Office) {
  const std::string id = role == Role::Auditor ? organ : "dms-" + organ;
  return TokenClient{id, role, organ, "test-key-of-" + id + "-0123456789"};
}

inline std::vector<TokenClient> testTokenClients() {
  std::vector<TokenClient> out;
  for (const char* organ : {kProvince, kDistrictA, kDistrictB, kCommuneA1, kCommuneB1, kCommuneB2Paper}) {
    out.push_back(testTokenClient(organ));
  }
  out.push_back(testTokenClient("kiem-tra-1", Role::Auditor));
  return out;
}

// A bearer token of the test client for `organ` (or the auditor `name`).
inline std::string testToken(const std::string& organ, Role role = Role::Office, std::int64_t ttl = 600) {
  return makeJwt(testTokenClient(organ, role), ttl);
}

// A node config in `dir`/<name> with TLS and seal certificates from `pki`; signatures required
// and verified against the pki's CA (revocation: auto, the dev certificates name no source), fast
// retries.
inline NodeConfig testNodeConfig(const fs::path& dir, const DevPki& pki, const std::string& name, int port) {
  NodeConfig c;
  c.name = name;
  c.data_dir = (dir / name).string();
  c.source = "test:" + name;
  auto files = pki.issue(name, Role::Node, "node-" + name);
  c.http.cert_file = files->cert;
  c.http.key_file = files->key;
  c.http.ca_file = files->ca;
  c.http.port = port;
  c.http.token_clients = testTokenClients();
  c.http.certificate_rules = DevPki::certificateRules();
  c.trust = pki.caFile();
  auto seal = pki.issueSeal(nodeSealUnit(name), "Gateway node " + name, "seal-node-" + name);
  c.signing_key = seal->key;
  c.signing_cert = seal->cert;
  c.signature.allow_unsigned = false;
  c.dispatch.workers = 2;
  c.dispatch.backoff_ms = 50;
  c.dispatch.backoff_max_ms = 400;
  c.dispatch.max_attempts = 6;
  c.peer_timeout_ms = 5000;
  return c;
}

inline std::unique_ptr<HttpsClient> officeClient(const DevPki& pki, const std::string& organ, const std::string& url) {
  auto files = pki.issue(organ, Role::Office);
  auto c = HttpsClient::open(url, *files, 5000);
  return std::move(*c);
}

inline std::unique_ptr<HttpsClient> anonymousClient(const DevPki& pki, const std::string& url) {
  auto c = HttpsClient::open(url, TlsFiles{"", "", pki.caFile()}, 5000);
  return std::move(*c);
}

inline bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

// Signs edXML as an office: a seal certificate from `pki` naming the OrganId (made once per
// office and kept). Thread-safe.
class OfficeSigners {
 public:
  explicit OfficeSigners(const DevPki& pki) : pki_(pki) {}
  std::string sign(const std::string& organ, const std::string& bytes) {
    const signing::XmlSigner* signer = nullptr;
    {
      std::lock_guard lock(mu_);
      auto it = signers_.find(organ);
      if (it == signers_.end()) {
        auto files = pki_.issueSeal(organ, "Đơn vị " + organ);
        auto key = signing::SigningKey::fromPemFiles(files->key, "", files->cert);
        it = signers_.emplace(organ, std::make_unique<signing::XmlSigner>(std::move(*key))).first;
      }
      signer = it->second.get();
    }
    auto signed_bytes = signer->sign(bytes);
    return std::move(*signed_bytes);
  }

 private:
  const DevPki& pki_;
  std::mutex mu_;  // guards signers_
  std::map<std::string, std::unique_ptr<signing::XmlSigner>> signers_;
};

inline schemas::Package testPackage(const std::string& from, std::vector<std::string> to, int number,
                                    const std::string& notation = "CV-UBND") {
  schemas::sample::PackageSpec spec;
  spec.from = from;
  spec.from_name = "Đơn vị " + from;
  spec.to = std::move(to);
  spec.number = number;
  spec.notation = notation;
  spec.pdf_bytes = 1024;
  spec.zipped_appendix = false;
  return schemas::sample::package(spec);
}

}  // namespace lienthong::gateway::testing
