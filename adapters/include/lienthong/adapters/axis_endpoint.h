// The server side of the VXP protocol (axis_protocol.h): a node answers the stock SDK's calls.
// Every call is authenticated the same way: the signed JSON-header is read as received, its
// systemid must be an axis client, the HMAC must match that client's secret, the timestamp must
// follow the SDK's pattern, the source address must be one the system may use, and plain HTTP
// is answered only from loopback. Then the call's own checks (sendEdoc: `from` one of the
// system's units, hash-file the hash of the body; docId, status, messagetype values) and a
// small backend the gateway implements over its store and intake.
// AxisEndpoint::handle is a pure function from a request to a response (testable without a
// socket); AxisHttpHandler (axis_http_handler.h) serves it through Poco's HTTPServer.
// Every answer is JSON {"status","ErrorCode","ErrorDesc",...} with HTTP 200, as the real axis
// answers (the SDK reads the JSON whatever the status), except downloadEdoc's file and an unknown
// operation (404). Thread-safe when the backend is; the backend must outlive the endpoint.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/adapters/adapter.h"
#include "lienthong/adapters/axis_protocol.h"

namespace lienthong::adapters {

// One system (the SDK's systemid, the "mã trung tâm liên thông") allowed to call.
struct AxisSystem {
  std::string id;
  std::string secret;
  std::vector<std::string> units;    // the units it sends for and receives for
  std::vector<std::string> sources;  // allowed source addresses (IPs or CIDR); empty: any
};

// Who is calling, after authentication.
struct AxisCaller {
  std::string system_id;
  std::vector<std::string> units;
};

enum class AxisReceipt { Done, Fail, Processing };

struct AxisListItem {
  std::string id;  // docId
  std::string from;
  std::string to;
  schemas::MessageKind kind = schemas::MessageKind::Document;
  std::string created_time;
  std::string updated_time;
  std::string status;       // "initial" (not yet taken), "processing"
  std::string status_desc;
};

// One recipient of a document the caller sent (getSentEdocList).
struct AxisSentItem {
  std::string sender_doc_id, receiver_doc_id, from_code, to_code, title, notation;
  schemas::MessageKind kind = schemas::MessageKind::Document;
  std::string sent_time, received_time;
  std::string send_status, send_status_desc;        // the delivery: pending, delivered, failed...
  std::string receive_status, receive_status_desc;  // the recipient's latest edXML status, if any
};

struct AxisAgency {
  std::string id, pid, code, code102, old_code, name, mail, center_code;
  int level = 0;
};

// What the gateway provides. Errors are mapped to VXP ErrorCodes by vxpErrorCode().
class AxisBackend {
 public:
  virtual ~AxisBackend() = default;
  // The system with this id; NotFound when it is not an axis client.
  virtual Result<AxisSystem> system(std::string_view system_id) = 0;
  // True when `organ_id` is one of `units` (either form of a unit's code).
  virtual bool serves(const std::vector<std::string>& units, std::string_view organ_id) = 0;
  // Runs intake on the bytes as `from`'s office; the DocId the caller keeps. A repeat answers
  // the first id. Forbidden when the package's From is not `from`. `kind` from messagetype
  // (nullopt: whatever the bytes are).
  virtual Result<std::string> send(std::string_view bytes, std::string_view from,
                                   std::optional<schemas::MessageKind> kind,
                                   const AxisCaller& caller) = 0;
  // Items for the caller's units not yet settled done/fail, oldest first; `kind` filters.
  virtual Result<std::vector<AxisListItem>> listReceived(
      const AxisCaller& caller, std::optional<schemas::MessageKind> kind) = 0;
  // The bytes of an item for one of the caller's units; NotFound otherwise.
  virtual Result<std::string> get(std::string_view id, const AxisCaller& caller) = 0;
  virtual Result<void> updateStatus(std::string_view id, AxisReceipt receipt,
                                    std::string_view reason, const AxisCaller& caller) = 0;
  // The recipients of a message the caller sent (its sendEdoc DocId); NotFound otherwise.
  virtual Result<std::vector<AxisSentItem>> listSent(std::string_view id,
                                                     const AxisCaller& caller) = 0;
  // The directory's units in force today, and which system serves each.
  virtual Result<std::vector<AxisAgency>> agencies() = 0;
};

struct AxisRequest {
  std::string method;
  std::string path;       // without the query
  axis::Headers headers;  // lower-case names
  std::string body;
  std::string peer;       // the source IP address
  bool secure = true;     // came over TLS
};

struct AxisResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  axis::Headers headers;
};

// The one mapping from an ErrorCode (intake, store, backend) to a VXP ErrorCode.
std::string_view vxpErrorCode(ErrorCode code);

// Told of every FAIL answer: the operation, the systemid ("" before it is known), the ErrorCode
// and the ErrorDesc (for the node's log). Called on the request's thread.
using AxisRefusalLog = std::function<void(std::string_view operation, std::string_view system,
                                          std::string_view error_code, std::string_view desc)>;

struct AxisEndpointOptions {
  std::string prefix;                  // path prefix the operations sit under, e.g. "/axis"
  std::size_t max_body = 100u << 20;   // larger sends are refused (ErrorCode 26)
  AxisRefusalLog on_refusal;           // optional
};

class AxisEndpoint {
 public:
  AxisEndpoint(AxisBackend& backend, AxisEndpointOptions options = {},
               Clock clock = systemClock());

  AxisResponse handle(const AxisRequest& request) const;
  const AxisEndpointOptions& options() const { return options_; }

 private:
  AxisResponse respond(const AxisRequest& request, std::string& system) const;
  AxisEndpointOptions options_;
  AxisBackend& backend_;
  Clock clock_;
};

// True for 127.0.0.0/8, ::1 and ::ffff:127.x.
bool isLoopbackAddress(std::string_view ip);
// True when `ip` equals one of `allowed` or falls in one of its CIDR ranges (a.b.c.d/n, x::/n).
bool addressAllowed(std::string_view ip, const std::vector<std::string>& allowed);

}  // namespace lienthong::adapters
