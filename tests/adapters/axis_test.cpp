// The VXP protocol (axis_protocol.h): the SDK's timestamp, hash-file and signing; the endpoint's
// refusals, each with its own ErrorCode and nothing handed to the backend; the AxisClient
// against the endpoint; and the independent test client (support/vxp_client.h) against both.
#include <catch2/catch.hpp>

#include "adapters/axis_memory.h"
#include "adapters/support.h"
#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/adapters/hmac.h"
#include "support/vxp_client.h"

#include <Poco/Net/StreamSocket.h>

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

std::unique_ptr<AxisClient> client(const std::string& url, const char* secret = kAxisSecret,
                                   std::vector<std::string> organ_ids = {}) {
  AxisClientSettings s;
  s.url = url;
  s.client_id = kAxisClient;
  s.secret = secret;
  s.organ_ids = std::move(organ_ids);
  s.timeout_ms = 2000;
  auto c = AxisClient::create(s, schemaSet());
  REQUIRE(c);
  return std::move(*c);
}

// A request signed as the SDK signs: `fields` in the given order.
AxisRequest sdkRequest(const std::string& op, axis::Fields fields, const std::string& body = "",
                       const std::string& secret = kAxisSecret) {
  AxisRequest r;
  r.method = "POST";
  r.path = "/axis" + op;
  r.body = body;
  r.peer = "127.0.0.1";
  r.secure = false;
  for (const auto& [name, value] : axis::signedHeaders(fields, secret)) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    r.headers[lower] = value;
  }
  return r;
}

axis::Fields base(std::string system = kAxisClient) {
  return {{"systemid", std::move(system)}, {"timestamp", "20112026T081500+0042"}};
}

axis::Fields with(axis::Fields f, const axis::Fields& more) {
  f.insert(f.end(), more.begin(), more.end());
  return f;
}

std::string errorCodeOf(const AxisResponse& r) {
  auto pos = r.body.find("\"ErrorCode\":\"");
  if (pos == std::string::npos) return "<none>";
  pos += 13;
  return r.body.substr(pos, r.body.find('"', pos) - pos);
}

}  // namespace

TEST_CASE("vxp: timestamps follow ddMMyyyy'T'HHmmss+SSSS in Vietnam time, with milliseconds after '+'") {
  using namespace std::chrono;
  const auto t = sys_days(year(2026) / 11 / 20) + hours(1) + minutes(2) + seconds(3) + milliseconds(45);
  CHECK(axis::formatTimestamp(time_point_cast<system_clock::duration>(t)) == "20112026T080203+0045");
  CHECK(vxp_test::sdkTimestamp(time_point_cast<system_clock::duration>(t)) == "20112026T080203+0045");
  auto back = axis::parseTimestamp("20112026T080203+0045");
  REQUIRE(back);
  CHECK(*back == time_point_cast<system_clock::duration>(t));
  CHECK_FALSE(axis::parseTimestamp("2026-11-20T08:02:03+07:00"));
  CHECK_FALSE(axis::parseTimestamp("31022026T080203+0045"));  // no 31 February
  CHECK_FALSE(axis::parseTimestamp("1763600000"));
}

TEST_CASE("vxp: hash-file is the SDK's hex (no leading zeros); either form matches the file") {
  // Find a file whose SHA-256 has a byte below 0x10, where the two forms differ.
  std::string file;
  for (int i = 0;; ++i) {
    file = "<edXMLEnvelope>" + std::to_string(i) + "</edXMLEnvelope>";
    if (sha256Hex(file).size() != axis::sdkHashFile(file).size()) break;
  }
  const std::string sdk = vxp_test::sdkHashFile(file);
  CHECK(axis::sdkHashFile(file) == sdk);
  CHECK(sdk.size() < 64);
  CHECK(axis::hashFileMatches(sdk, file));
  CHECK(axis::hashFileMatches(sha256Hex(file), file));
  std::string upper = sha256Hex(file);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(axis::hashFileMatches(upper, file));
  CHECK_FALSE(axis::hashFileMatches(sdk, file + " "));
  CHECK_FALSE(axis::hashFileMatches("", file));
}

