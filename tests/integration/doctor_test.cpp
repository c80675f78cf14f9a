// lienthong doctor (issue 19): each check says what it found and what to do, against real nodes.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>

#include <sys/wait.h>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/app/doctor.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

const DoctorCheck* find(const std::vector<DoctorCheck>& checks, const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string all(const std::vector<DoctorCheck>& checks) {
  std::string out;
  for (const auto& c : checks) {
    out += std::string(doctorLevelName(c.level)) + " " + c.name + ": " + c.found + (c.advice.empty() ? "" : " -> " + c.advice) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("doctor: a district node's checks, a peer that is down, certificates near their end and a store that lost its tail") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  std::map<std::string, int> ports{{"province", freePort()}, {"district-a", freePort()}, {"district-b", freePort()}};
  auto directory = threeNodeDirectory(ports);
  const std::string dir_file = (tmp.path() / "directory.xml").string();
  std::ofstream(dir_file) << directory->toXml();
  const auto config = [&](const std::string& name) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, name, ports.at(name));
    c.directory_file = dir_file;
    return c;
  };
  NodeOptions po;
  po.directory = schemas::LiveDirectory::make(directory);
  auto province = Node::start(config("province"), std::move(po));
  REQUIRE(province);

  // district-a, not started yet: its parent answers, with the clock beside it.
  auto checks = runDoctor(config("district-a"));
  INFO(all(checks));
  REQUIRE(find(checks, "configuration"));
  CHECK(find(checks, "directory")->level == DoctorLevel::Ok);
  CHECK(find(checks, "directory")->found.find("6 units, 2 homed here") != std::string::npos);
  REQUIRE(find(checks, "store"));
  CHECK(find(checks, "store")->level == DoctorLevel::Warn);  // no store yet
  const DoctorCheck* peer = find(checks, "peer province");
  REQUIRE(peer);
  CHECK(peer->level == DoctorLevel::Ok);
  CHECK(peer->found.find(" ms against this one") != std::string::npos);
  int certificates = 0;
  for (const auto& c : checks) {
    if (c.name.starts_with("certificate ")) {
      ++certificates;
      CHECK(c.level == DoctorLevel::Ok);
    }
  }
  CHECK(certificates >= 4);  // tls.cert, tls.ca, trust.dir, the seal

  // The province: both districts are down, each named with what to do.
  auto at_province = runDoctor(config("province"));
  INFO(all(at_province));
  for (const char* name : {"peer district-a", "peer district-b"}) {
    const DoctorCheck* p = find(at_province, name);
    REQUIRE(p);
    CHECK(p->level == DoctorLevel::Fail);
    CHECK(p->advice.find("check that it runs") != std::string::npos);
  }
  CHECK(find(at_province, "store")->level == DoctorLevel::Ok);
  CHECK(find(at_province, "audit log")->level == DoctorLevel::Ok);

  // Certificates that end within the warning window are WARN, naming the days left.
  DoctorOptions soon;
  soon.warn_days = 100000;
  auto warned = runDoctor(config("district-a"), soon);
  for (const auto& c : warned) {
    if (c.name.starts_with("certificate ")) {
      CHECK(c.level == DoctorLevel::Warn);
      CHECK(c.advice.find("within ") != std::string::npos);
    }
  }

  // A store whose head says more was committed than it holds: FAIL, with what to do.
  (*province)->stop();
  const std::string store_file = (fs::path(config("province").data_dir) / "store.sqlite").string();
  std::ofstream(auditHeadPath(store_file)) << "999999 " << std::string(64, 'a') << " 1\n";
  auto lost = runDoctor(config("province"));
  INFO(all(lost));
  REQUIRE(find(lost, "audit log"));
  CHECK(find(lost, "audit log")->level == DoctorLevel::Fail);
  CHECK(find(lost, "audit log")->found.find("its last records are lost") != std::string::npos);
  CHECK(find(lost, "audit log")->advice.find("lienthong restore") != std::string::npos);
}

TEST_CASE("doctor: lienthong doctor prints a line per check and fails on a broken configuration") {
  TempDir tmp;
  const std::string conf = (tmp.path() / "bad.conf").string();
  std::ofstream(conf) << "node.name = x\nlimits.max_body = ten\n";
  const std::string cmd = std::string(LIENTHONG_BINARY) + " doctor --config " + conf + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  const int rc = pclose(p);
  INFO(out);
  CHECK(WEXITSTATUS(rc) == 1);
  CHECK(out.find("FAIL configuration: ") != std::string::npos);
  CHECK(out.find("limits.max_body") != std::string::npos);
  const std::string good = std::string(LIENTHONG_BINARY) + " doctor --data " + (tmp.path() / "fresh").string() + " 2>&1";
  FILE* q = popen(good.c_str(), "r");
  std::string out2;
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), q)) > 0;) out2.append(buf.data(), n);
  pclose(q);
  INFO(out2);
  CHECK(out2.find("ok   configuration: ") != std::string::npos);
  CHECK(out2.find("WARN store: no store at ") != std::string::npos);
  CHECK(out2.find("WARN directory: no directory at ") != std::string::npos);
  CHECK(out2.find("nothing failed, 2 warning(s)\n") != std::string::npos);
  CHECK(out2.find(" warning(s)\n") != std::string::npos);
}
