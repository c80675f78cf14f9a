#include "lienthong/adapters/axis_protocol.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>
#include <ctime>

#include "lienthong/adapters/hmac.h"

namespace lienthong::adapters::axis {
namespace {

constexpr auto kVietnam = std::chrono::hours(7);

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

std::string headerValue(const Headers& headers, std::string_view name) {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string{} : it->second;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

bool retryable(std::string_view error_code) {
  return error_code == code::kServerError || error_code == code::kUnavailable;
}

bool permanent(std::string_view error_code) {
  static const std::set<std::string_view> codes = {
      code::kSignatureHeaders, code::kUnknownSystem, code::kBadHmac,      code::kSourceRefused,
      code::kBadTimestamp,     code::kFromNotServed, code::kFromMismatch, code::kHashFileMissing,
      code::kHashFileMismatch, code::kBadField,      code::kTooLarge,     code::kNotOffered,
      code::kUnknownOperation, code::kNotEdxml,      code::kSignatureRefused, code::kConflict,
      code::kRefused,          code::kNotFound};
  return codes.contains(error_code);
}

std::string formatTimestamp(std::chrono::system_clock::time_point t) {
  const auto local = t + kVietnam;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(local.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02d%02d%04dT%02d%02d%02d+%04d", tm.tm_mday, tm.tm_mon + 1,
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count() % 1000));
  return buf;
}

Result<std::chrono::system_clock::time_point> parseTimestamp(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return fail(ErrorCode::InvalidArgument,
                "timestamp '" + std::string(text) + "' is not ddMMyyyy'T'HHmmss+SSSS: " + why);
  };
  if (text.size() != 20 || text[8] != 'T' || text[15] != '+') return bad("wrong shape");
  if (!digits(text.substr(0, 8)) || !digits(text.substr(9, 6)) || !digits(text.substr(16, 4))) {
    return bad("expected digits");
  }
  const int day = number(text.substr(0, 2)), month = number(text.substr(2, 2)),
            year = number(text.substr(4, 4)), hour = number(text.substr(9, 2)),
            minute = number(text.substr(11, 2)), second = number(text.substr(13, 2)),
            millis = number(text.substr(16, 4));
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return bad("no such day");
  if (hour > 23 || minute > 59 || second > 60 || millis > 999) return bad("no such time");
  const auto at = std::chrono::sys_days(ymd) + std::chrono::hours(hour) +
                  std::chrono::minutes(minute) + std::chrono::seconds(second) +
                  std::chrono::milliseconds(millis) - kVietnam;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(at);
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

// SHA-256 of `file` in lower-case hex: plain (two digits a byte) or the SDK's (no leading zero).
std::pair<std::string, std::string> hashForms(std::string_view file) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(file.data(), file.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string plain, sdk;
  for (unsigned int i = 0; i < len; ++i) {
    plain.push_back(kDigits[digest[i] >> 4]);
    if (digest[i] >> 4) sdk.push_back(kDigits[digest[i] >> 4]);
    plain.push_back(kDigits[digest[i] & 0x0f]);
    sdk.push_back(kDigits[digest[i] & 0x0f]);
  }
  return {plain, sdk};
}

}  // namespace

std::string sdkHashFile(std::string_view file) { return hashForms(file).second; }

bool hashFileMatches(std::string_view claimed, std::string_view file) {
  const std::string c = lower(claimed);
  if (c.empty()) return false;
  const auto [plain, sdk] = hashForms(file);
  return constantTimeEqual(c, plain) || constantTimeEqual(c, sdk);
}

std::vector<std::pair<std::string, std::string>> signedHeaders(const Fields& fields,
                                                               std::string_view secret) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string keys;
  std::string json = "{";
  for (const auto& [name, value] : fields) {
    const std::string header = std::string(kPrefix) + name;
    out.emplace_back(header, value);
    keys += (keys.empty() ? "" : ";") + name;
    json += (json.size() > 1 ? "," : "") + jsonString(header) + ":" + jsonString(value);
  }
  json += "}";
  out.emplace_back(std::string(kSignHeaderKey), keys);
  out.emplace_back(std::string(kSignHeader), json);
  out.emplace_back(std::string(kHashHeader), hmacSha256Hex(secret, json));
  out.emplace_back(std::string(kVersionHeader), std::string(kVersion));
  return out;
}