TEST_CASE("vxp: the HMAC is over sign-header as received, whatever its key order") {
  const axis::Fields a = with(base(), {{"from", kAxisProvince}, {"servicetype", "eDoc"}});
  axis::Fields b(a.rbegin(), a.rend());
  auto ra = sdkRequest(std::string(axis::kCountEdocPath), a);
  auto rb = sdkRequest(std::string(axis::kCountEdocPath), b);
  CHECK(ra.headers.at("xroadvnpt-sign-header") != rb.headers.at("xroadvnpt-sign-header"));
  CHECK(axis::hmacMatches(ra.headers, kAxisSecret));
  CHECK(axis::hmacMatches(rb.headers, kAxisSecret));
  CHECK_FALSE(axis::hmacMatches(ra.headers, "another-secret-0123456"));
  // The independent client's JSON for the same keys: valid too, and the same HMAC rule.
  CHECK(vxp_test::hmacHex(kAxisSecret, ra.headers.at("xroadvnpt-sign-header")) ==
        ra.headers.at("xroadvnpt-hash-header"));
  auto fields = axis::readSignedFields(rb.headers);
  REQUIRE(fields);
  CHECK(fields->get("systemid") == std::optional<std::string>(kAxisClient));
  CHECK(fields->get("FROM") == std::optional<std::string>(kAxisProvince));
  // Gson escaping: quotes in `to` (sendEdoc keeps its JSON text).
  auto rt = sdkRequest(std::string(axis::kCountEdocPath),
                       with(base(), {{"to", R"([{"OrganId":"000.00.00.G22"}])"}}));
  CHECK(rt.headers.at("xroadvnpt-sign-header").find(R"(\"OrganId\")") != std::string::npos);
  auto parsed = axis::readSignedFields(rt.headers);
  REQUIRE(parsed);
  CHECK(parsed->get("to") == std::optional<std::string>(R"([{"OrganId":"000.00.00.G22"}])"));
}

TEST_CASE("vxp endpoint: refusals have their own ErrorCode and nothing reaches the backend") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 4096, {}});
  const std::string file = packageBytes();
  const auto send = [&](axis::Fields extra, const std::string& body, const std::string& secret = kAxisSecret,
                        std::string system = kAxisClient) {
    return endpoint.handle(sdkRequest("/sendEdoc", with(base(std::move(system)), extra), body, secret));
  };
  const axis::Fields good = {{"from", kAxisProvince}, {"servicetype", "eDoc"}, {"messagetype", "edoc"},
                             {"hash-file", axis::sdkHashFile("<x/>")}};

  auto wrong_hmac = send(good, "<x/>", "not-the-secret-0123456");
  CHECK(wrong_hmac.status == 200);
  CHECK(errorCodeOf(wrong_hmac) == "13");
  CHECK(wrong_hmac.body.find(R"("status":"FAIL")") != std::string::npos);
  CHECK(errorCodeOf(send(good, "<x/>", kAxisSecret, "vxp.unknown")) == "12");
  CHECK(errorCodeOf(send({{"from", "000.00.00.H01"}, {"hash-file", axis::sdkHashFile("<x/>")}}, "<x/>")) == "21");
  auto differs = send({{"from", kAxisProvince}, {"hash-file", axis::sdkHashFile("<y/>")}}, "<x/>");
  CHECK(errorCodeOf(differs) == "24");
  CHECK(differs.body.find("is not the SHA-256 of the body") != std::string::npos);
  CHECK(errorCodeOf(send({{"from", kAxisProvince}}, "<x/>")) == "23");
  CHECK(errorCodeOf(send({{"from", kAxisProvince}, {"messagetype", "memo"},
                          {"hash-file", axis::sdkHashFile("<x/>")}},
                         "<x/>")) == "25");
  CHECK(errorCodeOf(send(good, std::string(5000, 'x'))) == "26");

  // A header changed after signing; sign-header unreadable; no timestamp; a bad one.
  auto changed = sdkRequest("/sendEdoc", with(base(), good), "<x/>");
  changed.headers["xroadvnpt-from"] = "000.00.00.H01";
  CHECK(errorCodeOf(endpoint.handle(changed)) == "11");
  auto garbled = sdkRequest("/sendEdoc", with(base(), good), "<x/>");
  garbled.headers["xroadvnpt-sign-header"] = "{not json";
  CHECK(errorCodeOf(endpoint.handle(garbled)) == "11");
  CHECK(errorCodeOf(endpoint.handle(sdkRequest("/sendEdoc", with({{"systemid", kAxisClient}}, good), "<x/>"))) == "15");
  CHECK(errorCodeOf(endpoint.handle(sdkRequest(
            "/sendEdoc", with({{"systemid", kAxisClient}, {"timestamp", "1763600000"}}, good), "<x/>"))) == "15");
  // Plain HTTP from another machine; a source address the system may not use.
  auto remote = sdkRequest("/sendEdoc", with(base(), good), "<x/>");
  remote.peer = "10.1.2.3";
  CHECK(errorCodeOf(endpoint.handle(remote)) == "14");
  {
    std::lock_guard lock(backend.mu);
    backend.sources = {"10.9.0.0/16"};
  }
  remote.secure = true;
  CHECK(errorCodeOf(endpoint.handle(remote)) == "14");
  remote.peer = "10.9.200.7";
  CHECK(errorCodeOf(endpoint.handle(remote)) == "0");
  {
    std::lock_guard lock(backend.mu);
    CHECK(backend.sends == 1);  // only the last one
    backend.sources.clear();
  }

  // Agency registration is the directory's, not a client's; unknown operations are 404.
  auto reg = endpoint.handle(sdkRequest("/registerAgency", base(), "{}"));
  CHECK(errorCodeOf(reg) == "27");
  CHECK(reg.body.find("directory") != std::string::npos);
  CHECK(errorCodeOf(endpoint.handle(sdkRequest("/deleteAgency", with(base(), {{"AgencyCode", "99.99.99.G21"}}), "{}"))) == "27");
  auto unknown = endpoint.handle(sdkRequest("/nothing", base()));
  CHECK(unknown.status == 404);
  CHECK(errorCodeOf(unknown) == "28");
  // docId and docid naming different items in updateStatus; a status outside done/fail/processing.
  CHECK(errorCodeOf(endpoint.handle(sdkRequest(
            "/updateStatus", with(base(), {{"docId", "D1"}, {"docid", "D2"}, {"status", "done"}}), "{}"))) == "25");
  CHECK(errorCodeOf(endpoint.handle(sdkRequest(
            "/updateStatus", with(base(), {{"docId", "D1"}, {"status", "maybe"}}), "{}"))) == "25");
  CHECK(errorCodeOf(endpoint.handle(sdkRequest("/getEdoc", with(base(), {{"docId", "X"}}), "{}"))) == "41");
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 1);
  CHECK(backend.entries.size() == 1);
}

