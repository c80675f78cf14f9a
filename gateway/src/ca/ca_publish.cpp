#include "lienthong/gateway/ca/ca_publish.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include <sstream>

#include "lienthong/gateway/http/http_error.h"

namespace lienthong::gateway {

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;

CaPublishResponse text(int status, const std::string& message) {
  return CaPublishResponse{status, "text/plain; charset=utf-8", message + "\n"};
}

std::string base64Decode(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder dec(in);
  std::ostringstream out;
  out << dec.rdbuf();
  return out.str();
}

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<CaService> service) : service_(std::move(service)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    CaPublishResponse r;
    std::string body;
    if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(kMaxBody)) {
      r = text(httpStatus(ErrorCode::TooLarge), "request larger than 64 KiB");
    } else {
      std::istream& in = req.stream();
      char buf[4096];
      while (body.size() <= kMaxBody && in.read(buf, sizeof buf).gcount() > 0) {
        body.append(buf, static_cast<std::size_t>(in.gcount()));
      }
      if (body.size() > kMaxBody) {
        r = text(httpStatus(ErrorCode::TooLarge), "request larger than 64 KiB");
      } else {
        std::string path;
        Poco::URI::decode(Poco::URI(req.getURI()).getPath(), path);
        r = answerCaRequest(*service_, req.getMethod(), path, body);
      }
    }
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    resp.setContentType(r.content_type);
    resp.setContentLength(static_cast<std::streamsize>(r.body.size()));
    resp.send().write(r.body.data(), static_cast<std::streamsize>(r.body.size()));
  }

 private:
  std::shared_ptr<CaService> service_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<CaService> service) : service_(std::move(service)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(service_);
  }

 private:
  std::shared_ptr<CaService> service_;
};

}  // namespace

CaPublishResponse answerCaRequest(CaService& service, const std::string& method, const std::string& path,
                                  const std::string& body) {
  if (path == "/crl") {
    if (method != "GET" && method != "HEAD") return text(httpStatus(ErrorCode::MethodNotAllowed), "use GET for /crl");
    auto crl = service.currentCrl();
    if (!crl) return text(httpStatus(crl.error().code), "CRL unavailable: " + crl.error().message);
    return CaPublishResponse{200, "application/pkix-crl", crl->der};
  }
  if (path == "/crl/root") {
    if (method != "GET" && method != "HEAD") return text(httpStatus(ErrorCode::MethodNotAllowed), "use GET for /crl/root");
    auto arl = service.currentArl();
    if (!arl) return text(httpStatus(arl.error().code), "ARL unavailable: " + arl.error().message);
    return CaPublishResponse{200, "application/pkix-crl", arl->der};
  }
  if (path == "/ocsp") {
    if (method != "POST") return text(httpStatus(ErrorCode::MethodNotAllowed), "use POST for /ocsp, or GET /ocsp/<base64 request>");
    return CaPublishResponse{200, "application/ocsp-response", service.answerOcsp(body)};
  }
  if (path.rfind("/ocsp/", 0) == 0) {
    if (method != "GET") return text(httpStatus(ErrorCode::MethodNotAllowed), "use GET for /ocsp/<base64 request>");
    return CaPublishResponse{200, "application/ocsp-response", service.answerOcsp(base64Decode(path.substr(6)))};
  }
  return text(httpStatus(ErrorCode::NotFound), "no such CA resource: " + path + " (try /crl, /crl/root or /ocsp)");
}

struct CaPublishServer::Impl {
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
};

CaPublishServer::CaPublishServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CaPublishServer::~CaPublishServer() { stop(); }
int CaPublishServer::port() const { return impl_->port; }

void CaPublishServer::stop() {
  if (impl_ && impl_->server) {
    impl_->server->stopAll(true);
    impl_->server.reset();
  }
}

Result<std::unique_ptr<CaPublishServer>> CaPublishServer::start(std::shared_ptr<CaService> service,
                                                                const std::string& host, int port) {
  try {
    Poco::Net::ServerSocket socket;  // no SO_REUSEPORT: a second server on this port must fail
    socket.bind(Poco::Net::SocketAddress(host, static_cast<Poco::UInt16>(port)), true, false);
    socket.listen(64);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    params->setMaxQueued(64);
    params->setTimeout(Poco::Timespan(10, 0));
    params->setKeepAlive(false);
    auto impl = std::make_unique<Impl>();
    impl->port = socket.address().port();
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(std::move(service)), socket, params);
    impl->server->start();
    return std::unique_ptr<CaPublishServer>(new CaPublishServer(std::move(impl)));
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Network, "cannot listen on " + host + ":" + std::to_string(port) +
                                        " for /crl, /crl/root and /ocsp: " + e.displayText());
  }
}

}  // namespace lienthong::gateway
