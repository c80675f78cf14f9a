// Reading the JSON bodies of the API's requests with errors that name the member: "rows[3].day:
// missing", "messages[0].origin_id: not an integer". Shared by the rooms that take JSON (the
// node's handover, the evidence's summaries). Pure functions.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway::json {

std::string stringify(const Poco::JSON::Object& o);
std::string stringify(const Poco::JSON::Array& a);
// InvalidArgument "`what` is not JSON: ..." / "is not a JSON object".
Result<Poco::JSON::Object::Ptr> parseObject(std::string_view text, const std::string& what);
// `where`.`key` as a string; InvalidArgument when missing or not a string.
Result<std::string> stringOf(const Poco::JSON::Object& o, const std::string& key, const std::string& where);
// `where`.`key` as a non-negative integer (0 when it is missing and not `required`).
Result<std::int64_t> countOf(const Poco::JSON::Object& o, const std::string& key, const std::string& where,
                             bool required = true);

}  // namespace lienthong::gateway::json