TEST_CASE("vxp endpoint: the SDK's calls over HTTP, from the independent test client") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  vxp_test::SdkClient sdk(server.url("/axis"), kAxisClient, kAxisSecret, "", 7);
  const std::string file = packageBytes();

  auto sent = sdk.sendEdoc({{"from", kAxisProvince}, {"servicetype", "eDoc"}, {"messagetype", "edoc"}}, file);
  INFO(sent.body);
  REQUIRE(sent.ok());
  CHECK(sent.field("DocId") == "D1");
  CHECK(sent.body.starts_with(R"({"status":"OK","ErrorCode":"0","ErrorDesc":"")"));
  CHECK(backend.entry("D1").bytes == file);  // the CRLF after the file is not part of it

  backend.addIncoming("A7", file, schemas::MessageKind::Document);
  backend.addIncoming("S8", statusBytes(), schemas::MessageKind::Status);
  auto list = sdk.formCall("/getReceivedEdocList", {{"servicetype", "eDoc"}, {"messagetype", "edoc"}});
  REQUIRE(list.ok());
  REQUIRE(list.data()->size() == 1);
  auto item = list.data()->getObject(0);
  CHECK(item->getValue<std::string>("docId") == "A7");
  CHECK(item->getValue<std::string>("serviceType") == "eDoc");
  CHECK(item->getValue<std::string>("messageType") == "edoc");
  for (const char* key : {"created_time", "updated_time", "from", "to", "status", "status_desc"}) {
    CHECK(item->has(key));
  }
  auto statuses = sdk.formCall("/getReceivedEdocList", {{"messagetype", "status"}});
  REQUIRE(statuses.ok());
  REQUIRE(statuses.data()->size() == 1);
  CHECK(statuses.data()->getObject(0)->getValue<std::string>("docId") == "S8");

  auto got = sdk.jsonCall("/getEdoc", {{"filePath", "xml"}, {"docId", "A7"}});
  REQUIRE(got.ok());
  CHECK(got.file() == file);
  auto raw = sdk.download({{"docId", "A7"}});
  CHECK(raw.http == 200);
  CHECK(raw.body == file);
  auto count = sdk.jsonCall("/countReceiveEdoc", {});
  REQUIRE(count.ok());
  CHECK(count.field("count") == "1");
  CHECK(sdk.jsonCall("/countReceiveStatus", {}).field("count") == "1");

  // "docid" as the Bkav DMS writes it, next to the "docId" left from getEdoc: the same item.
  auto done = sdk.jsonCall("/updateStatus", {{"docid", "A7"}, {"status", "done"}});
  INFO(done.body);
  REQUIRE(done.ok());
  CHECK(backend.entry("A7").receipt == "done");
  CHECK(sdk.jsonCall("/countReceiveEdoc", {}).field("count") == "0");

  auto agencies = sdk.formCall("/getAgenciesListQD20", {});
  REQUIRE(agencies.ok());
  REQUIRE(agencies.data()->size() == 1);
  CHECK(agencies.data()->getObject(0)->getValue<std::string>("code102") == kAxisProvince);
  // ErrorDesc is ASCII on the wire (\u escapes): the SDK reads sendEdoc answers as US-ASCII.
  CHECK(std::all_of(agencies.body.begin(), agencies.body.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x80; }));
  CHECK(agencies.body.find("\\u") != std::string::npos);

  vxp_test::SdkClient stranger(server.url("/axis"), kAxisClient, "the-wrong-secret-0123", "", 3);
  auto refused = stranger.sendEdoc({{"from", kAxisProvince}, {"messagetype", "edoc"}}, file);
  CHECK(refused.status() == "FAIL");
  CHECK(refused.code() == "13");
}

