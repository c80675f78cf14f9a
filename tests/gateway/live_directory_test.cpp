// The live directory a node reloads, and the change list a reload reports and audits.
#include <catch2/catch.hpp>

#include <algorithm>

#include "gateway/gateway_fixture.h"
#include "lienthong/schemas/live_directory.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

std::shared_ptr<const schemas::Directory> edited(
    const std::function<void(std::vector<schemas::NodeInfo>&, std::vector<schemas::Unit>&)>& edit) {
  auto base = threeNodeDirectory({{"district-a", 9001}});
  auto nodes = base->nodes();
  auto units = base->units();
  edit(nodes, units);
  auto dir = schemas::Directory::fromUnits("test-2", std::move(nodes), std::move(units));
  REQUIRE(dir);
  return std::make_shared<const schemas::Directory>(std::move(*dir));
}

schemas::Unit& unitOf(std::vector<schemas::Unit>& units, const std::string& legacy) {
  auto it = std::find_if(units.begin(), units.end(), [&](auto& u) { return u.legacy_code == legacy; });
  REQUIRE(it != units.end());
  return *it;
}

}  // namespace

TEST_CASE("live directory: a snapshot taken before a replace stays whole; the next current() is the new one") {
  auto first = threeNodeDirectory({});
  auto live = schemas::LiveDirectory::make(first);
  auto held = live->current();
  auto second = edited([](auto&, auto& units) { unitOf(units, kCommuneA1).name = "Xã mới"; });
  live->replace(second);
  CHECK(held == first);
  CHECK(held->find(kCommuneA1)->name == "Ủy ban nhân dân xã Quỳnh Thắng");
  CHECK(live->current() == second);
  CHECK(live->current()->find(kCommuneA1)->name == "Xã mới");
}

TEST_CASE("live directory: the change list names channel, home, added and removed units and node URLs, never setting values") {
  auto before = threeNodeDirectory({{"district-a", 9001}});
  auto after = edited([](auto& nodes, auto& units) {
    auto& a1 = unitOf(units, kCommuneA1);
    a1.channel = schemas::Channel::Webhook;
    a1.settings = {{"url", "https://dms.example.vn/hook"}, {"secret", "do-not-print-this-secret"}};
    unitOf(units, kCommuneB1).home_node = "district-a";
    units.erase(std::find_if(units.begin(), units.end(),
                             [](auto& u) { return u.legacy_code == kCommuneB2Paper; }));
    units.push_back({"H41.31.02", "000.02.31.H41", "Ủy ban nhân dân xã Quỳnh Lập", "H41.31", 3,
                     "2019-01-01", "", "", "district-a", schemas::Channel::Mailbox, {}});
    nodes[1].url = "https://10.0.0.2:8443";
  });
  const auto changes = schemas::directoryChanges(*before, *after);
  const std::vector<std::string> expected = {
      "H41.31.01: channel mailbox -> webhook",
      "added H41.31.02 (Ủy ban nhân dân xã Quỳnh Lập), mailbox at node 'district-a'",
      "H41.32.01: home node district-b -> district-a",
      "removed H41.32.02 (Ủy ban nhân dân xã Diễn Đoài)",
      "node 'district-a': url https://127.0.0.1:9001 -> https://10.0.0.2:8443",
  };
  CHECK(changes == expected);
  for (const auto& c : changes) CHECK(c.find("do-not-print") == std::string::npos);

  // Settings edited on the same channel: said, without the values.
  const auto webhook = [](const std::string& secret) {
    return edited([secret](auto&, auto& units) {
      auto& a1 = unitOf(units, kCommuneA1);
      a1.channel = schemas::Channel::Webhook;
      a1.settings = {{"url", "https://dms.example.vn/hook"}, {"secret", secret}};
    });
  };
  const auto rekeyed = schemas::directoryChanges(*webhook("first-secret-value-0123"), *webhook("second-secret-value-456"));
  CHECK(rekeyed == std::vector<std::string>{"H41.31.01: webhook settings changed"});
  CHECK(schemas::directoryChanges(*before, *before).empty());
}
