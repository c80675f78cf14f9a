#include <catch2/catch.hpp>

#include "adapters/support.h"
#include "lienthong/adapters/folder_adapter.h"
#include "lienthong/adapters/hmac.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

std::unique_ptr<FolderAdapter> folder(const TempDir& dir, int quiet_ms = 0,
                                      Clock clock = systemClock()) {
  FolderSettings s;
  s.path = dir.path().string();
  s.quiet_ms = quiet_ms;
  auto a = FolderAdapter::create(s, schemaSet(), std::move(clock));
  REQUIRE(a);
  return std::move(*a);
}

}  // namespace

TEST_CASE("folder adapter takes a file only once its writer has renamed it to .edxml") {
  TempDir dir;
  auto adapter = folder(dir);
  const std::string bytes = packageBytes();
  const auto in = dir.path() / "in";
  writeFile(in / "doc.edxml.part", bytes.substr(0, bytes.size() / 2));

  auto first = adapter->poll(10);
  REQUIRE(first);
  CHECK(first->empty());
  CHECK(names(in) == std::vector<std::string>{"doc.edxml.part"});

  writeFile(in / "doc.edxml.part", bytes);
  fs::rename(in / "doc.edxml.part", in / "doc.edxml");
  auto second = adapter->poll(10);
  REQUIRE(second);
  REQUIRE(second->size() == 1);
  const Inbound& item = second->front();
  CHECK(item.kind == schemas::MessageKind::Document);
  CHECK(item.bytes == bytes);
  CHECK(item.content_hash == sha256Hex(bytes));
  CHECK(item.document_id == documentIdOf(bytes));
  CHECK(item.sender == "000.00.00.H41");
  CHECK(item.origin == "folder " + (in / "doc.edxml").string());
  CHECK(names(in).empty());
  CHECK(names(dir.path() / "processing") == std::vector<std::string>{item.ref});

  REQUIRE(adapter->settle(item.ref, Verdict::accept()));
  CHECK(names(dir.path() / "processing").empty());
  auto third = adapter->poll(10);
  REQUIRE(third);
  CHECK(third->empty());
}

TEST_CASE("folder adapter leaves a .edxml file written in place until it has been quiet") {
  TempDir dir;
  ManualClock clock;
  auto adapter = folder(dir, 2000, clock.clock());
  const std::string bytes = packageBytes();
  const auto file = dir.path() / "in" / "direct.edxml";
  writeFile(file, bytes.substr(0, 100));

  auto half = adapter->poll(10);
  REQUIRE(half);
  CHECK(half->empty());
  writeFile(file, bytes);
  auto just_finished = adapter->poll(10);
  REQUIRE(just_finished);
  CHECK(just_finished->empty());
  CHECK(names(dir.path() / "in") == std::vector<std::string>{"direct.edxml"});

  clock.advance(std::chrono::milliseconds(2500));
  auto quiet = adapter->poll(10);
  REQUIRE(quiet);
  REQUIRE(quiet->size() == 1);
  CHECK(quiet->front().bytes == bytes);
  CHECK(names(dir.path() / "rejected").empty());
}

TEST_CASE("folder adapter reports the same file dropped twice as two items with one DocumentId") {
  TempDir dir;
  auto adapter = folder(dir);
  const std::string bytes = packageBytes(77);
  const auto in = dir.path() / "in";

  writeFile(in / "same.edxml", bytes);
  auto first = adapter->poll(10);
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  writeFile(in / "same.edxml", bytes);
  auto second = adapter->poll(10);
  REQUIRE(second);
  REQUIRE(second->size() == 1);
  auto third = adapter->poll(10);
  REQUIRE(third);
  CHECK(third->empty());

  const Inbound& a = first->front();
  const Inbound& b = second->front();
  CHECK(a.ref != b.ref);
  CHECK(a.content_hash == b.content_hash);
  CHECK(a.document_id == b.document_id);
  CHECK(a.document_id == documentIdOf(bytes));
  CHECK(names(dir.path() / "processing").size() == 2);

  // The gateway keeps the first and settles the duplicate as accepted (its store already has it).
  REQUIRE(adapter->settle(a.ref, Verdict::accept()));
  REQUIRE(adapter->settle(b.ref, Verdict::accept()));
  CHECK(names(dir.path() / "processing").empty());
  auto again = adapter->settle(a.ref, Verdict::accept());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::NotFound);
}

