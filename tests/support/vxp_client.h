// A VXP test client written from the protocol as the vendor's Java SDK (SDKVXP, KnobstickServiceImp
// and VnptService) speaks it, independent of the adapters library: it keeps one header map for
// its lifetime (the SDK's `headers` HashMap: keys from earlier calls stay, the timestamp is taken
// once at construction), signs that map as the SDK does (every key as XroadVnpt-<key>, the
// sign-header JSON in the map's iteration order, here shuffled per call as a HashMap would,
// HMAC-SHA256 over that JSON), writes hash-file in the SDK's hex (bytes without their leading
// zero) and sends the file followed by CRLF, as MultipartUtility does. Over HTTP or HTTPS
// (verifying the server against `ca_file`, without a client certificate).
#pragma once

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace vxp_test {

inline std::string hexOf(const unsigned char* p, unsigned n, bool drop_leading_zero) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    if (!drop_leading_zero || (p[i] >> 4) != 0) out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

// Integer.toHexString(0xFF & b) for each byte of SHA-256(data), as createContentHA256 does.
inline std::string sdkHashFile(const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_sha256(), nullptr);
  return hexOf(d, n, true);
}

inline std::string hmacHex(const std::string& key, const std::string& data) {
  unsigned char m[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), m, &n);
  return hexOf(m, n, false);
}

// JsonObject.toString(): quotes, backslashes and control characters escaped; the rest as is.
inline std::string gsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// new SimpleDateFormat("ddMMyyyy'T'HHmmss+SSSS").format(now), in Vietnam's local time.
inline std::string sdkTimestamp(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      (t + std::chrono::hours(7)).time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%02d%02d%04dT%02d%02d%02d+%04d", tm.tm_mday, tm.tm_mon + 1,
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms.count() % 1000));
  return buf;
}

struct Reply {
  int http = 0;
  std::string body;
  Poco::JSON::Object::Ptr json;  // null when the body is not a JSON object
  std::string sign_header;       // what was signed

  std::string field(const std::string& name) const {
    return json && json->has(name) ? json->get(name).convert<std::string>() : std::string("<none>");
  }
  std::string status() const { return field("status"); }
  std::string code() const { return field("ErrorCode"); }
  std::string desc() const { return field("ErrorDesc"); }
  bool ok() const { return status() == "OK" && code() == "0"; }
  Poco::JSON::Array::Ptr data() const { return json && json->has("data") ? json->getArray("data") : nullptr; }
  // getEdoc: base64-decoded `data`, as the SDK writes it to <filePath>/yyyy/M/<docId>.edxml.
  std::string file() const {
    std::istringstream in(json->getValue<std::string>("data"));
    Poco::Base64Decoder decoder(in);
    std::ostringstream out;
    out << decoder.rdbuf();
    return out.str();
  }
};

class SdkClient {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  SdkClient(std::string endpoint, std::string systemid, std::string secret, std::string ca_file = "",
            unsigned seed = 1)
      : endpoint_(std::move(endpoint)), secret_(std::move(secret)), ca_file_(std::move(ca_file)),
        rng_(seed) {
    put("timestamp", sdkTimestamp(std::chrono::system_clock::now()));
    put("systemid", std::move(systemid));
  }

  // The SDK's headers.put: a key keeps its place, its value is replaced.
  void put(const std::string& key, std::string value) {
    for (auto& [k, v] : headers_) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
    headers_.emplace_back(key, std::move(value));
  }
  void setSecret(std::string secret) { secret_ = std::move(secret); }

  // sendEdoc(jsonHeader, file): Content-Type octet-stream, hash-file, the file then CRLF.
  Reply sendEdoc(const Fields& json_header, const std::string& file,
                 const std::string& hash_file_override = "") {
    put("Content-Type", "application/octet-stream");
    for (const auto& [k, v] : json_header) put(k, v);
    put("hash-file", hash_file_override.empty() ? sdkHashFile(file) : hash_file_override);
    return post("/sendEdoc", file + "\r\n", "application/octet-stream");
  }
  // getReceivedEdocList, getSentEdocList, getAgencies*: POST with an empty form body.
  Reply formCall(const std::string& op, const Fields& json_header) {
    put("Content-Type", "application/json");
    for (const auto& [k, v] : json_header) put(k, v);
    return post(op, "", "application/x-www-form-urlencoded");
  }
  // getEdoc, updateStatus, countReceive*, deleteAgency: POST with the body "{}".
  Reply jsonCall(const std::string& op, const Fields& json_header) {
    put("Content-Type", "application/json");
    for (const auto& [k, v] : json_header) put(k, v);
    return post(op, "{}", "text/plain; charset=ISO-8859-1");
  }
  // downloadEdoc: GET; the body is the file.
  Reply download(const Fields& json_header) {
    put("Content-Type", "application/json");
    for (const auto& [k, v] : json_header) put(k, v);
    return send("GET", "/downloadEdoc", "", "");
  }

 private:
  Reply post(const std::string& op, const std::string& body, const std::string& type) {
    return send("POST", op, body, type);
  }

  Reply send(const std::string& method, const std::string& op, const std::string& body,
             const std::string& type) {
    // A HashMap's iteration order: unrelated to insertion; shuffled here.
    auto order = headers_;
    std::shuffle(order.begin(), order.end(), rng_);
    std::string json = "{", keys;
    for (const auto& [k, v] : order) {
      json += (json.size() > 1 ? "," : "") + gsonString("XroadVnpt-" + k) + ":" + gsonString(v);
      keys += (keys.empty() ? "" : ";") + k;
    }
    json += "}";
    Reply reply;
    reply.sign_header = json;
    Poco::URI uri(endpoint_ + op);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file_, Poco::Net::Context::VERIFY_RELAXED, 9, false);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session->setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, uri.getPathEtc(), Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [k, v] : order) request.set("XroadVnpt-" + k, v);
    request.set("XroadVnpt-sign-header-key", keys);
    request.set("XroadVnpt-sign-header", json);
    request.set("XroadVnpt-hash-header", hmacHex(secret_, json));
    request.set("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP");
    request.set("XroadVnpt-version", "3.0.201608");
    if (!type.empty()) request.setContentType(type);
    if (method == "POST") request.setContentLength(static_cast<std::streamsize>(body.size()));
    // Apache HttpClient with setExpectContinueEnabled(true), as the SDK's factory builds it.
    if (method == "POST" && !body.empty() && op != "/sendEdoc") request.set("Expect", "100-continue");
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    reply.http = static_cast<int>(response.getStatus());
    std::ostringstream all;
    all << in.rdbuf();
    reply.body = all.str();
    try {
      Poco::JSON::Parser parser;
      reply.json = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception&) {
      reply.json = nullptr;
    }
    return reply;
  }

  std::string endpoint_, secret_, ca_file_;
  std::mt19937 rng_;
  Fields headers_;  // the SDK's header map, kept across calls
};

}  // namespace vxp_test
