#include <catch2/catch.hpp>

#include "adapters/axis_memory.h"
#include "adapters/support.h"
#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/adapters/hmac.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

std::unique_ptr<AxisClient> client(const std::string& url, const char* secret = kAxisSecret) {
  AxisClientSettings s;
  s.url = url;
  s.client_id = kAxisClient;
  s.secret = secret;
  s.organ_id = kAxisProvince;
  s.timeout_ms = 2000;
  auto c = AxisClient::create(s, schemaSet());
  REQUIRE(c);
  return std::move(*c);
}

AxisRequest signedRequest(const std::string& method, const std::string& path, axis::Headers h,
                          const std::string& body, const char* secret,
                          std::chrono::system_clock::time_point when) {
  axis::signRequest(h, method, path, body, kAxisClient, secret, when);
  return {method, path, std::move(h), body};
}

}  // namespace

TEST_CASE("axis client forwards upward to an AxisEndpoint and a repeated delivery id is recognised") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  auto upward = client(server.url("/axis"));
  const std::string bytes = packageBytes();
  Delivery d{88, "G22", kAxisProvince, documentIdOf(bytes), schemas::MessageKind::Document, bytes};

  CHECK(upward->deliver(d).kind == DeliveryResult::Kind::Delivered);
  CHECK(upward->deliver(d).kind == DeliveryResult::Kind::Delivered);  // a retry after a lost reply
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 2);
  REQUIRE(backend.entries.size() == 1);
  CHECK(backend.entries[0].bytes == bytes);
  CHECK(backend.entries[0].from == kAxisProvince);
  CHECK(backend.entries[0].delivery == "88");
}

TEST_CASE("axis client polls what the axis holds, refuses malformed items and settles the rest") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  const std::string package = packageBytes(321, "G22");
  const std::string status = statusBytes();
  backend.addIncoming("A1", package, schemas::MessageKind::Document);
  backend.addIncoming("A2", "<edXML><unclosed>", schemas::MessageKind::Document);
  backend.addIncoming("A3", status, schemas::MessageKind::Status);
  auto axis_client = client(server.url("/axis"));

  auto first = axis_client->poll(10);
  REQUIRE(first);
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].ref == "A1");
  CHECK((*first)[0].bytes == package);
  CHECK((*first)[0].kind == schemas::MessageKind::Document);
  CHECK((*first)[0].sender == "G22");
  CHECK((*first)[1].ref == "A3");
  CHECK((*first)[1].kind == schemas::MessageKind::Status);
  CHECK((*first)[1].content_hash == sha256Hex(status));
  CHECK(backend.entry("A2").receipt == "fail");
  CHECK(backend.entry("A2").reason.starts_with("malformed_xml: "));

  auto second = axis_client->poll(10);  // still listed by the axis, but already open here
  REQUIRE(second);
  CHECK(second->empty());

  REQUIRE(axis_client->settle("A1", Verdict::accept()));
  REQUIRE(axis_client->settle(
      "A3", Verdict::refuse(Error{ErrorCode::UnknownUnit, "no unit 000.00.31.H41", 0, {}})));
  CHECK(backend.entry("A1").receipt == "done");
  CHECK(backend.entry("A3").receipt == "fail");
  CHECK(backend.entry("A3").reason == "unknown_unit: no unit 000.00.31.H41");
  CHECK(axis_client->settle("A1", Verdict::accept()).error().code == ErrorCode::NotFound);
  auto third = axis_client->poll(10);
  REQUIRE(third);
  CHECK(third->empty());
}

TEST_CASE("axis client: retry-later while the axis is down, permanent when it refuses the caller") {
  const std::string bytes = packageBytes();
  Delivery d{3, "G22", kAxisProvince, "doc", schemas::MessageKind::Document, bytes};
  const std::string down_url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/axis";
  const auto down = client(down_url)->deliver(d);
  CHECK(down.kind == DeliveryResult::Kind::RetryLater);
  CHECK(down.error.code == ErrorCode::Network);
  CHECK(down.error.message.starts_with("POST " + down_url + "/sendEdoc: "));

  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  const auto refused = client(server.url("/axis"), "a-wrong-secret-01234567")->deliver(d);
  CHECK(refused.kind == DeliveryResult::Kind::Permanent);
  CHECK(refused.error.message == "sendEdoc " + server.url("/axis") +
                                     ": the axis answered 401: signature does not match for "
                                     "client 'province-h41'");
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 0);
}

TEST_CASE("axis endpoint checks signature, clock window, unit, path and method before the backend") {
  MemoryAxisBackend backend;
  const auto now = std::chrono::system_clock::now();
  AxisEndpoint endpoint(backend, {"/axis", 1024}, [now] { return now; });
  const axis::Headers from = {{"from", kAxisProvince}};

  auto good = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "", kAxisSecret, now));
  CHECK(good.status == 200);
  CHECK(good.body == R"({"data":[],"status":"OK","ErrorDesc":""})");

  CHECK(endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "",
                                      "not-the-secret-0123456", now))
            .status == 401);
  auto stale = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "", kAxisSecret,
                                             now - std::chrono::minutes(10)));
  CHECK(stale.status == 401);
  CHECK(stale.body.find("more than 300 s away") != std::string::npos);

  auto tampered = signedRequest("POST", "/axis/sendEdoc", from, "<edXML/>", kAxisSecret, now);
  tampered.body = "<edXML>changed</edXML>";
  CHECK(endpoint.handle(tampered).status == 401);

  auto foreign = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList",
                                               {{"from", "000.00.00.H01"}}, "", kAxisSecret, now));
  CHECK(foreign.status == 403);
  CHECK(foreign.body ==
        R"({"status":"FAIL","ErrorCode":"forbidden","ErrorDesc":"client 'province-h41' may not act for unit '000.00.00.H01'"})");

  CHECK(endpoint.handle(signedRequest("GET", "/axis/nothing", from, "", kAxisSecret, now)).status == 404);
  CHECK(endpoint.handle(signedRequest("GET", "/axis/sendEdoc", from, "", kAxisSecret, now)).status == 400);
  CHECK(endpoint.handle(signedRequest("POST", "/axis/sendEdoc", from, std::string(2000, 'x'),
                                      kAxisSecret, now))
            .status == 413);
  auto missing = endpoint.handle(signedRequest("GET", "/axis/getEdoc", from, "", kAxisSecret, now));
  CHECK(missing.status == 400);
  auto unknown = endpoint.handle(
      signedRequest("GET", "/axis/getEdoc", {{"from", kAxisProvince}, {"docid", "X"}}, "", kAxisSecret, now));
  CHECK(unknown.status == 404);
  auto bad_status = endpoint.handle(signedRequest(
      "POST", "/axis/updateStatus", {{"from", kAxisProvince}, {"docid", "X"}, {"status", "maybe"}}, "",
      kAxisSecret, now));
  CHECK(bad_status.status == 400);
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 0);
}

TEST_CASE("axis canonical string is the ten documented lines") {
  const axis::Headers h = {{"from", "A"},        {"messagetype", "edoc"}, {"docid", "D"},
                           {"status", "done"},   {"x-lienthong-delivery", "9"},
                           {"x-axis-client", "c"}, {"x-axis-timestamp", "100"}};
  CHECK(axis::canonicalString("POST", "/axis/sendEdoc", h, "") ==
        "POST\n/axis/sendEdoc\nc\n100\nA\nedoc\nD\ndone\n9\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hmacSha256Hex("key", "The quick brown fox jumps over the lazy dog") ==
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}
