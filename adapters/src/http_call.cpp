#include "http_call.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <istream>
#include <memory>
#include <ostream>

namespace lienthong::adapters::detail {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool isLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]" ||
         host.starts_with("127.");
}

}  // namespace

Result<HttpUrl> parseHttpUrl(std::string_view text, bool allow_http) {
  std::string s(text);
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.empty()) return fail(ErrorCode::Config, "URL is empty");
  HttpUrl url;
  try {
    Poco::URI uri(s);
    url.scheme = lower(uri.getScheme());
    url.host = uri.getHost();
    url.port = uri.getPort();
    url.path = uri.getPathEtc();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "URL '" + s + "' cannot be parsed: " + e.displayText());
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return fail(ErrorCode::Config, "URL '" + s + "' must start with http:// or https://");
  }
  if (url.host.empty()) return fail(ErrorCode::Config, "URL '" + s + "' has no host");
  if (url.path.find_first_of("?#") != std::string::npos) {
    return fail(ErrorCode::Config, "URL '" + s + "' must not carry a query or fragment");
  }
  if (url.scheme == "http" && !allow_http && !isLoopback(url.host)) {
    return fail(ErrorCode::Config, "URL '" + s +
                                       "' uses plain http to a non-loopback host; use https or "
                                       "set allow_http=true");
  }
  url.text = s;
  return url;
}

Result<HttpReply> httpCall(const HttpUrl& url, const std::string& method, const std::string& target,
                           const std::map<std::string, std::string>& headers, std::string_view body,
                           const std::string& content_type, const HttpOptions& options) {
  const std::string where = method + " " + url.text + target;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (url.scheme == "https") {
      // STRICT, not RELAXED: with RELAXED Poco skips the host name check when the host is a
      // loopback address, so a tunnel on 127.0.0.1 would accept any certificate from the CA.
      Poco::Net::Context::Ptr context = new Poco::Net::Context(
          Poco::Net::Context::TLS_CLIENT_USE, "", "", options.ca_file,
          Poco::Net::Context::VERIFY_STRICT, 9, options.ca_file.empty());
      context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(url.host, url.port, context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(url.host, url.port);
    }
    const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(options.timeout_ms) * 1000);
    session->setTimeout(timeout, timeout, timeout);
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest request(method, url.path + target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT") {
      request.setContentType(content_type);
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    std::ostream& out = session->sendRequest(request);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    out.flush();
    if (!out) return fail(ErrorCode::Network, where + ": the connection failed while sending");

    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    HttpReply reply;
    reply.status = static_cast<int>(response.getStatus());
    reply.content_type = response.getContentType();
    for (const auto& [name, value] : response) reply.headers[lower(name)] = value;
    char buffer[16384];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
      reply.body.append(buffer, static_cast<std::size_t>(in.gcount()));
      if (reply.body.size() > options.max_reply_bytes) {
        return fail(ErrorCode::Network, where + ": reply larger than " +
                                            std::to_string(options.max_reply_bytes) + " bytes");
      }
    }
    return reply;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Network, where + ": " + e.displayText());
  } catch (const std::exception& e) {
    return fail(ErrorCode::Network, where + ": " + e.what());
  }
}

}  // namespace lienthong::adapters::detail
