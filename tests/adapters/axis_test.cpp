#include <catch2/catch.hpp>

#include "adapters/support.h"
#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/adapters/hmac.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

constexpr const char* kClient = "province-h41";
constexpr const char* kSecret = "axis-shared-secret-0123";
constexpr const char* kProvince = "000.00.00.H41";

// The gateway's side of the endpoint, in memory: what a store would keep.
class MemoryBackend final : public AxisBackend {
 public:
  struct Entry {
    std::string id, from, to, bytes, delivery;
    schemas::MessageKind kind = schemas::MessageKind::Document;
    std::string receipt;  // "", "done", "fail"
    std::string reason;
  };

  std::mutex mu;  // guards everything below
  std::vector<Entry> entries;
  int sends = 0;

  Result<AxisCredential> credential(std::string_view client_id) override {
    if (client_id != kClient) return fail(ErrorCode::NotFound, "unknown client");
    return AxisCredential{kSecret, false, {kProvince}};
  }
  Result<std::string> send(std::string_view bytes, const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    ++sends;
    for (const auto& e : entries) {
      if (!caller.delivery.empty() && e.delivery == caller.delivery) return e.id;
    }
    entries.push_back({"D" + std::to_string(entries.size() + 1), caller.organ_id, "G22",
                       std::string(bytes), caller.delivery, schemas::MessageKind::Document, "", ""});
    return entries.back().id;
  }
  Result<std::vector<AxisListItem>> listReceived(const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    std::vector<AxisListItem> out;
    for (const auto& e : entries) {
      if (e.to == caller.organ_id && e.receipt.empty()) {
        out.push_back({e.id, e.from, e.to, e.kind, "2026-11-20T08:00:00Z", sha256Hex(e.bytes)});
      }
    }
    return out;
  }
  Result<std::string> get(std::string_view id, const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id && e.to == caller.organ_id) return e.bytes;
    }
    return fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  Result<void> updateStatus(std::string_view id, AxisReceipt receipt, std::string_view reason,
                            const AxisCaller& caller) override {
    std::lock_guard lock(mu);
    for (auto& e : entries) {
      if (e.id == id && e.to == caller.organ_id) {
        e.receipt = receipt == AxisReceipt::Done ? "done" : "fail";
        e.reason = std::string(reason);
        return {};
      }
    }
    return fail(ErrorCode::NotFound, "no document " + std::string(id));
  }
  void addIncoming(std::string id, std::string bytes, schemas::MessageKind kind) {
    std::lock_guard lock(mu);
    entries.push_back({std::move(id), "G22", kProvince, std::move(bytes), "", kind, "", ""});
  }
  Entry entry(const std::string& id) {
    std::lock_guard lock(mu);
    for (const auto& e : entries) {
      if (e.id == id) return e;
    }
    return {};
  }
};

std::unique_ptr<AxisClient> client(const std::string& url, const char* secret = kSecret) {
  AxisClientSettings s;
  s.url = url;
  s.client_id = kClient;
  s.secret = secret;
  s.organ_id = kProvince;
  s.timeout_ms = 2000;
  auto c = AxisClient::create(s, schemaSet());
  REQUIRE(c);
  return std::move(*c);
}

AxisRequest signedRequest(const std::string& method, const std::string& path, axis::Headers h,
                          const std::string& body, const char* secret,
                          std::chrono::system_clock::time_point when) {
  axis::signRequest(h, method, path, body, kClient, secret, when);
  return {method, path, std::move(h), body};
}

}  // namespace

TEST_CASE("axis client forwards upward to an AxisEndpoint and a repeated delivery id is recognised") {
  MemoryBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  auto upward = client(server.url("/axis"));
  const std::string bytes = packageBytes();
  Delivery d{88, "G22", kProvince, documentIdOf(bytes), schemas::MessageKind::Document, bytes};

  CHECK(upward->deliver(d).kind == DeliveryResult::Kind::Delivered);
  CHECK(upward->deliver(d).kind == DeliveryResult::Kind::Delivered);  // a retry after a lost reply
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 2);
  REQUIRE(backend.entries.size() == 1);
  CHECK(backend.entries[0].bytes == bytes);
  CHECK(backend.entries[0].from == kProvince);
  CHECK(backend.entries[0].delivery == "88");
}

TEST_CASE("axis client polls what the axis holds, refuses malformed items and settles the rest") {
  MemoryBackend backend;
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
  Delivery d{3, "G22", kProvince, "doc", schemas::MessageKind::Document, bytes};
  const std::string down_url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/axis";
  const auto down = client(down_url)->deliver(d);
  CHECK(down.kind == DeliveryResult::Kind::RetryLater);
  CHECK(down.error.code == ErrorCode::Network);
  CHECK(down.error.message.starts_with("POST " + down_url + "/sendEdoc: "));

  MemoryBackend backend;
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
  MemoryBackend backend;
  const auto now = std::chrono::system_clock::now();
  AxisEndpoint endpoint(backend, {"/axis", 1024}, [now] { return now; });
  const axis::Headers from = {{"from", kProvince}};

  auto good = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "", kSecret, now));
  CHECK(good.status == 200);
  CHECK(good.body == R"({"data":[],"status":"OK","ErrorDesc":""})");

  CHECK(endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "",
                                      "not-the-secret-0123456", now))
            .status == 401);
  auto stale = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList", from, "", kSecret,
                                             now - std::chrono::minutes(10)));
  CHECK(stale.status == 401);
  CHECK(stale.body.find("more than 300 s away") != std::string::npos);

  auto tampered = signedRequest("POST", "/axis/sendEdoc", from, "<edXML/>", kSecret, now);
  tampered.body = "<edXML>changed</edXML>";
  CHECK(endpoint.handle(tampered).status == 401);

  auto foreign = endpoint.handle(signedRequest("GET", "/axis/getReceivedEdocList",
                                               {{"from", "000.00.00.H01"}}, "", kSecret, now));
  CHECK(foreign.status == 403);
  CHECK(foreign.body ==
        R"({"status":"FAIL","ErrorCode":"forbidden","ErrorDesc":"client 'province-h41' may not act for unit '000.00.00.H01'"})");

  CHECK(endpoint.handle(signedRequest("GET", "/axis/nothing", from, "", kSecret, now)).status == 404);
  CHECK(endpoint.handle(signedRequest("GET", "/axis/sendEdoc", from, "", kSecret, now)).status == 400);
  CHECK(endpoint.handle(signedRequest("POST", "/axis/sendEdoc", from, std::string(2000, 'x'),
                                      kSecret, now))
            .status == 413);
  auto missing = endpoint.handle(signedRequest("GET", "/axis/getEdoc", from, "", kSecret, now));
  CHECK(missing.status == 400);
  auto unknown = endpoint.handle(
      signedRequest("GET", "/axis/getEdoc", {{"from", kProvince}, {"docid", "X"}}, "", kSecret, now));
  CHECK(unknown.status == 404);
  auto bad_status = endpoint.handle(signedRequest(
      "POST", "/axis/updateStatus", {{"from", kProvince}, {"docid", "X"}, {"status", "maybe"}}, "",
      kSecret, now));
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
