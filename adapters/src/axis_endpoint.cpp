#include "lienthong/adapters/axis_endpoint.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

namespace lienthong::adapters {
namespace {

std::string stringify(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

AxisResponse failure(const Error& error) {
  Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
  object.set("status", "FAIL");
  object.set("ErrorCode", std::string(errorCodeName(error.code)));
  object.set("ErrorDesc", error.message);
  return {axisHttpStatus(error.code), "application/json", stringify(object), {}};
}

AxisResponse ok(Poco::JSON::Object object) {
  object.set("status", "OK");
  object.set("ErrorDesc", "");
  return {200, "application/json", stringify(object), {}};
}

std::string header(const axis::Headers& headers, std::string_view name) {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string{} : it->second;
}

}  // namespace

int axisHttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::Unauthorized: return 401;
    case ErrorCode::Forbidden: return 403;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::Conflict: return 409;
    case ErrorCode::TooLarge: return 413;
    case ErrorCode::InvalidArgument:
    case ErrorCode::DoctypeRefused:
    case ErrorCode::EntityRefused:
    case ErrorCode::TooDeep:
    case ErrorCode::TooManyNodes:
    case ErrorCode::TextTooLarge:
    case ErrorCode::InvalidUtf8:
    case ErrorCode::EncodingRefused:
    case ErrorCode::MalformedXml: return 400;
    case ErrorCode::Storage:
    case ErrorCode::Io:
    case ErrorCode::Config:
    case ErrorCode::KeyUnavailable:
    case ErrorCode::CryptoFailure:
    case ErrorCode::Internal: return 500;
    case ErrorCode::Network: return 502;
    case ErrorCode::Unavailable: return 503;
    default: return 422;  // content the node understood and refused (schema, signature, unit...)
  }
}

AxisEndpoint::AxisEndpoint(AxisBackend& backend, AxisEndpointOptions options, Clock clock)
    : backend_(backend), options_(std::move(options)), clock_(std::move(clock)) {
  while (!options_.prefix.empty() && options_.prefix.back() == '/') options_.prefix.pop_back();
}

Result<AxisCaller> AxisEndpoint::authenticate(const AxisRequest& request) const {
  const std::string client = header(request.headers, axis::kClient);
  const std::string timestamp = header(request.headers, axis::kTimestamp);
  if (client.empty() || timestamp.empty() || header(request.headers, axis::kSignature).empty()) {
    return fail(ErrorCode::Unauthorized, "headers x-axis-client, x-axis-timestamp and "
                                         "x-axis-signature are required");
  }
  long long seconds = 0;
  try {
    std::size_t used = 0;
    seconds = std::stoll(timestamp, &used);
    if (used != timestamp.size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    return fail(ErrorCode::Unauthorized, "x-axis-timestamp '" + timestamp +
                                             "' is not a number of seconds");
  }
  const auto sent = std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  const auto now = clock_();
  if (sent < now - axis::kMaxClockSkew || sent > now + axis::kMaxClockSkew) {
    return fail(ErrorCode::Unauthorized,
                "x-axis-timestamp is more than 300 s away from the server's clock");
  }
  auto credential = backend_.credential(client);
  if (!credential) {
    // Unknown client and wrong signature read the same, so client ids cannot be probed.
    return fail(ErrorCode::Unauthorized, "signature does not match for client '" + client + "'");
  }
  if (!axis::signatureMatches(request.headers, request.method, request.path, request.body,
                              credential->secret)) {
    return fail(ErrorCode::Unauthorized, "signature does not match for client '" + client + "'");
  }
  AxisCaller caller{client, header(request.headers, axis::kFrom),
                    header(request.headers, axis::kDelivery)};
  if (caller.organ_id.empty()) {
    return fail(ErrorCode::InvalidArgument, "header 'from' (the unit's OrganId) is required");
  }
  if (!credential->any_unit &&
      std::find(credential->units.begin(), credential->units.end(), caller.organ_id) ==
          credential->units.end()) {
    return fail(ErrorCode::Forbidden,
                "client '" + client + "' may not act for unit '" + caller.organ_id + "'");
  }
  return caller;
}

AxisResponse AxisEndpoint::handle(const AxisRequest& request) const {
  const std::string& path = request.path;
  if (!path.starts_with(options_.prefix)) {
    return failure(Error{ErrorCode::NotFound, "no axis operation at " + path, 0, {}});
  }
  const std::string op = path.substr(options_.prefix.size());
  const bool known = op == axis::kSendPath || op == axis::kListPath || op == axis::kGetPath ||
                     op == axis::kUpdateStatusPath;
  if (!known) return failure(Error{ErrorCode::NotFound, "no axis operation at " + path, 0, {}});
  const bool wants_post = op == axis::kSendPath || op == axis::kUpdateStatusPath;
  if (request.method != (wants_post ? "POST" : "GET")) {
    return failure(Error{ErrorCode::InvalidArgument,
                    op + " takes " + (wants_post ? "POST" : "GET") + ", not " + request.method, 0, {}});
  }
  if (request.body.size() > options_.max_body) {
    return failure(Error{ErrorCode::TooLarge,
                    "body larger than " + std::to_string(options_.max_body) + " bytes", 0, {}});
  }
  auto caller = authenticate(request);
  if (!caller) return failure(caller.error());

  if (op == axis::kSendPath) {
    if (request.body.empty()) return failure(Error{ErrorCode::InvalidArgument, "sendEdoc: empty body", 0, {}});
    auto id = backend_.send(request.body, *caller);
    if (!id) return failure(id.error());
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("DocId", *id);
    return ok(std::move(object));
  }
  if (op == axis::kListPath) {
    auto items = backend_.listReceived(*caller);
    if (!items) return failure(items.error());
    const std::string only = header(request.headers, axis::kMessageType);
    Poco::JSON::Array::Ptr data = new Poco::JSON::Array;
    for (const auto& item : *items) {
      const std::string type(item.kind == schemas::MessageKind::Status ? axis::kTypeStatus
                                                                       : axis::kTypeEdoc);
      if (!only.empty() && only != type) continue;
      Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      entry->set("DocId", item.id);
      entry->set("from", item.from);
      entry->set("to", item.to);
      entry->set("messagetype", type);
      entry->set("created_time", item.created_time);
      entry->set("sha256", item.content_hash);
      data->add(entry);
    }
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    object.set("data", data);
    return ok(std::move(object));
  }
  const std::string doc_id = header(request.headers, axis::kDocId);
  if (doc_id.empty()) return failure(Error{ErrorCode::InvalidArgument, op + ": header docid is required", 0, {}});
  if (op == axis::kGetPath) {
    auto bytes = backend_.get(doc_id, *caller);
    if (!bytes) return failure(bytes.error());
    return {200, "application/xml", std::move(*bytes), {}};
  }
  const std::string status = header(request.headers, axis::kStatus);
  AxisReceipt receipt;
  if (status == axis::kStatusDone) {
    receipt = AxisReceipt::Done;
  } else if (status == axis::kStatusFail) {
    receipt = AxisReceipt::Fail;
  } else {
    return failure(Error{ErrorCode::InvalidArgument,
                    "updateStatus: header status must be 'done' or 'fail', not '" + status + "'", 0, {}});
  }
  auto updated = backend_.updateStatus(doc_id, receipt, request.body, *caller);
  if (!updated) return failure(updated.error());
  return ok(Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER));
}

}  // namespace lienthong::adapters
