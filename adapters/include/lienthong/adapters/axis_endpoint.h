// The server side of the axis-style protocol (see axis_protocol.h): checks the signature, the
// timestamp window and that the caller's credential may act for the `from` unit, then calls a
// small backend the gateway implements over its store. AxisEndpoint::handle is a pure function
// from a request to a response (testable without a socket); AxisHttpHandler (axis_http_handler.h)
// serves it through Poco's HTTPServer. Thread-safe when the backend is; the backend must outlive
// the endpoint.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/adapters/adapter.h"
#include "lienthong/adapters/axis_protocol.h"

namespace lienthong::adapters {

// Who is calling, after the signature has been checked.
struct AxisCaller {
  std::string client_id;
  std::string organ_id;  // the `from` header: the unit the caller acts for
  std::string delivery;  // x-lienthong-delivery on send: the sender's delivery id ("" if none)
};

struct AxisCredential {
  std::string secret;
  bool any_unit = false;           // may act for every unit (a trusted peer node)
  std::vector<std::string> units;  // otherwise, the units it may act for
};

enum class AxisReceipt { Done, Fail };

struct AxisListItem {
  std::string id;  // DocId
  std::string from;
  std::string to;
  schemas::MessageKind kind = schemas::MessageKind::Document;
  std::string created_time;  // ISO 8601
  std::string content_hash;  // SHA-256 hex of the bytes
};

// What the gateway provides. Errors become HTTP statuses through axisHttpStatus().
class AxisBackend {
 public:
  virtual ~AxisBackend() = default;
  // The credential of a client id; NotFound/Unauthorized when unknown.
  virtual Result<AxisCredential> credential(std::string_view client_id) = 0;
  // Runs intake on the bytes; the id the caller later sees. A repeated send (same bytes, same
  // DocumentId, or the same caller.delivery) answers the first id.
  virtual Result<std::string> send(std::string_view bytes, const AxisCaller& caller) = 0;
  // Items for caller.organ_id not yet marked done or fail, oldest first.
  virtual Result<std::vector<AxisListItem>> listReceived(const AxisCaller& caller) = 0;
  // The bytes of an item addressed to caller.organ_id; NotFound otherwise.
  virtual Result<std::string> get(std::string_view id, const AxisCaller& caller) = 0;
  virtual Result<void> updateStatus(std::string_view id, AxisReceipt receipt,
                                    std::string_view reason, const AxisCaller& caller) = 0;
};

struct AxisRequest {
  std::string method;
  std::string path;  // without the query
  axis::Headers headers;  // lower-case names
  std::string body;
};

struct AxisResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  axis::Headers headers;
};

// The one mapping from ErrorCode to an HTTP status for the axis-style API.
int axisHttpStatus(ErrorCode code);

struct AxisEndpointOptions {
  std::string prefix;                  // path prefix the operations sit under, e.g. "/axis"
  std::size_t max_body = 100u << 20;   // larger sends are refused with 413
};

class AxisEndpoint {
 public:
  AxisEndpoint(AxisBackend& backend, AxisEndpointOptions options = {},
               Clock clock = systemClock());

  AxisResponse handle(const AxisRequest& request) const;
  const AxisEndpointOptions& options() const { return options_; }

 private:
  Result<AxisCaller> authenticate(const AxisRequest& request) const;

  AxisBackend& backend_;
  AxisEndpointOptions options_;
  Clock clock_;
};

}  // namespace lienthong::adapters
