#include "lienthong/adapters/axis_endpoint.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/IPAddress.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <sstream>

#include "lienthong/adapters/hmac.h"

namespace lienthong::adapters {
namespace {

constexpr int kJsonOptions = Poco::JSON_PRESERVE_KEY_ORDER | Poco::JSON_ESCAPE_UNICODE;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string stringify(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

// A refusal: the VXP code, the words, the HTTP status (200 but for an unknown path or a body
// too large to read).
AxisResponse failure(std::string_view vxp_code, const std::string& desc, int http = 200) {
  Poco::JSON::Object object(kJsonOptions);
  object.set("status", "FAIL");
  object.set("ErrorCode", std::string(vxp_code));
  object.set("ErrorDesc", desc);
  return {http, "application/json", stringify(object), {}};
}

AxisResponse failure(const Error& error) {
  return failure(vxpErrorCode(error.code), error.describe());
}

Poco::JSON::Object answer() {
  Poco::JSON::Object object(kJsonOptions);
  object.set("status", "OK");
  object.set("ErrorCode", std::string(axis::code::kOk));
  object.set("ErrorDesc", "");
  return object;
}

AxisResponse ok(const Poco::JSON::Object& object) {
  return {200, "application/json", stringify(object), {}};
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(n, 0)));
  return out;
}

std::string_view typeName(schemas::MessageKind kind) {
  return kind == schemas::MessageKind::Status ? axis::kTypeStatus : axis::kTypeEdoc;
}

// messagetype: "edoc", "status" (any case) or absent.
Result<std::optional<schemas::MessageKind>> messageKind(const axis::SignedFields& f) {
  const auto v = f.get(axis::kMessageType);
  if (!v || v->empty()) return std::optional<schemas::MessageKind>{};
  const std::string t = lower(*v);
  if (t == axis::kTypeEdoc) return std::optional{schemas::MessageKind::Document};
  if (t == axis::kTypeStatus) return std::optional{schemas::MessageKind::Status};
  return fail(ErrorCode::InvalidArgument,
              "messagetype must be 'edoc' or 'status', not '" + *v + "'");
}

// The file in a sendEdoc body: the body itself, the body without the CRLF the SDK writes after
// the file, or the first part of a multipart/form-data body; the one hash-file names.
std::optional<std::string_view> fileInBody(std::string_view body, std::string_view content_type,
                                           std::string_view hash_file) {
  std::vector<std::string_view> candidates{body};
  if (body.ends_with("\r\n")) candidates.push_back(body.substr(0, body.size() - 2));
  if (body.ends_with("\n")) candidates.push_back(body.substr(0, body.size() - 1));
  const std::string type = lower(std::string(content_type));
  const auto b = type.find("boundary=");
  if (type.starts_with("multipart/") && b != std::string::npos) {
    std::string boundary(content_type.substr(b + 9));
    if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
    if (boundary.size() > 1 && boundary.front() == '"' && boundary.back() == '"') {
      boundary = boundary.substr(1, boundary.size() - 2);
    }
    const std::string delimiter = "--" + boundary;
    const auto first = body.find(delimiter);
    const auto head_end = first == std::string_view::npos ? first : body.find("\r\n\r\n", first);
    if (head_end != std::string_view::npos) {
      const auto start = head_end + 4;
      const auto next = body.find("\r\n" + delimiter, start);
      if (next != std::string_view::npos) candidates.push_back(body.substr(start, next - start));
    }
  }
  for (const auto c : candidates) {
    if (axis::hashFileMatches(hash_file, c)) return c;
  }
  return std::nullopt;
}

bool isOperation(std::string_view op) {
  static const std::set<std::string_view> known = {
      axis::kSendPath,       axis::kListPath,           axis::kSentListPath,
      axis::kGetPath,        axis::kDownloadPath,       axis::kUpdateStatusPath,
      axis::kCountEdocPath,  axis::kCountStatusPath,    axis::kAgenciesPath,
      axis::kAgenciesQd20Path, axis::kSynchronizeUnitPath, axis::kRegisterAgencyPath,
      axis::kDeleteAgencyPath};
  return known.contains(op);
}

}  // namespace

