// The error value every Lienthong library returns instead of throwing. An Error names what went
// wrong (ErrorCode), says it in words a person can act on, and, for XML input, where (line and
// element). The HTTP layer maps ErrorCode to a status in exactly one function (gateway). Value
// type, thread-safe to copy.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace lienthong {

enum class ErrorCode {
  // Input size and safe parsing (schemas).
  TooLarge,          // input bigger than the configured limit
  DoctypeRefused,    // any <!DOCTYPE ...>
  EntityRefused,     // entity reference or declaration
  TooDeep,           // element nesting deeper than the limit
  TooManyNodes,      // more nodes than the limit
  TextTooLarge,      // one text node bigger than the limit
  InvalidUtf8,       // bytes that are not UTF-8
  EncodingRefused,   // an encoding other than UTF-8 declared
  MalformedXml,      // not well-formed XML
  WrongNamespace,    // root or element in a namespace the format does not use
  SchemaViolation,   // well-formed but refused by the XSD or by a structural rule
  MissingElement,    // a required element is absent
  BadOrganId,        // an organization code that is not one of the two forms
  BadDate,           // a date or time that is not in the format the standard uses
  DuplicateContentId,
  MissingAttachment,  // manifest entry without its attachment
  OrphanAttachment,   // attachment no manifest entry names
  BadBase64,
  BadZip,
  BadCsv,
  UnknownUnit,        // a code the directory does not know
  DirectoryInvalid,   // a directory file that contradicts itself
  SecrecyRefused,     // a package marked Mật / Tối mật / Tuyệt mật
  // Signing and certificates.
  SignatureInvalid,
  CertificateInvalid,
  KeyUnavailable,
  CryptoFailure,
  // Gateway and adapters.
  Unauthorized,
  Forbidden,
  NotFound,
  UnknownDocument,  // a status for a document this node never carried
  Conflict,
  Storage,
  Network,
  Unavailable,  // a part of the node that is not installed or not ready (try later)
  Config,
  Io,
  InvalidArgument,
  MethodNotAllowed,  // a path that exists, asked with a method it does not answer
  RequestTimeout,    // the client did not send its whole request in time
  HeadersTooLarge,   // request headers over the limit
  Internal,
};

// Stable identifier for an ErrorCode, as used in JSON errors ("doctype_refused").
std::string_view errorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;   // what is wrong, in words a person can act on
  int line = 0;          // 1-based line in the input, 0 when not known
  std::string element;   // local name of the element concerned, empty when not known

  // "schema: element 'To' missing in MessageHeader (line 14)" style text for logs and CLIs.
  std::string describe() const;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message, int line = 0,
                                   std::string element = {}) {
  return std::unexpected(Error{code, std::move(message), line, std::move(element)});
}

}  // namespace lienthong