std::optional<std::string> SignedFields::get(std::string_view key) const {
  for (const auto& [name, value] : fields) {
    if (name == key) return value;
  }
  const std::string wanted = lower(key);
  for (const auto& [name, value] : fields) {
    if (lower(name) == wanted) return value;
  }
  return std::nullopt;
}

std::vector<std::string> SignedFields::all(std::string_view key) const {
  std::vector<std::string> out;
  const std::string wanted = lower(key);
  for (const auto& [name, value] : fields) {
    if (lower(name) == wanted) out.push_back(value);
  }
  return out;
}

Result<SignedFields> readSignedFields(const Headers& headers) {
  SignedFields out;
  out.sign_header = headerValue(headers, kSignHeader);
  if (out.sign_header.empty()) {
    return fail(ErrorCode::InvalidArgument,
                "header XroadVnpt-sign-header is missing (every call is signed)");
  }
  if (headerValue(headers, kHashHeader).empty()) {
    return fail(ErrorCode::InvalidArgument, "header XroadVnpt-hash-header is missing");
  }
  Poco::JSON::Object::Ptr object;
  try {
    Poco::JSON::Parser parser;
    object = parser.parse(out.sign_header).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception&) {
    object = nullptr;
  }
  if (!object) {
    return fail(ErrorCode::InvalidArgument, "header XroadVnpt-sign-header is not a JSON object");
  }
  for (const auto& [key, value] : *object) {
    if (!startsWithNoCase(key, kPrefix)) {
      return fail(ErrorCode::InvalidArgument, "XroadVnpt-sign-header: key '" + key +
                                                  "' does not start with XroadVnpt-");
    }
    if (value.isEmpty() || value.isArray() || value.isStruct() ||
        value.type() == typeid(Poco::JSON::Object::Ptr)) {
      return fail(ErrorCode::InvalidArgument,
                  "XroadVnpt-sign-header: the value of '" + key + "' is not a string");
    }
    out.fields.emplace_back(key.substr(kPrefix.size()), value.convert<std::string>());
  }
  std::set<std::string> signed_names;
  for (const auto& [name, value] : out.fields) signed_names.insert(lower(name));

  const std::string key_list = headerValue(headers, kSignHeaderKey);
  if (!key_list.empty()) {
    std::set<std::string> listed;
    std::size_t start = 0;
    while (start <= key_list.size()) {
      const auto end = std::min(key_list.find(';', start), key_list.size());
      if (end > start) listed.insert(lower(key_list.substr(start, end - start)));
      start = end + 1;
    }
    if (listed != signed_names) {
      return fail(ErrorCode::InvalidArgument,
                  "XroadVnpt-sign-header-key '" + key_list +
                      "' does not name the keys of XroadVnpt-sign-header");
    }
  }
  const std::string prefix = lower(kPrefix);
  const std::set<std::string> own = {lower(kSignHeader), lower(kSignHeaderKey), lower(kHashHeader),
                                     lower(kVersionHeader)};
  for (const auto& [name, value] : headers) {
    if (!name.starts_with(prefix) || own.contains(name)) continue;
    const std::string key = name.substr(prefix.size());
    if (!signed_names.contains(key)) continue;  // not signed: never read
    // HTTP drops the spaces around a header value; the signed JSON keeps them.
    const auto values = out.all(key);
    if (std::none_of(values.begin(), values.end(),
                     [&](const std::string& v) { return trimmed(v) == trimmed(value); })) {
      return fail(ErrorCode::InvalidArgument, "header XroadVnpt-" + key + " '" + value +
                                                  "' differs from its signed value");
    }
  }
  return out;
}

bool hmacMatches(const Headers& headers, std::string_view secret) {
  return constantTimeEqual(hmacSha256Hex(secret, headerValue(headers, kSignHeader)),
                           lower(headerValue(headers, kHashHeader)));
}

}  // namespace lienthong::adapters::axis