std::string_view vxpErrorCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::TooLarge: return axis::code::kTooLarge;
    case ErrorCode::DoctypeRefused:
    case ErrorCode::EntityRefused:
    case ErrorCode::TooDeep:
    case ErrorCode::TooManyNodes:
    case ErrorCode::TextTooLarge:
    case ErrorCode::InvalidUtf8:
    case ErrorCode::EncodingRefused:
    case ErrorCode::MalformedXml:
    case ErrorCode::WrongNamespace:
    case ErrorCode::SchemaViolation:
    case ErrorCode::MissingElement:
    case ErrorCode::BadOrganId:
    case ErrorCode::BadDate:
    case ErrorCode::DuplicateContentId:
    case ErrorCode::MissingAttachment:
    case ErrorCode::OrphanAttachment:
    case ErrorCode::BadBase64:
    case ErrorCode::BadZip: return axis::code::kNotEdxml;
    case ErrorCode::SignatureInvalid:
    case ErrorCode::CertificateInvalid: return axis::code::kSignatureRefused;
    case ErrorCode::Conflict: return axis::code::kConflict;
    case ErrorCode::Forbidden: return axis::code::kFromMismatch;
    case ErrorCode::NotFound: return axis::code::kNotFound;
    case ErrorCode::InvalidArgument: return axis::code::kBadField;
    case ErrorCode::MethodNotAllowed: return axis::code::kUnknownOperation;
    case ErrorCode::HeadersTooLarge: return axis::code::kTooLarge;
    case ErrorCode::Unauthorized: return axis::code::kBadHmac;
    case ErrorCode::Io:
    case ErrorCode::Config:  // the node's own setting, not the sender's fault: HTTP 500 too
    case ErrorCode::Internal:
    case ErrorCode::KeyUnavailable:
    case ErrorCode::CryptoFailure:
    case ErrorCode::Network: return axis::code::kServerError;
    // As HTTP's 503 (http_error.cpp): the store cannot write now, the sender retries later.
    case ErrorCode::Storage:
    case ErrorCode::Unavailable: return axis::code::kUnavailable;
    default: return axis::code::kRefused;  // unknown unit, secrecy marks, ...
  }
}

bool isLoopbackAddress(std::string_view ip) {
  try {
    Poco::Net::IPAddress a{std::string(ip)};
    if (a.isLoopback()) return true;
    return a.family() == Poco::Net::IPAddress::IPv6 && a.isIPv4Mapped() &&
           std::string(ip).find("127.") != std::string::npos;
  } catch (const std::exception&) {
    return false;
  }
}

bool addressAllowed(std::string_view ip, const std::vector<std::string>& allowed) {
  Poco::Net::IPAddress peer;
  try {
    std::string text(ip);
    if (text.starts_with("::ffff:") && text.find('.') != std::string::npos) text = text.substr(7);
    peer = Poco::Net::IPAddress(text);
  } catch (const std::exception&) {
    return false;
  }
  for (const auto& entry : allowed) {
    try {
      const auto slash = entry.find('/');
      const Poco::Net::IPAddress base(entry.substr(0, slash));
      if (base.family() != peer.family()) continue;
      if (slash == std::string::npos) {
        if (base == peer) return true;
        continue;
      }
      unsigned bits = 0;
      const auto tail = std::string_view(entry).substr(slash + 1);
      auto [p, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), bits);
      if (ec != std::errc() || p != tail.data() + tail.size() || bits > base.length() * 8) continue;
      const Poco::Net::IPAddress mask(bits, base.family());
      if ((peer & mask) == (base & mask)) return true;
    } catch (const std::exception&) {
      continue;
    }
  }
  return false;
}

AxisEndpoint::AxisEndpoint(AxisBackend& backend, AxisEndpointOptions options, Clock clock)
    : options_(std::move(options)), backend_(backend), clock_(std::move(clock)) {
  while (!options_.prefix.empty() && options_.prefix.back() == '/') options_.prefix.pop_back();
}

AxisResponse AxisEndpoint::handle(const AxisRequest& request) const {
  std::string system;
  AxisResponse out = respond(request, system);
  if (options_.on_refusal && out.content_type == "application/json" &&
      out.body.find(R"("status":"FAIL")") != std::string::npos) {
    std::string code = "?", desc;
    const auto c = out.body.find(R"("ErrorCode":")");
    if (c != std::string::npos) code = out.body.substr(c + 13, out.body.find('"', c + 13) - c - 13);
    const auto d = out.body.find(R"("ErrorDesc":)");
    if (d != std::string::npos) desc = out.body.substr(d + 12, out.body.size() - d - 13);
    options_.on_refusal(request.path, system, code, desc);
  }
  return out;
}

