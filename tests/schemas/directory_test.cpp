#include <catch2/catch.hpp>

#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/schema_set.h"
#include "support/schema_set_fixture.h"

using namespace lienthong;
using namespace lienthong::schemas;
using lienthong::testing::schemaSet;

namespace {

const char* kXml = R"X(<?xml version="1.0" encoding="UTF-8"?>
<directory xmlns="urn:lienthong:directory:1" version="2026-07">
  <node name="province" url="https://127.0.0.1:8441"/>
  <node name="district-a" parent="province" url="https://127.0.0.1:8442"/>
  <unit code="H41" legacyCode="000.00.00.H41" name="UBND tỉnh Nghệ An" homeNode="province"/>
  <unit code="H41.31" legacyCode="000.00.31.H41" name="UBND huyện Quỳnh Lưu" homeNode="district-a"/>
  <unit code="H41.31.01" name="UBND xã Quỳnh Thắng" homeNode="district-a" channel="webhook">
    <setting name="url" value="http://127.0.0.1:9000/hook"/>
  </unit>
  <unit code="H41.31.02" name="UBND xã Quỳnh Tân (cũ)" homeNode="district-a" validTo="2025-06-30" successor="H41.31.01"/>
  <unit code="H41.31.03" name="UBND xã Quỳnh Bá" homeNode="district-a" channel="paper"/>
</directory>)X";

}  // namespace

TEST_CASE("a directory XML loads and looks units up by either code") {
  auto d = Directory::parseXml(kXml, schemaSet());
  REQUIRE(d);
  CHECK(d->version() == "2026-07");
  const Unit* by_legacy = d->find("000.00.31.H41");
  REQUIRE(by_legacy);
  CHECK(by_legacy->code == "H41.31");
  CHECK(by_legacy->level == 2);
  CHECK(by_legacy->parent == "H41");  // derived from the code
  const Unit* hook = d->find("H41.31.01");
  REQUIRE(hook);
  CHECK(hook->channel == Channel::Webhook);
  CHECK(hook->settings.at("url") == "http://127.0.0.1:9000/hook");
  CHECK(d->find("H41.31.03")->channel == Channel::Paper);
  CHECK(d->node("district-a")->parent == "province");
  CHECK(d->children("H41.31").size() == 3);
}

TEST_CASE("a closed code resolves to its successor") {
  auto d = Directory::parseXml(kXml, schemaSet());
  REQUIRE(d);
  auto r = d->resolve("H41.31.02", "2026-01-01");
  REQUIRE(r);
  CHECK((*r)->code == "H41.31.01");
  auto before = d->resolve("H41.31.02", "2025-01-01");
  REQUIRE(before);
  CHECK((*before)->code == "H41.31.02");
  auto unknown = d->resolve("H41.99", "2026-01-01");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::UnknownUnit);
}

TEST_CASE("a directory that contradicts itself is refused") {
  std::string s = kXml;
  s.replace(s.find("successor=\"H41.31.01\""), 21, "successor=\"H41.31.77\"");
  auto d = Directory::parseXml(s, schemaSet());
  REQUIRE_FALSE(d);
  CHECK(d.error().code == ErrorCode::DirectoryInvalid);
  CHECK(d.error().message.find("H41.31.77") != std::string::npos);
}

TEST_CASE("a directory with an unknown channel fails its schema") {
  std::string s = kXml;
  s.replace(s.find("channel=\"paper\""), 15, "channel=\"fax\"");
  auto d = Directory::parseXml(s, schemaSet());
  REQUIRE_FALSE(d);
  CHECK(d.error().code == ErrorCode::SchemaViolation);
  CHECK(d.error().line == 11);
}

TEST_CASE("a directory CSV loads, with settings and quoted names") {
  const char* csv =
      "code,legacy_code,name,parent,level,valid_from,valid_to,successor,home_node,channel,settings\n"
      "H41,000.00.00.H41,\"UBND tỉnh Nghệ An, Việt Nam\",,1,,,,province,mailbox,\n"
      "H41.31,000.00.31.H41,UBND huyện Quỳnh Lưu,H41,2,,,,district-a,folder,in=/srv/in;out=/srv/out\n";
  auto d = Directory::parseCsv(csv);
  REQUIRE(d);
  CHECK(d->find("H41")->name == "UBND tỉnh Nghệ An, Việt Nam");
  const Unit* u = d->find("000.00.31.H41");
  REQUIRE(u);
  CHECK(u->channel == Channel::Folder);
  CHECK(u->settings.at("out") == "/srv/out");
}

