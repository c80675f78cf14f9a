#include "inbound_check.h"

#include <Poco/JSON/Object.h>

#include <ctime>
#include <sstream>

#include "lienthong/adapters/hmac.h"
#include "lienthong/schemas/xml.h"

namespace lienthong::adapters::detail {

Result<Inbound> inspectInbound(std::string bytes, const schemas::SchemaSet& schemas) {
  auto doc = schemas::XmlDocument::parse(bytes);
  if (!doc) return std::unexpected(doc.error());
  auto kind = schemas::detectKind(*doc);
  if (!kind) return std::unexpected(kind.error());
  Inbound item;
  item.kind = *kind;
  if (*kind == schemas::MessageKind::Document) {
    auto package = schemas::Package::parse(bytes, &schemas);
    if (!package) return std::unexpected(package.error());
    item.document_id = package->documentId();
    item.sender = package->header.from.organ_id;
  } else {
    auto status = schemas::StatusMessage::parse(bytes, &schemas);
    if (!status) return std::unexpected(status.error());
    item.document_id = status->response_for.document_id;
    item.sender = status->from.organ_id;
  }
  item.content_hash = sha256Hex(bytes);
  item.bytes = std::move(bytes);
  return item;
}

std::string errorJson(const Error& error, const std::map<std::string, std::string>& extra) {
  Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
  object.set("error", std::string(errorCodeName(error.code)));
  object.set("message", error.message);
  if (error.line > 0) object.set("line", error.line);
  if (!error.element.empty()) object.set("element", error.element);
  for (const auto& [name, value] : extra) object.set(name, value);
  std::ostringstream out;
  object.stringify(out, 2);
  out << '\n';
  return out.str();
}

std::string isoTime(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace lienthong::adapters::detail