AxisResponse AxisEndpoint::respond(const AxisRequest& request, std::string& system_seen) const {
  const std::string& path = request.path;
  std::string op = path.starts_with(options_.prefix) ? path.substr(options_.prefix.size()) : "";
  while (op.starts_with("//")) op.erase(0, 1);  // an endpoint configured with a trailing '/'

  if (!isOperation(op)) {
    return failure(axis::code::kUnknownOperation, "no axis operation at " + path, 404);
  }
  if (request.body.size() > options_.max_body) {
    return failure(axis::code::kTooLarge,
                   "body larger than " + std::to_string(options_.max_body) + " bytes", 413);
  }
  if (!request.secure && !isLoopbackAddress(request.peer)) {
    return failure(axis::code::kSourceRefused,
                   "plain HTTP is answered only from this machine (loopback); use https");
  }

  // --- authentication: the signed JSON-header, as received ---
  auto fields = axis::readSignedFields(request.headers);
  if (!fields) return failure(axis::code::kSignatureHeaders, fields.error().message);
  const auto system_id = fields->get(axis::kSystemId);
  if (!system_id || system_id->empty()) {
    return failure(axis::code::kSignatureHeaders, "XroadVnpt-systemid is not signed");
  }
  system_seen = *system_id;
  auto system = backend_.system(*system_id);
  if (!system) {
    return failure(axis::code::kUnknownSystem,
                   "system '" + *system_id + "' is not a client of this node (axis.clients)");
  }
  if (!axis::hmacMatches(request.headers, system->secret)) {
    return failure(axis::code::kBadHmac, "XroadVnpt-hash-header does not match the signed "
                                         "headers for system '" + *system_id + "'");
  }
  if (!system->sources.empty() && !addressAllowed(request.peer, system->sources)) {
    return failure(axis::code::kSourceRefused, "system '" + *system_id +
                                                   "' may not call from address " + request.peer);
  }
  const auto timestamp = fields->get(axis::kTimestamp);
  if (!timestamp) return failure(axis::code::kBadTimestamp, "XroadVnpt-timestamp is not signed");
  auto at = axis::parseTimestamp(*timestamp);
  if (!at) return failure(axis::code::kBadTimestamp, at.error().message);
  if (*at > clock_() + std::chrono::hours(24)) {
    return failure(axis::code::kBadTimestamp,
                   "timestamp '" + *timestamp + "' is more than a day ahead of this node's clock");
  }
  const AxisCaller caller{system->id, system->units};

  // --- the operations ---
  if (op == axis::kRegisterAgencyPath || op == axis::kDeleteAgencyPath) {
    return failure(axis::code::kNotOffered,
                   op.substr(1) + " is not offered: units come from the province's directory "
                   "(directory.xml) that the node's operator keeps; ask them to add or close the "
                   "unit. / Không hỗ trợ: danh mục đơn vị do quản trị hệ thống cập nhật.");
  }
  if (op == axis::kSendPath) {
    const auto from = fields->get(axis::kFrom);
    if (!from || from->empty()) return failure(axis::code::kBadField, "sendEdoc: from is required");
    if (!backend_.serves(caller.units, *from)) {
      return failure(axis::code::kFromNotServed,
                     "system '" + caller.system_id + "' does not serve unit '" + *from + "'");
    }
    auto kind = messageKind(*fields);
    if (!kind) return failure(axis::code::kBadField, "sendEdoc: " + kind.error().message);
    const auto hash_file = fields->get(axis::kHashFile);
    if (!hash_file || hash_file->empty()) {
      return failure(axis::code::kHashFileMissing, "sendEdoc: hash-file (the SHA-256 of the "
                                                   "file) is required");
    }
    if (request.body.empty()) return failure(axis::code::kBadField, "sendEdoc: the body is empty");
    const auto content_type = request.headers.find("content-type");
    const auto file = fileInBody(request.body,
                                 content_type == request.headers.end() ? "" : content_type->second,
                                 *hash_file);
    if (!file) {
      return failure(axis::code::kHashFileMismatch,
                     "sendEdoc: hash-file '" + *hash_file + "' is not the SHA-256 of the body (" +
                         sha256Hex(request.body) + ", " + std::to_string(request.body.size()) +
                         " bytes)");
    }
    auto id = backend_.send(*file, *from, *kind, caller);
    if (!id) return failure(id.error());
    auto object = answer();
    object.set("DocId", *id);
    return ok(object);
  }
  if (op == axis::kListPath || op == axis::kCountEdocPath || op == axis::kCountStatusPath) {
    std::optional<schemas::MessageKind> kind;
    if (op == axis::kCountEdocPath) kind = schemas::MessageKind::Document;
    if (op == axis::kCountStatusPath) kind = schemas::MessageKind::Status;
    if (op == axis::kListPath) {
      auto k = messageKind(*fields);
      if (!k) return failure(axis::code::kBadField, "getReceivedEdocList: " + k.error().message);
      kind = *k;
    }
    auto items = backend_.listReceived(caller, kind);
    if (!items) return failure(items.error());
    auto object = answer();
    if (op != axis::kListPath) {
      object.set("count", static_cast<int>(items->size()));
      return ok(object);
    }
    Poco::JSON::Array::Ptr data = new Poco::JSON::Array;
    for (const auto& item : *items) {
      Poco::JSON::Object::Ptr e = new Poco::JSON::Object(kJsonOptions);
      e->set("docId", item.id);
      e->set("serviceType", std::string(axis::kServiceEdoc));
      e->set("messageType", std::string(typeName(item.kind)));
      e->set("created_time", item.created_time);
      e->set("updated_time", item.updated_time);
      e->set("from", item.from);
      e->set("to", item.to);
      e->set("status", item.status);
      e->set("status_desc", item.status_desc);
      data->add(e);
    }
    object.set("data", data);
    return ok(object);
  }
  if (op == axis::kAgenciesPath || op == axis::kAgenciesQd20Path || op == axis::kSynchronizeUnitPath) {
    auto list = backend_.agencies();
    if (!list) return failure(list.error());
    int level = 0;
    if (const auto l = fields->get(axis::kLevel); l && !l->empty() && op == axis::kAgenciesQd20Path) {
      auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), level);
      if (ec != std::errc() || p != l->data() + l->size()) {
        return failure(axis::code::kBadField, "level must be a number, not '" + *l + "'");
      }
    }
    Poco::JSON::Array::Ptr data = new Poco::JSON::Array;
    for (const auto& a : *list) {
      if (level != 0 && a.level != level) continue;
      Poco::JSON::Object::Ptr e = new Poco::JSON::Object(kJsonOptions);
      e->set("id", a.id);
      e->set("pid", a.pid);
      if (op == axis::kAgenciesQd20Path) {
        e->set("code", a.code);
        e->set("code102", a.code102);
      } else {
        e->set("code", a.code102.empty() ? a.code : a.code102);
        e->set("oldCode", a.old_code);
      }
      e->set("name", a.name);
      e->set("mail", a.mail);
      if (op == axis::kSynchronizeUnitPath) {
        e->set("version", 1);
        e->set("centerCode", a.center_code);
        e->set("deleted", false);
        e->set("isAgency", true);
      }
      data->add(e);
    }
    auto object = answer();
    object.set("data", data);
    return ok(object);
  }

  // --- the calls about one docId ---
  const auto ids = fields->all(axis::kDocId);
  std::string doc_id;
  if (op == axis::kUpdateStatusPath) {
    const std::set<std::string> distinct(ids.begin(), ids.end());
    if (distinct.size() > 1) {
      return failure(axis::code::kBadField,
                     "updateStatus: docId and docid name different documents ('" +
                         *distinct.begin() + "', '" + *distinct.rbegin() + "'); send one");
    }
    if (!distinct.empty()) doc_id = *distinct.begin();
  } else if (const auto v = fields->get(axis::kDocId)) {
    doc_id = *v;
  }
  if (doc_id.empty()) return failure(axis::code::kBadField, op.substr(1) + ": docId is required");

  if (op == axis::kGetPath || op == axis::kDownloadPath) {
    auto bytes = backend_.get(doc_id, caller);
    if (!bytes) return failure(bytes.error());
    if (op == axis::kDownloadPath) return {200, "application/octet-stream", std::move(*bytes), {}};
    auto object = answer();
    object.set("data", base64(*bytes));
    return ok(object);
  }
  if (op == axis::kSentListPath) {
    auto rows = backend_.listSent(doc_id, caller);
    if (!rows) return failure(rows.error());
    Poco::JSON::Array::Ptr data = new Poco::JSON::Array;
    for (const auto& r : *rows) {
      Poco::JSON::Object::Ptr e = new Poco::JSON::Object(kJsonOptions);
      e->set("serviceType", std::string(axis::kServiceEdoc));
      e->set("messageType", std::string(typeName(r.kind)));
      e->set("senderDocId", r.sender_doc_id);
      e->set("receiverDocId", r.receiver_doc_id);
      e->set("fromCode", r.from_code);
      e->set("toCode", r.to_code);
      e->set("title", r.title);
      e->set("notation", r.notation);
      e->set("sentTime", r.sent_time);
      e->set("receivedTime", r.received_time);
      e->set("sendStatus", r.send_status);
      e->set("sendStatusDesc", r.send_status_desc);
      e->set("receiveStatus", r.receive_status);
      e->set("receiveStatusDesc", r.receive_status_desc);
      data->add(e);
    }
    auto object = answer();
    object.set("data", data);
    return ok(object);
  }
  // updateStatus: the transport receipt for an item taken.
  const std::string status = lower(fields->get(axis::kStatus).value_or(""));
  AxisReceipt receipt;
  if (status == axis::kStatusDone) {
    receipt = AxisReceipt::Done;
  } else if (status == axis::kStatusFail) {
    receipt = AxisReceipt::Fail;
  } else if (status == axis::kStatusProcessing) {
    receipt = AxisReceipt::Processing;
  } else {
    return failure(axis::code::kBadField, "updateStatus: status must be done, fail or "
                                          "processing, not '" + status + "'");
  }
  auto updated = backend_.updateStatus(doc_id, receipt,
                                       fields->get(axis::kDescription).value_or(""), caller);
  if (!updated) return failure(updated.error());
  return ok(answer());
}

}  // namespace lienthong::adapters