TEST_CASE("folder adapter moves a malformed file to rejected with its reason and returns nothing") {
  TempDir dir;
  auto adapter = folder(dir);
  const std::string broken = "<?xml version=\"1.0\"?>\n<edXML><edXMLEnvelope>";
  const std::string doctype = "<!DOCTYPE x [<!ENTITY a \"b\">]><edXML/>";
  writeFile(dir.path() / "in" / "broken.edxml", broken);
  writeFile(dir.path() / "in" / "doctype.edxml", doctype);

  auto polled = adapter->poll(10);
  REQUIRE(polled);
  CHECK(polled->empty());
  const auto rejected = dir.path() / "rejected";
  CHECK(names(rejected) == std::vector<std::string>{"broken.edxml", "broken.edxml.error.json",
                                                    "doctype.edxml", "doctype.edxml.error.json"});
  CHECK(readFile(rejected / "broken.edxml") == broken);
  const std::string why = readFile(rejected / "broken.edxml.error.json");
  CHECK(why.find("\"error\": \"malformed_xml\"") != std::string::npos);
  CHECK(why.find("\"stage\": \"check\"") != std::string::npos);
  CHECK(why.find("\"file\": \"broken.edxml\"") != std::string::npos);
  CHECK(readFile(rejected / "doctype.edxml.error.json").find("\"error\": \"doctype_refused\"") !=
        std::string::npos);
  CHECK(names(dir.path() / "in").empty());
  CHECK(names(dir.path() / "processing").empty());
  CHECK(names(dir.path() / "out").empty());
}

TEST_CASE("folder adapter moves a file the gateway refused to rejected with the gateway's reason") {
  TempDir dir;
  auto adapter = folder(dir);
  const std::string bytes = packageBytes();
  writeFile(dir.path() / "in" / "unsigned.edxml", bytes);
  auto polled = adapter->poll(10);
  REQUIRE(polled);
  REQUIRE(polled->size() == 1);

  REQUIRE(adapter->settle(polled->front().ref,
                          Verdict::refuse(Error{ErrorCode::SignatureInvalid,
                                                "the package carries no signature", 0, {}})));
  const auto rejected = dir.path() / "rejected";
  CHECK(names(rejected) ==
        std::vector<std::string>{"unsigned.edxml", "unsigned.edxml.error.json"});
  CHECK(readFile(rejected / "unsigned.edxml") == bytes);
  const std::string why = readFile(rejected / "unsigned.edxml.error.json");
  CHECK(why.find("\"error\": \"signature_invalid\"") != std::string::npos);
  CHECK(why.find("\"message\": \"the package carries no signature\"") != std::string::npos);
  CHECK(why.find("\"stage\": \"gateway\"") != std::string::npos);
  CHECK(names(dir.path() / "processing").empty());
}

TEST_CASE("folder adapter writes deliveries to out by rename and a redelivery keeps one file") {
  TempDir dir;
  auto adapter = folder(dir);
  const std::string bytes = packageBytes();
  Delivery d{41, "000.00.31.H41", "000.00.00.H41", "000.00.00.H41,2026/11/20,123/QĐ-UBND",
             schemas::MessageKind::Document, bytes};
  const std::string name = FolderAdapter::outName(d);
  CHECK(name.starts_with("41-document-000.00.00.H41_2026_11_20_123_Q"));
  CHECK(name.ends_with("-UBND.edxml"));

  CHECK(adapter->deliver(d).ok());
  CHECK(adapter->deliver(d).ok());
  CHECK(names(dir.path() / "out") == std::vector<std::string>{name});
  CHECK(readFile(dir.path() / "out" / name) == bytes);

  const std::string status = statusBytes();
  Delivery s{42, "000.00.00.H41", "000.00.31.H41", "000.00.00.H41,2026/11/20,123/QĐ-UBND",
             schemas::MessageKind::Status, status};
  CHECK(adapter->deliver(s).ok());
  CHECK(FolderAdapter::outName(s).starts_with("42-status-"));
  CHECK(readFile(dir.path() / "out" / FolderAdapter::outName(s)) == status);
  CHECK(names(dir.path() / "out").size() == 2);
}

