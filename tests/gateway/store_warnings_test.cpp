// Issue 14: the warnings intake tolerated are stored beside the message, and a store made before
// they were kept gains the column (migration 3) with its messages intact.
#include <catch2/catch.hpp>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/node/intake.h"
#include "lienthong/gateway/store/store.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;
using namespace Poco::Data::Keywords;

namespace {

NewMessage document(const std::string& id, const std::string& warnings) {
  NewMessage m;
  m.kind = MessageKind::Document;
  m.sender = kProvince;
  m.document_id = id;
  m.dedupe_key = id;
  m.bytes = "<edXML/>";
  m.content_hash = sha256Hex(m.bytes);  // checked when the message is read (issue 21)
  m.received_from = "office:" + std::string(kProvince);
  m.deliveries = {NewDelivery{kDistrictA, RouteKind::Local, "", ""}};
  m.warnings = warnings;
  return m;
}

}  // namespace

TEST_CASE("store: warnings are kept beside the message and read back with it") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  const std::string w = R"([{"code":"organ_id_other","message":"To code '28.22.H17' ...","line":16,"element":"OrganId"}])";
  auto a = store->insertMessage(document("DOC-1", w));
  REQUIRE(a);
  auto m = store->message(a->id);
  REQUIRE(m);
  CHECK(m->warnings == w);
  auto f = store->findDocument(kProvince, "DOC-1");
  REQUIRE(f);
  REQUIRE(*f);
  CHECK((*f)->warnings == w);
  auto b = store->insertMessage(document("DOC-2", ""));
  REQUIRE(b);
  CHECK(store->message(b->id)->warnings.empty());
}

TEST_CASE("store: a store of schema version 2 gains the warnings column, delivery claims, addressed_to and the handover table, its messages intact") {
  TempDir tmp;
  const std::string file = (tmp.path() / "store.sqlite").string();
  {
    auto store = std::move(*openSqliteStore(file));
    REQUIRE(store->insertMessage(document("OLD-1", "")));
  }
  {
    // Back to what version 2 had: no warnings column, no delivery claims, no addressed_to.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session s("SQLite", file);
    s << "ALTER TABLE messages DROP COLUMN warnings", now;
    s << "ALTER TABLE deliveries DROP COLUMN claimed_by", now;
    s << "ALTER TABLE deliveries DROP COLUMN claimed_until", now;
    s << "ALTER TABLE deliveries DROP COLUMN addressed_to", now;
    s << "DROP TABLE handover_items", now;
    s << "UPDATE schema_version SET version = 2", now;
  }
  auto migrated = openSqliteStore(file);
  if (!migrated) FAIL(migrated.error().describe());
  auto store = std::move(*migrated);
  auto old = store->findDocument(kProvince, "OLD-1");
  REQUIRE(old);
  REQUIRE(*old);
  CHECK((*old)->warnings.empty());
  CHECK((*old)->bytes == "<edXML/>");
  auto a = store->insertMessage(document("NEW-1", R"([{"code":"placeholder"}])"));
  REQUIRE(a);
  CHECK(store->message(a->id)->warnings == R"([{"code":"placeholder"}])");
  auto items = store->handoverItems("district-a");
  REQUIRE(items);
  CHECK(items->empty());
}