TEST_CASE("axis client: sends as the SDK does, polls, refuses malformed items and settles the rest") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  auto upward = client(server.url("/axis"));
  const std::string bytes = packageBytes();
  Delivery d{88, "G22", kAxisProvince, documentIdOf(bytes), schemas::MessageKind::Document, bytes};
  const auto first = upward->deliver(d);
  INFO(first.error.describe());
  CHECK(first.kind == DeliveryResult::Kind::Delivered);
  CHECK(upward->deliver(d).kind == DeliveryResult::Kind::Delivered);  // a retry after a lost reply
  {
    std::lock_guard lock(backend.mu);
    CHECK(backend.sends == 2);
    REQUIRE(backend.entries.size() == 1);
    CHECK(backend.entries[0].bytes == bytes);
    CHECK(backend.entries[0].from == kAxisProvince);
  }

  const std::string package = packageBytes(321, "G22");
  const std::string status = statusBytes();
  backend.addIncoming("A1", package, schemas::MessageKind::Document);
  backend.addIncoming("A2", "<edXML><unclosed>", schemas::MessageKind::Document);
  backend.addIncoming("A3", status, schemas::MessageKind::Status);
  backend.addIncoming("A4", packageBytes(322, "G23"), schemas::MessageKind::Document, "G23");
  auto axis_client = client(server.url("/axis"), kAxisSecret, {"G22"});
  auto polled = axis_client->poll(10);
  if (!polled) FAIL(polled.error().describe());
  REQUIRE(polled->size() == 2);  // A4 is not from this channel's unit
  CHECK((*polled)[0].ref == "A1");
  CHECK((*polled)[0].bytes == package);
  CHECK((*polled)[1].ref == "A3");
  CHECK((*polled)[1].kind == schemas::MessageKind::Status);
  CHECK(backend.entry("A2").receipt == "fail");
  CHECK(backend.entry("A2").reason.starts_with("malformed_xml: "));
  auto second = axis_client->poll(10);  // still listed by the axis, but already open here
  REQUIRE(second);
  CHECK(second->empty());
  REQUIRE(axis_client->settle("A1", Verdict::accept()));
  REQUIRE(axis_client->settle(
      "A3", Verdict::refuse(Error{ErrorCode::UnknownUnit, "no unit 000.00.31.H41 (xã)", 0, {}})));
  CHECK(backend.entry("A1").receipt == "done");
  CHECK(backend.entry("A3").receipt == "fail");
  CHECK(backend.entry("A3").reason == "unknown_unit: no unit 000.00.31.H41 (x%C3%A3)");
  CHECK(axis_client->settle("A1", Verdict::accept()).error().code == ErrorCode::NotFound);
  CHECK(backend.entry("A4").receipt.empty());
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
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  const auto refused = client(server.url("/axis"), "a-wrong-secret-01234567")->deliver(d);
  CHECK(refused.kind == DeliveryResult::Kind::Permanent);
  CHECK(refused.error.message.starts_with("sendEdoc " + server.url("/axis") +
                                          ": the axis answered FAIL, ErrorCode 13: "));
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 0);
}

