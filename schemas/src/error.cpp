#include "lienthong/schemas/error.h"

namespace lienthong {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::TooLarge: return "too_large";
    case ErrorCode::DoctypeRefused: return "doctype_refused";
    case ErrorCode::EntityRefused: return "entity_refused";
    case ErrorCode::TooDeep: return "too_deep";
    case ErrorCode::TooManyNodes: return "too_many_nodes";
    case ErrorCode::TextTooLarge: return "text_too_large";
    case ErrorCode::InvalidUtf8: return "invalid_utf8";
    case ErrorCode::EncodingRefused: return "encoding_refused";
    case ErrorCode::MalformedXml: return "malformed_xml";
    case ErrorCode::WrongNamespace: return "wrong_namespace";
    case ErrorCode::SchemaViolation: return "schema_violation";
    case ErrorCode::MissingElement: return "missing_element";
    case ErrorCode::BadOrganId: return "bad_organ_id";
    case ErrorCode::BadDate: return "bad_date";
    case ErrorCode::DuplicateContentId: return "duplicate_content_id";
    case ErrorCode::MissingAttachment: return "missing_attachment";
    case ErrorCode::OrphanAttachment: return "orphan_attachment";
    case ErrorCode::BadBase64: return "bad_base64";
    case ErrorCode::BadZip: return "bad_zip";
    case ErrorCode::BadCsv: return "bad_csv";
    case ErrorCode::UnknownUnit: return "unknown_unit";
    case ErrorCode::DirectoryInvalid: return "directory_invalid";
    case ErrorCode::SecrecyRefused: return "secrecy_refused";
    case ErrorCode::SignatureInvalid: return "signature_invalid";
    case ErrorCode::CertificateInvalid: return "certificate_invalid";
    case ErrorCode::KeyUnavailable: return "key_unavailable";
    case ErrorCode::CryptoFailure: return "crypto_failure";
    case ErrorCode::Unauthorized: return "unauthorized";
    case ErrorCode::Forbidden: return "forbidden";
    case ErrorCode::NotFound: return "not_found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::Storage: return "storage";
    case ErrorCode::Network: return "network";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Config: return "config";
    case ErrorCode::Io: return "io";
    case ErrorCode::UnknownDocument: return "unknown_document";
    case ErrorCode::InvalidArgument: return "invalid_argument";
    case ErrorCode::MethodNotAllowed: return "method_not_allowed";
    case ErrorCode::RequestTimeout: return "request_timeout";
    case ErrorCode::HeadersTooLarge: return "headers_too_large";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  std::string out(errorCodeName(code));
  out += ": ";
  out += message;
  if (!element.empty() && message.find('\'' + element + '\'') == std::string::npos) {
    out += " (element '" + element + "')";
  }
  if (line > 0) out += " (line " + std::to_string(line) + ")";
  return out;
}

}  // namespace lienthong
