// The one place where an ErrorCode becomes an HTTP status, and the JSON error body every route
// answers with: {"error": code, "message": text, "line": n, "element": name, ...}. Pure
// functions; thread-safe.
#pragma once

#include <string>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

// The HTTP status for an error: 413 too large, 400 unreadable input, 422 refused content
// (schema, secrecy, signature), 401/403/404/409, 405 a method the path does not answer, 408 a
// request not sent in time, 431 headers over the limit, 502 peer trouble, 503 storage or a part
// not ready (retry later), 500 the rest.
int httpStatus(ErrorCode code);

// The JSON error body. `extra_json`, when given, is a JSON object whose members are added (for
// instance {"report": {...}} with a signature validation report).
std::string errorJson(const Error& error, const std::string& extra_json = {});

}  // namespace lienthong::gateway

namespace lienthong::gateway {

// An Error without a position in the input, for the HTTP layer's own refusals.
inline Error httpError(ErrorCode code, std::string message) {
  return Error{code, std::move(message), 0, {}};
}

}  // namespace lienthong::gateway