TEST_CASE("vxp: source addresses match exactly or by CIDR range") {
  CHECK(addressAllowed("10.1.2.3", {"10.1.2.3"}));
  CHECK(addressAllowed("10.1.2.3", {"10.0.0.0/8"}));
  CHECK_FALSE(addressAllowed("11.1.2.3", {"10.0.0.0/8"}));
  CHECK(addressAllowed("::ffff:10.1.2.3", {"10.1.0.0/16"}));
  CHECK(addressAllowed("2001:db8::5", {"2001:db8::/32"}));
  CHECK_FALSE(addressAllowed("2001:db9::5", {"2001:db8::/32"}));
  CHECK_FALSE(addressAllowed("10.1.2.3", {"not-an-address"}));
  CHECK(isLoopbackAddress("127.0.0.1"));
  CHECK(isLoopbackAddress("::1"));
  CHECK_FALSE(isLoopbackAddress("10.0.0.1"));
}

TEST_CASE("axis client: a FAIL code of another axis is retried, one of the refusal codes is not") {
  CHECK(axis::permanent("13"));
  CHECK(axis::permanent("24"));
  CHECK(axis::permanent("41"));
  CHECK_FALSE(axis::permanent("51"));
  CHECK_FALSE(axis::permanent("100"));
  CHECK_FALSE(axis::permanent("0"));
  CHECK(axis::retryable("52"));
  // An axis answering FAIL with a code outside the list: retried later.
  Recorder recorder;
  recorder.reply_body = R"({"status":"FAIL","ErrorCode":"-1","ErrorDesc":"He thong ban"})";
  LoopbackServer server(new RecordingFactory(recorder));
  const std::string bytes = packageBytes();
  const auto r = client(server.url("/axis"))->deliver(
      Delivery{5, "G22", kAxisProvince, "doc", schemas::MessageKind::Document, bytes});
  CHECK(r.kind == DeliveryResult::Kind::RetryLater);
  CHECK(r.error.message.find("ErrorCode -1: He thong ban") != std::string::npos);
  const auto seen = recorder.snapshot();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].uri == "/axis/sendEdoc");
  CHECK(seen[0].body == bytes);
  CHECK(seen[0].headers.at("XroadVnpt-systemid") == kAxisClient);
  CHECK(seen[0].headers.at("XroadVnpt-hash-file") == vxp_test::sdkHashFile(bytes));
  CHECK(seen[0].headers.at("XroadVnpt-hash-header") ==
        vxp_test::hmacHex(kAxisSecret, seen[0].headers.at("XroadVnpt-sign-header")));
  CHECK(axis::parseTimestamp(seen[0].headers.at("XroadVnpt-timestamp")));
}

TEST_CASE("vxp endpoint: the file is the body, the body less the SDK's CRLF, or a multipart part") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  const std::string file = "<edXML>" + std::string(100, 'a') + "</edXML>";
  const axis::Fields fields = with(base(), {{"from", kAxisProvince}, {"messagetype", "edoc"},
                                            {"hash-file", axis::sdkHashFile(file)}});
  auto raw = sdkRequest("/sendEdoc", fields, file);
  CHECK(errorCodeOf(endpoint.handle(raw)) == "0");
  auto crlf = sdkRequest("/sendEdoc", fields, file + "\r\n");
  CHECK(errorCodeOf(endpoint.handle(crlf)) == "0");
  auto multipart = sdkRequest("/sendEdoc", fields,
                              "--===17===\r\nContent-Disposition: form-data; name=\"file_doc\"; "
                              "filename=\"a.edxml\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
                                  file + "\r\n--===17===--\r\n");
  multipart.headers["content-type"] = "multipart/form-data; boundary=\"===17===\"";
  CHECK(errorCodeOf(endpoint.handle(multipart)) == "0");
  auto extra = sdkRequest("/sendEdoc", fields, file + "x");
  CHECK(errorCodeOf(endpoint.handle(extra)) == "24");
  const auto entries = backend.snapshot();
  REQUIRE(entries.size() == 1);  // the same file three times: one entry, the first DocId
  CHECK(entries[0].bytes == file);
  std::lock_guard lock(backend.mu);
  CHECK(backend.sends == 3);
}

TEST_CASE("axis http handler: a POST without Content-Length is answered at once, as one without a body") {
  MemoryAxisBackend backend;
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  LoopbackServer server(new AxisHandlerFactory(endpoint));
  const std::string url = server.url("/axis");
  const auto port = static_cast<Poco::UInt16>(std::stoi(url.substr(url.rfind(':') + 1)));
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(3, 0));
  const std::string request = "POST /axis/countReceiveEdoc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  char buffer[2048];
  const int n = socket.receiveBytes(buffer, sizeof buffer);  // throws on the 3 s timeout
  const std::string reply(buffer, static_cast<std::size_t>(std::max(n, 0)));
  CHECK(reply.starts_with("HTTP/1.1 200"));
  CHECK(reply.find(R"("ErrorCode":"11")") != std::string::npos);
}
