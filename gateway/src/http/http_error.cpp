#include "lienthong/gateway/http/http_error.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace lienthong::gateway {

int httpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::TooLarge:
      return 413;
    case ErrorCode::DoctypeRefused:
    case ErrorCode::EntityRefused:
    case ErrorCode::TooDeep:
    case ErrorCode::TooManyNodes:
    case ErrorCode::TextTooLarge:
    case ErrorCode::InvalidUtf8:
    case ErrorCode::EncodingRefused:
    case ErrorCode::MalformedXml:
    case ErrorCode::BadCsv:
    case ErrorCode::InvalidArgument:
      return 400;
    case ErrorCode::WrongNamespace:
    case ErrorCode::SchemaViolation:
    case ErrorCode::MissingElement:
    case ErrorCode::BadOrganId:
    case ErrorCode::BadDate:
    case ErrorCode::DuplicateContentId:
    case ErrorCode::MissingAttachment:
    case ErrorCode::OrphanAttachment:
    case ErrorCode::BadBase64:
    case ErrorCode::BadZip:
    case ErrorCode::UnknownUnit:
    case ErrorCode::DirectoryInvalid:
    case ErrorCode::SecrecyRefused:
    case ErrorCode::SignatureInvalid:
    case ErrorCode::CertificateInvalid:
    case ErrorCode::UnknownDocument:
      return 422;
    case ErrorCode::Unauthorized:
      return 401;
    case ErrorCode::Forbidden:
      return 403;
    case ErrorCode::NotFound:
      return 404;
    case ErrorCode::MethodNotAllowed:
      return 405;
    case ErrorCode::RequestTimeout:
      return 408;
    case ErrorCode::Conflict:
      return 409;
    case ErrorCode::HeadersTooLarge:
      return 431;
    case ErrorCode::Network:
      return 502;
    case ErrorCode::Storage:
    case ErrorCode::Unavailable:
      return 503;
    case ErrorCode::KeyUnavailable:
    case ErrorCode::CryptoFailure:
    case ErrorCode::Config:
    case ErrorCode::Io:
    case ErrorCode::Internal:
      return 500;
  }
  return 500;
}

std::string errorJson(const Error& error, const std::string& extra_json) {
  Poco::JSON::Object obj;
  obj.set("error", std::string(errorCodeName(error.code)));
  obj.set("message", error.message);
  if (error.line > 0) obj.set("line", error.line);
  if (!error.element.empty()) obj.set("element", error.element);
  if (!extra_json.empty()) {
    try {
      Poco::JSON::Parser parser;
      auto extra = parser.parse(extra_json).extract<Poco::JSON::Object::Ptr>();
      for (const auto& [k, v] : *extra) obj.set(k, v);
    } catch (const Poco::Exception&) {
      obj.set("detail", extra_json);
    }
  }
  std::ostringstream out;
  obj.stringify(out);
  return out.str();
}

}  // namespace lienthong::gateway
