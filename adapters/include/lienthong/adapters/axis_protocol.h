// The axis-style protocol: a compatible subset of the national document exchange axis interface
// ("Trục liên thông văn bản quốc gia", the edoc style of the VPCP SDK) that a node serves
// (AxisEndpoint) and speaks (AxisClient). Paths are relative to a base URL
// (e.g. https://node.example/axis):
//
//   POST <base>/sendEdoc             body: the signed edXML package or status (application/xml)
//        headers from, servicetype, messagetype, x-lienthong-delivery (sender's delivery id)
//        200 {"status":"OK","ErrorDesc":"","DocId":"<id>"}
//   GET  <base>/getReceivedEdocList  headers from (the receiving unit), servicetype, messagetype
//        200 {"status":"OK","ErrorDesc":"","data":[{"DocId","from","to","messagetype",
//             "created_time","sha256"}...]}  (items not yet marked done/fail)
//   GET  <base>/getEdoc              headers from, docid
//        200 the edXML bytes exactly as sent (application/xml)
//   POST <base>/updateStatus         headers from, docid, status (done | fail); body: the reason
//        (text/plain, may be empty) for fail
//        200 {"status":"OK","ErrorDesc":""}
//   any failure: 4xx/5xx {"status":"FAIL","ErrorCode":"<error code name>","ErrorDesc":"<text>"}
//
// Every request is signed. Headers: x-axis-client (client id), x-axis-timestamp (unix seconds,
// within kMaxClockSkew of the server's clock), x-axis-signature (lower-case hex
// HMAC-SHA256(secret, canonical)), where canonical is these ten lines joined by "\n":
//   METHOD, path (as sent, no query), client id, timestamp, from, messagetype, docid, status,
//   x-lienthong-delivery, lower-case hex SHA-256 of the body
// (absent headers count as empty strings). Header names are case-insensitive on the wire; values
// are used as sent. Pure definitions and functions; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace lienthong::adapters::axis {

inline constexpr std::string_view kSendPath = "/sendEdoc";
inline constexpr std::string_view kListPath = "/getReceivedEdocList";
inline constexpr std::string_view kGetPath = "/getEdoc";
inline constexpr std::string_view kUpdateStatusPath = "/updateStatus";

// Header names, lower-case.
inline constexpr std::string_view kFrom = "from";
inline constexpr std::string_view kServiceType = "servicetype";
inline constexpr std::string_view kMessageType = "messagetype";
inline constexpr std::string_view kDocId = "docid";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kDelivery = "x-lienthong-delivery";
inline constexpr std::string_view kClient = "x-axis-client";
inline constexpr std::string_view kTimestamp = "x-axis-timestamp";
inline constexpr std::string_view kSignature = "x-axis-signature";

// Values.
inline constexpr std::string_view kServiceEdoc = "eDoc";
inline constexpr std::string_view kTypeEdoc = "edoc";
inline constexpr std::string_view kTypeStatus = "status";
inline constexpr std::string_view kStatusDone = "done";
inline constexpr std::string_view kStatusFail = "fail";

inline constexpr std::chrono::seconds kMaxClockSkew{300};

// Request headers by lower-case name.
using Headers = std::map<std::string, std::string>;

// The canonical string above for one request.
std::string canonicalString(std::string_view method, std::string_view path,
                            const Headers& headers, std::string_view body);
// Adds x-axis-client, x-axis-timestamp and x-axis-signature to `headers` (lower-case names).
void signRequest(Headers& headers, std::string_view method, std::string_view path,
                 std::string_view body, std::string_view client_id, std::string_view secret,
                 std::chrono::system_clock::time_point now);
// True when x-axis-signature matches `secret` (constant-time); the timestamp window and the
// client id are the caller's to check.
bool signatureMatches(const Headers& headers, std::string_view method, std::string_view path,
                      std::string_view body, std::string_view secret);

}  // namespace lienthong::adapters::axis
