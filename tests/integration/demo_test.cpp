// `lienthong demo --once --docs 20`: three real nodes, a province CA, the DMSs' history since 2022
// across the 2025 reorganisation, 20 signed documents across every level, statuses back; the summary's numbers are exact for this batch (the documents go
// round five patterns: 7 electronic recipients and 1 paper recipient per round of 5).
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sys/wait.h>

#include "gateway/gateway_fixture.h"

using namespace lienthong::gateway::testing;

TEST_CASE("lienthong demo --once --docs 20 delivers everything and prints the exact summary") {
  TempDir tmp;
  const fs::path data = tmp.path() / "demo";
  const std::string cmd = std::string(LIENTHONG_BINARY) + " demo --once --docs 20 --data " + data.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  INFO(out);
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(out.find("  documents sent:  20 (20 accepted, 0 refused)\n") != std::string::npos);
  CHECK(out.find("  delivered:       28 of 28 electronic deliveries\n") != std::string::npos);
  CHECK(out.find("  paper:           4 recipients recorded as paper\n") != std::string::npos);
  CHECK(out.find("  statuses back:   01 arrived 28, 03 accepted 28, 06 completed 28\n") != std::string::npos);
  CHECK(out.find("  failures:        0 (") != std::string::npos);
  // Issue 14: the vendor SDK's business types act on earlier documents at every recipient.
  CHECK(out.find("  business acts:   3 of 3 accepted; earlier copies acted on: 4 of 4\n") != std::string::npos);
  // Issue 17: the districts' summaries reach the province, whose report covers every unit.
  CHECK(out.find("  district-a: ") != std::string::npos);
  // The housekeeping thread may have sent them already: then they are "unchanged" here.
  CHECK(out.find(" unchanged) to node province\n") != std::string::npos);
  // Issue 17 item 5: the DMSs' history from 2022 in three tiers, two since July 2025. This year's
  // tree (tree=as_was) is the province and the three merged communes; its total is this year's
  // history and the 20 documents, and equals what the nodes' own registers hold.
  CHECK(out.find("[+] History: ") != std::string::npos);
  CHECK(out.find(" from 2022-Q1 to ") != std::string::npos);
  const auto at = out.find("(4 units of 3 nodes): ");
  REQUIRE(at != std::string::npos);
  const std::string line = out.substr(at, out.find('\n', at) - at);
  const long total = std::stol(line.substr(line.find("): ") + 3));
  const long own = std::stol(line.substr(line.find("registers hold ") + 15));
  CHECK(total >= 20);
  CHECK(total == own);
  CHECK(line.ends_with(" (equal)"));
  CHECK(out.find("Units homed at node district-b (2): from its summaries, last received ") != std::string::npos);
  // The seed report's quarter, at the province, on the tree of its time.
  CHECK(out.find("  2022-Q3 at the province: Ủy ban nhân dân huyện Quỳnh Lưu (H41.31, from district-a's summaries): "
                 "3087 outgoing, 95.01% electronic, 4.28% on paper\n") != std::string::npos);
  CHECK(out.find("  2022-Q3 at the province: its 2 communes together: 1801 outgoing, 74.46% electronic, 27.15% on paper\n") !=
        std::string::npos);
  // The paper-only commune is below target; every unit of the tree is listed.
  CHECK(out.find("  below target in ") != std::string::npos);
  CHECK(out.find("H41.52") != std::string::npos);
  for (const char* unit : {"    H41 ", "    H41.50 ", "    H41.51 ", "    H41.52 "}) CHECK(out.find(unit) != std::string::npos);
  CHECK(out.find("/healthz") != std::string::npos);
  CHECK(out.find("Authorization: Bearer ") != std::string::npos);
  CHECK(out.find("    lienthong directory reload --node https://127.0.0.1:") != std::string::npos);
  CHECK(fs::exists(data / "province" / "store.sqlite"));
  CHECK(fs::exists(data / "seals" / "000.00.50.H41.p12"));

  // A second run on the same folder replaces the demo data; a folder the demo did not make is refused.
  const fs::path other = tmp.path() / "not-a-demo";
  fs::create_directories(other);
  std::ofstream(other / "keep.txt") << "mine";
  const std::string refuse = std::string(LIENTHONG_BINARY) + " demo --once --docs 1 --data " + other.string() + " 2>&1";
  FILE* q = popen(refuse.c_str(), "r");
  std::string qout;
  while ((n = fread(buf.data(), 1, buf.size(), q)) > 0) qout.append(buf.data(), n);
  CHECK(WEXITSTATUS(pclose(q)) == 1);
  CHECK(qout.find("holds files the demo did not make") != std::string::npos);
  CHECK(fs::exists(other / "keep.txt"));
}
