// Checks bytes polled from a DMS before they are handed to the gateway: safe parse, kind
// (package or status), schema and model rules; fills the Inbound fields the gateway dedupes and
// logs on. Private to the adapters library; thread-safe (SchemaSet validation is).
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "lienthong/adapters/adapter.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::adapters::detail {

// An Inbound with everything but `ref` and `origin`, or the first refusal (its ErrorCode, line
// and element as the schemas library reports them).
Result<Inbound> inspectInbound(std::string bytes, const schemas::SchemaSet& schemas);

// `{"error": ..., "message": ..., "line": ..., "element": ..., ...extra}` as one JSON object.
std::string errorJson(const Error& error, const std::map<std::string, std::string>& extra);

// "2026-11-20T08:15:00Z"
std::string isoTime(std::chrono::system_clock::time_point t);

}  // namespace lienthong::adapters::detail