TEST_CASE("folder adapter reports retry-later with an Io error when out cannot be written") {
  TempDir dir;
  auto adapter = folder(dir);
  fs::remove_all(dir.path() / "out");
  const std::string bytes = packageBytes();
  Delivery d{9, "000.00.31.H41", "000.00.00.H41", "doc-9", schemas::MessageKind::Document, bytes};
  const auto result = adapter->deliver(d);
  CHECK(result.kind == DeliveryResult::Kind::RetryLater);
  CHECK(result.error.code == ErrorCode::Io);
  CHECK(result.error.message.find((dir.path() / "out").string()) != std::string::npos);
}

TEST_CASE("a new folder adapter returns once what an earlier one took but never settled") {
  TempDir dir;
  const std::string bytes = packageBytes(5);
  fs::create_directories(dir.path() / "in");
  writeFile(dir.path() / "in" / "crash.edxml", bytes);
  std::string ref;
  {
    auto first = folder(dir);
    auto polled = first->poll(10);
    REQUIRE(polled);
    REQUIRE(polled->size() == 1);
    ref = polled->front().ref;
  }  // dropped without settling, as after a crash
  auto second = folder(dir);
  auto recovered = second->poll(10);
  REQUIRE(recovered);
  REQUIRE(recovered->size() == 1);
  CHECK(recovered->front().ref == ref);
  CHECK(recovered->front().bytes == bytes);
  auto again = second->poll(10);
  REQUIRE(again);
  CHECK(again->empty());
  REQUIRE(second->settle(ref, Verdict::accept()));
  CHECK(names(dir.path() / "processing").empty());
}

TEST_CASE("folder adapter refuses a path that is not an existing folder") {
  FolderSettings s;
  s.path = "/nonexistent/lienthong/folder";
  auto a = FolderAdapter::create(s, schemaSet());
  REQUIRE_FALSE(a);
  CHECK(a.error().code == ErrorCode::Config);
  CHECK(a.error().message == "folder path '/nonexistent/lienthong/folder' is not an existing folder");
}

TEST_CASE("folder adapter: links the DMS plants in rejected/ and in/ never make the node write or read another file") {
  TempDir dir;
  TempDir elsewhere;
  auto adapter = folder(dir);
  const auto victim = elsewhere.path() / "node-file.txt";
  writeFile(victim, "the node's own file");
  const auto rejected = dir.path() / "rejected";
  // Every name the old code wrote at for a refusal of bad.edxml: the temp file, the error file
  // and the file itself.
  fs::create_symlink(victim, rejected / ".bad.edxml.error.json.tmp");
  fs::create_symlink(victim, rejected / "bad.edxml.error.json");
  writeFile(dir.path() / "in" / "bad.edxml", "<edXML><broken>");
  auto polled = adapter->poll(10);
  REQUIRE(polled);
  CHECK(polled->empty());
  CHECK(readFile(victim) == "the node's own file");
  // The error file replaced the link (a rename never follows it); the planted temp link stays.
  CHECK_FALSE(fs::is_symlink(rejected / "bad.edxml.error.json"));
  CHECK(readFile(rejected / "bad.edxml.error.json").find("malformed_xml") != std::string::npos);

  // A link dropped into in/ is never read through: it is refused as it stands.
  fs::create_symlink(victim, dir.path() / "in" / "link.edxml");
  auto again = adapter->poll(10);
  REQUIRE(again);
  CHECK(again->empty());
  CHECK(readFile(victim) == "the node's own file");

  // rejected/ itself replaced by a link to another folder: the node refuses to write there.
  fs::rename(rejected, dir.path() / "rejected.old");
  fs::create_directory_symlink(elsewhere.path(), rejected);
  writeFile(dir.path() / "in" / "bad2.edxml", "<edXML><broken>");
  auto refused = adapter->poll(10);
  CHECK_FALSE(refused);
  CHECK_FALSE(fs::exists(elsewhere.path() / "bad2.edxml.error.json"));
}
