#include "lienthong/adapters/axis_http_handler.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <istream>
#include <ostream>

namespace lienthong::adapters {

void AxisHttpHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                    Poco::Net::HTTPServerResponse& response) {
  AxisResponse reply;
  try {
    AxisRequest in;
    in.method = request.getMethod();
    in.path = Poco::URI(request.getURI()).getPath();
    in.peer = request.clientAddress().host().toString();
    in.secure = request.secure();
    for (const auto& [name, value] : request) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      in.headers[lower] = value;
    }
    const std::size_t limit = endpoint_.options().max_body;
    bool too_large = request.hasContentLength() &&
                     request.getContentLength64() > static_cast<Poco::Int64>(limit);
    // Without a length or chunks there is no body (reading would wait for the client to close).
    const bool has_body = request.hasContentLength() || request.getChunkedTransferEncoding();
    std::istream& body = request.stream();
    char buffer[16384];
    while (has_body && !too_large && (body.read(buffer, sizeof buffer) || body.gcount() > 0)) {
      in.body.append(buffer, static_cast<std::size_t>(body.gcount()));
      too_large = in.body.size() > limit;
    }
    if (too_large) {
      in.body.clear();
      reply = {413, "application/json",
               R"({"status":"FAIL","ErrorCode":")" + std::string(axis::code::kTooLarge) +
                   R"(","ErrorDesc":"body larger than )" +
                   std::to_string(limit) + R"( bytes"})",
               {}};
      response.setKeepAlive(false);
    } else {
      reply = endpoint_.handle(in);
    }
  } catch (const std::exception&) {
    reply = {400, "application/json",
             R"({"status":"FAIL","ErrorCode":")" + std::string(axis::code::kBadField) +
                 R"(","ErrorDesc":"unreadable request"})",
             {}};
  }
  try {
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(reply.content_type);
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.setContentLength64(static_cast<Poco::Int64>(reply.body.size()));
    response.send().write(reply.body.data(), static_cast<std::streamsize>(reply.body.size()));
  } catch (const std::exception&) {
    // The client went away; nothing is left to tell it.
  }
}

Poco::Net::HTTPRequestHandler* AxisHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
  return new AxisHttpHandler(endpoint_);
}

}  // namespace lienthong::adapters
