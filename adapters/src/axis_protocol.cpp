#include "lienthong/adapters/axis_protocol.h"

#include "lienthong/adapters/hmac.h"

namespace lienthong::adapters::axis {
namespace {

std::string_view value(const Headers& headers, std::string_view name) {
  const auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string_view{} : std::string_view(it->second);
}

}  // namespace

std::string canonicalString(std::string_view method, std::string_view path,
                            const Headers& headers, std::string_view body) {
  std::string out;
  for (const std::string_view part :
       {method, path, value(headers, kClient), value(headers, kTimestamp), value(headers, kFrom),
        value(headers, kMessageType), value(headers, kDocId), value(headers, kStatus),
        value(headers, kDelivery)}) {
    out.append(part).push_back('\n');
  }
  out += sha256Hex(body);
  return out;
}

void signRequest(Headers& headers, std::string_view method, std::string_view path,
                 std::string_view body, std::string_view client_id, std::string_view secret,
                 std::chrono::system_clock::time_point now) {
  headers[std::string(kClient)] = std::string(client_id);
  headers[std::string(kTimestamp)] = std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  headers.erase(std::string(kSignature));
  headers[std::string(kSignature)] =
      hmacSha256Hex(secret, canonicalString(method, path, headers, body));
}

bool signatureMatches(const Headers& headers, std::string_view method, std::string_view path,
                      std::string_view body, std::string_view secret) {
  return constantTimeEqual(hmacSha256Hex(secret, canonicalString(method, path, headers, body)),
                           value(headers, kSignature));
}

}  // namespace lienthong::adapters::axis