TEST_CASE("a bad directory CSV row is refused with its line") {
  const char* csv =
      "code,legacy_code,name,parent,level,valid_from,valid_to,successor,home_node,channel\n"
      "H41,,Tỉnh,,1,,,,province,mailbox\n"
      "H41.31,,Huyện,H41,7,,,,district-a,mailbox\n";
  auto d = Directory::parseCsv(csv);
  REQUIRE_FALSE(d);
  CHECK(d.error().code == ErrorCode::BadCsv);
  CHECK(d.error().line == 3);
}

TEST_CASE("a directory written as XML reads back the same") {
  auto d = Directory::parseXml(kXml, schemaSet());
  REQUIRE(d);
  auto again = Directory::parseXml(d->toXml(), schemaSet());
  REQUIRE(again);
  CHECK(again->toXml() == d->toXml());
  CHECK(again->units().size() == 5);
}

TEST_CASE("a directory unit with a level outside 1-4 is refused, not thrown") {
  std::string s = kXml;
  s.replace(s.find("name=\"UBND tỉnh Nghệ An\""), 0, "level=\"99999999999\" ");
  auto d = Directory::parseXml(s, schemaSet());
  REQUIRE_FALSE(d);
  CHECK(d.error().code == ErrorCode::DirectoryInvalid);
  CHECK(d.error().message.find("is not 1-4") != std::string::npos);
}

TEST_CASE("a unit that kept its code when its district was dissolved has its earlier parent and level per period") {
  const std::string xml = R"X(<?xml version="1.0" encoding="UTF-8"?>
<directory xmlns="urn:lienthong:directory:1" version="2025-07">
  <node name="province" url="https://127.0.0.1:8441"/>
  <unit code="H41" legacyCode="000.00.00.H41" name="UBND tỉnh Nghệ An" homeNode="province"/>
  <unit code="H41.31" legacyCode="000.00.31.H41" name="UBND huyện Quỳnh Lưu" homeNode="province" validTo="2025-06-30" successor="H41"/>
  <unit code="H41.31.03" name="UBND xã Quỳnh Bá" parent="H41" level="3" homeNode="province">
    <earlier until="2025-06-30" parent="H41.31" level="3"/>
    <setting name="note" value="giữ mã"/>
    <earlier until="2019-12-31" parent="H41" level="2"/>
  </unit>
</directory>)X";
  auto d = Directory::parseXml(xml, schemaSet());
  if (!d) FAIL(d.error().describe());
  const Unit* u = d->find("H41.31.03");
  REQUIRE(u);
  REQUIRE(u->earlier.size() == 2);
  CHECK(u->earlier.front().until == "2019-12-31");  // sorted
  CHECK(u->parentOn("2019-06-01") == "H41");
  CHECK(u->levelOn("2019-06-01") == 2);
  CHECK(u->parentOn("2022-07-01") == "H41.31");
  CHECK(u->parentOn("2025-06-30") == "H41.31");
  CHECK(u->parentOn("2025-07-01") == "H41");
  CHECK(u->parentOn("") == "H41");
  CHECK(u->levelOn("2022-07-01") == 3);
  CHECK(d->childrenOn("H41.31", "2022-07-01").size() == 1);
  CHECK(d->childrenOn("H41.31", "2025-07-01").empty());
  CHECK(d->childrenOn("H41", "2022-07-01").size() == 1);  // the district
  CHECK(d->childrenOn("H41", "2025-07-01").size() == 2);  // the district (closed) and the commune
  // Written and read back the same.
  auto again = Directory::parseXml(d->toXml(), schemaSet());
  REQUIRE(again);
  REQUIRE(again->find("H41.31.03")->earlier.size() == 2);
  CHECK(again->find("H41.31.03")->parentOn("2022-07-01") == "H41.31");
  CHECK(again->find("H41.31.03")->settings.at("note") == "giữ mã");

  // An earlier parent the directory does not know, or a period after the unit closed: refused, named.
  std::string bad = xml;
  bad.replace(bad.find("parent=\"H41.31\" level=\"3\"/>"), 15, "parent=\"H41.99\"");
  auto unknown = Directory::parseXml(bad, schemaSet());
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::DirectoryInvalid);
  CHECK(unknown.error().message.find("unit 'H41.31.03': earlier period until '2025-06-30': unknown parent 'H41.99'") !=
        std::string::npos);
  std::string late = xml;
  late.replace(late.find("homeNode=\"province\">"), 20, "homeNode=\"province\" validTo=\"2025-01-01\">");
  auto after = Directory::parseXml(late, schemaSet());
  REQUIRE_FALSE(after);
  CHECK(after.error().message.find("not before the unit's validTo 2025-01-01") != std::string::npos);
}
