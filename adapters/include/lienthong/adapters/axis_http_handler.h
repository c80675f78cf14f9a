// Serves an AxisEndpoint through Poco's HTTPServer: reads the request (body bounded by the
// endpoint's max_body), calls AxisEndpoint::handle, writes the response. The endpoint must outlive
// the handlers and the factory. Thread-safe (one handler per request).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "lienthong/adapters/axis_endpoint.h"

namespace lienthong::adapters {

class AxisHttpHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit AxisHttpHandler(const AxisEndpoint& endpoint) : endpoint_(endpoint) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const AxisEndpoint& endpoint_;
};

// Every request goes to the endpoint (for a server dedicated to the axis API; the gateway can
// instead create AxisHttpHandler for paths under the endpoint's prefix in its own factory).
class AxisHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit AxisHandlerFactory(const AxisEndpoint& endpoint) : endpoint_(endpoint) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  const AxisEndpoint& endpoint_;
};

}  // namespace lienthong::adapters
