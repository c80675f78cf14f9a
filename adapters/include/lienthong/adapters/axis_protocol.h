// The VXP wire protocol of the national document exchange axis ("Trục liên thông văn bản quốc
// gia"), as the vendor's SDK (SDKVXP, com.vpcp.services) speaks it; see ../shared/VXP.md. A node
// serves it (AxisEndpoint, under https://HOST:PORT/axis) and speaks it (AxisClient).
//
// Every call sends its JSON-header keys as HTTP headers `XroadVnpt-<key>` (systemid and timestamp
// always, then per call from, servicetype, messagetype, docId, status, hash-file, ...), plus
//   XroadVnpt-sign-header-key  the key names joined with ';'
//   XroadVnpt-sign-header      a JSON object {"XroadVnpt-<key>":"value",...} in the client's order
//   XroadVnpt-hash-header      hex HMAC-SHA256(secret as UTF-8, the sign-header JSON text)
//   XroadVnpt-version          3.0.201608
// The HMAC is checked over the sign-header bytes exactly as received: the key order of a Java
// HashMap cannot be rebuilt. The timestamp is ddMMyyyy'T'HHmmss+SSSS (local time; +SSSS is the
// milliseconds, not a zone) and is taken once when the SDK's service object is built, so it says
// nothing about freshness. The body is not signed; sendEdoc carries hash-file, the SHA-256 of the
// file in the SDK's own hex (each byte without its leading zero). Answers are JSON
// {"status":"OK"|"FAIL","ErrorCode":"0"|...,"ErrorDesc":...} plus the call's fields.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::adapters::axis {

// Operations (paths under the endpoint).
inline constexpr std::string_view kSendPath = "/sendEdoc";
inline constexpr std::string_view kListPath = "/getReceivedEdocList";
inline constexpr std::string_view kSentListPath = "/getSentEdocList";
inline constexpr std::string_view kGetPath = "/getEdoc";
inline constexpr std::string_view kDownloadPath = "/downloadEdoc";
inline constexpr std::string_view kUpdateStatusPath = "/updateStatus";
inline constexpr std::string_view kCountEdocPath = "/countReceiveEdoc";
inline constexpr std::string_view kCountStatusPath = "/countReceiveStatus";
inline constexpr std::string_view kAgenciesPath = "/getAgenciesList";
inline constexpr std::string_view kAgenciesQd20Path = "/getAgenciesListQD20";
inline constexpr std::string_view kSynchronizeUnitPath = "/getSynchronizeUnit";
inline constexpr std::string_view kRegisterAgencyPath = "/registerAgency";
inline constexpr std::string_view kDeleteAgencyPath = "/deleteAgency";

// Header names as the SDK writes them (HTTP header names are case-insensitive).
inline constexpr std::string_view kPrefix = "XroadVnpt-";
inline constexpr std::string_view kSignHeaderKey = "XroadVnpt-sign-header-key";
inline constexpr std::string_view kSignHeader = "XroadVnpt-sign-header";
inline constexpr std::string_view kHashHeader = "XroadVnpt-hash-header";
inline constexpr std::string_view kVersionHeader = "XroadVnpt-version";
inline constexpr std::string_view kVersion = "3.0.201608";

// JSON-header keys (without the prefix).
inline constexpr std::string_view kSystemId = "systemid";
inline constexpr std::string_view kTimestamp = "timestamp";
inline constexpr std::string_view kFrom = "from";
inline constexpr std::string_view kTo = "to";
inline constexpr std::string_view kServiceType = "servicetype";
inline constexpr std::string_view kMessageType = "messagetype";
inline constexpr std::string_view kDocId = "docId";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kDescription = "description";
inline constexpr std::string_view kHashFile = "hash-file";
inline constexpr std::string_view kLevel = "level";

// Values.
inline constexpr std::string_view kServiceEdoc = "eDoc";
inline constexpr std::string_view kTypeEdoc = "edoc";
inline constexpr std::string_view kTypeStatus = "status";
inline constexpr std::string_view kStatusDone = "done";
inline constexpr std::string_view kStatusFail = "fail";
inline constexpr std::string_view kStatusProcessing = "processing";

