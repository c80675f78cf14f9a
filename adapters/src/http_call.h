// One HTTP(S) exchange over Poco's client sessions, with every Poco exception turned into a
// Network error that names the method, the URL and the reason. A new session per call, so callers
// are thread-safe without sharing connections. Private to the adapters library.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

namespace lienthong::adapters::detail {

// A checked base URL: scheme http or https, a host, an optional port and path.
struct HttpUrl {
  std::string text;    // as configured, without a trailing '/'
  std::string scheme;  // "http" or "https"
  std::string host;
  unsigned short port = 0;
  std::string path;    // "" or "/..." without a trailing '/'
};

// Refuses anything but http/https with a host. Plain http is allowed only to a loopback host
// unless `allow_http` is set, so secrets and packages do not cross a network in clear by mistake.
Result<HttpUrl> parseHttpUrl(std::string_view text, bool allow_http);

struct HttpOptions {
  int timeout_ms = 10000;
  std::string ca_file;  // https: CA bundle the server must chain to; "" = the system's CAs
  std::size_t max_reply_bytes = 1u << 20;
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// `target` is appended to url.path ("/sendEdoc?x=1"). Network on any transport failure
// (refused, timeout, TLS) or a reply larger than max_reply_bytes; any HTTP status is a success.
Result<HttpReply> httpCall(const HttpUrl& url, const std::string& method, const std::string& target,
                           const std::map<std::string, std::string>& headers, std::string_view body,
                           const std::string& content_type, const HttpOptions& options);

}  // namespace lienthong::adapters::detail
