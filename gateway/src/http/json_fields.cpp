#include "lienthong/gateway/http/json_fields.h"

#include <Poco/JSON/Parser.h>

#include <sstream>

namespace lienthong::gateway::json {

std::string stringify(const Poco::JSON::Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::string stringify(const Poco::JSON::Array& a) {
  std::ostringstream out;
  a.stringify(out);
  return out.str();
}

Result<Poco::JSON::Object::Ptr> parseObject(std::string_view text, const std::string& what) {
  try {
    Poco::JSON::Parser p;
    auto v = p.parse(std::string(text));
    auto o = v.extract<Poco::JSON::Object::Ptr>();
    if (!o) return fail(ErrorCode::InvalidArgument, what + " is not a JSON object");
    return o;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::InvalidArgument, what + " is not JSON: " + e.displayText());
  } catch (const std::exception&) {
    return fail(ErrorCode::InvalidArgument, what + " is not a JSON object");
  }
}

Result<std::string> stringOf(const Poco::JSON::Object& o, const std::string& key, const std::string& where) {
  if (!o.has(key)) return fail(ErrorCode::InvalidArgument, where + "." + key + ": missing");
  const auto v = o.get(key);
  if (!v.isString()) return fail(ErrorCode::InvalidArgument, where + "." + key + ": not a string");
  return v.extract<std::string>();
}

Result<std::int64_t> countOf(const Poco::JSON::Object& o, const std::string& key, const std::string& where,
                             bool required) {
  if (!o.has(key)) {
    if (!required) return std::int64_t{0};
    return fail(ErrorCode::InvalidArgument, where + "." + key + ": missing");
  }
  const auto v = o.get(key);
  if (!v.isInteger()) return fail(ErrorCode::InvalidArgument, where + "." + key + ": not an integer");
  std::int64_t n = 0;
  try {
    n = v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return fail(ErrorCode::InvalidArgument, where + "." + key + ": out of range");
  }
  if (n < 0) return fail(ErrorCode::InvalidArgument, where + "." + key + ": " + std::to_string(n) + " is negative");
  return n;
}

}  // namespace lienthong::gateway::json