// ErrorCode values of a node's answers ("0" success; adapters/README.md lists them).
namespace code {
inline constexpr std::string_view kOk = "0";
inline constexpr std::string_view kSignatureHeaders = "11";   // sign-header missing or malformed
inline constexpr std::string_view kUnknownSystem = "12";      // systemid not an axis client
inline constexpr std::string_view kBadHmac = "13";            // hash-header does not match
inline constexpr std::string_view kSourceRefused = "14";      // source address not allowed
inline constexpr std::string_view kBadTimestamp = "15";       // not ddMMyyyy'T'HHmmss+SSSS
inline constexpr std::string_view kFromNotServed = "21";      // `from` not a unit of the system
inline constexpr std::string_view kFromMismatch = "22";       // `from` is not the package's From
inline constexpr std::string_view kHashFileMissing = "23";
inline constexpr std::string_view kHashFileMismatch = "24";   // the body's hash differs
inline constexpr std::string_view kBadField = "25";           // docId, status, messagetype
inline constexpr std::string_view kTooLarge = "26";
inline constexpr std::string_view kNotOffered = "27";         // registerAgency, deleteAgency
inline constexpr std::string_view kUnknownOperation = "28";
inline constexpr std::string_view kNotEdxml = "31";           // parse or schema refused
inline constexpr std::string_view kSignatureRefused = "32";   // the package's signature policy
inline constexpr std::string_view kConflict = "33";           // same DocumentId, other bytes
inline constexpr std::string_view kRefused = "34";            // other intake refusals
inline constexpr std::string_view kNotFound = "41";           // no such docId for this system
inline constexpr std::string_view kServerError = "51";        // retry later
inline constexpr std::string_view kUnavailable = "52";        // retry later
}  // namespace code

// True for the codes that say "try again later" (5x) rather than "this will not work".
bool retryable(std::string_view error_code);
// True for the codes of this list that no retry can cure (1x-4x). A code from another axis that
// is not in the list is neither: a client retries it until its attempts run out.
bool permanent(std::string_view error_code);

// Request headers by lower-case name.
using Headers = std::map<std::string, std::string>;
// The JSON-header keys of one call, in the order they are signed (without the prefix).
using Fields = std::vector<std::pair<std::string, std::string>>;

// ddMMyyyy'T'HHmmss+SSSS in Vietnam time (UTC+7), the SDK's pattern.
std::string formatTimestamp(std::chrono::system_clock::time_point t);
// The instant a timestamp stands for when read as UTC+7; InvalidArgument when it does not follow
// the pattern (or names a day that does not exist).
Result<std::chrono::system_clock::time_point> parseTimestamp(std::string_view text);

// `s` as a JSON string literal the way Gson writes it (", \ and control characters escaped,
// U+2028/U+2029 as \u2028/\u2029, other text as UTF-8).
std::string jsonString(std::string_view s);

// The SHA-256 of `file` as the SDK writes hash-file (lower-case hex, each byte without its
// leading zero: 0x0a -> "a"), and the plain 64-character form.
std::string sdkHashFile(std::string_view file);
// True when `claimed` (either form, any case) is the hash of `file`.
bool hashFileMatches(std::string_view claimed, std::string_view file);

// The headers the SDK sends for `fields`: XroadVnpt-<key> for each, sign-header-key,
// sign-header (JSON in the order of `fields`), hash-header and version.
std::vector<std::pair<std::string, std::string>> signedHeaders(const Fields& fields,
                                                               std::string_view secret);

// A request's signed JSON-header, read from its headers (lower-case names).
struct SignedFields {
  std::string sign_header;  // the JSON text as received
  Fields fields;            // its keys without the prefix, values as text

  // The value of `key`: the exact spelling first, then any other case; nullopt when absent.
  std::optional<std::string> get(std::string_view key) const;
  // Every value signed under `key` in any case (the SDK keeps "docId" and "docid" side by side).
  std::vector<std::string> all(std::string_view key) const;
};

// Parses XroadVnpt-sign-header (a JSON object of XroadVnpt-* keys with string values) and checks
// that sign-header-key, when present, names the same keys and that every XroadVnpt-<key> header
// sent holds one of the values signed for it. InvalidArgument saying what is wrong.
Result<SignedFields> readSignedFields(const Headers& headers);
// True when XroadVnpt-hash-header is HMAC-SHA256(secret, sign-header as received), any case.
bool hmacMatches(const Headers& headers, std::string_view secret);

}  // namespace lienthong::adapters::axis
