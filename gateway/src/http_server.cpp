#include "lienthong/gateway/http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <openssl/obj_mac.h>

#include <algorithm>
#include <chrono>

#include "lienthong/gateway/http_error.h"
#include "tls_context.h"

namespace lienthong::gateway {

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(const Error& e, const std::string& extra_json) {
  return json(httpStatus(e.code), errorJson(e, extra_json));
}

void HttpRoutes::add(HttpRoute route) { routes_.push_back(std::move(route)); }

const HttpRoute* HttpRoutes::match(const std::string& method, const std::string& path,
                                   bool& path_exists) const {
  path_exists = false;
  const HttpRoute* best = nullptr;
  for (const auto& r : routes_) {
    const bool hit = r.prefix ? path.starts_with(r.path) && path.size() > r.path.size()
                              : path == r.path;
    if (!hit) continue;
    path_exists = true;
    if (r.method != method) continue;
    // An exact route wins over a prefix; a longer prefix over a shorter one.
    if (best == nullptr || (!r.prefix && best->prefix) ||
        (r.prefix && best->prefix && r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

Credential certificateCredential(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return {};
  try {
    Poco::Net::SecureStreamSocket ss(impl->socket());
    if (!ss.havePeerCertificate()) return {};
    const Poco::Net::X509Certificate cert = ss.peerCertificate();
    Credential c;
    c.subject = cert.commonName();
    c.role = parseRole(cert.subjectName(Poco::Crypto::X509Certificate::NID_ORGANIZATION_UNIT_NAME));
    c.via = "certificate";
    if (c.role == Role::None) c.subject.clear();
    return c;
  } catch (const Poco::Exception&) {
    return {};
  }
}

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RequestHandler(std::shared_ptr<const HttpRoutes> routes, const HttpServerConfig& config)
      : routes_(std::move(routes)), config_(config) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    HttpResponse out;
    bool close = false;
    try {
      out = dispatch(req, close);
      // A refusal answered before the body was read leaves it on the wire: close, so the next
      // request on this connection is not parsed from the middle of it.
      const bool has_body = (req.hasContentLength() && req.getContentLength64() > 0) ||
                            req.getChunkedTransferEncoding();
      if (has_body && !body_read_) close = true;
    } catch (const Poco::Exception& e) {
      out = HttpResponse::error(httpError(ErrorCode::Internal, "internal error: " + e.displayText()));
      close = true;
    } catch (const std::exception& e) {
      out = HttpResponse::error(httpError(ErrorCode::Internal, std::string("internal error: ") + e.what()));
      close = true;
    }
    try {
      resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
      resp.setContentType(out.content_type);
      for (const auto& [k, v] : out.headers) resp.set(k, v);
      if (close) resp.setKeepAlive(false);
      resp.setContentLength(static_cast<std::streamsize>(out.body.size()));
      resp.send().write(out.body.data(), static_cast<std::streamsize>(out.body.size()));
      if (close && !body_read_) lingerDrain(req);
    } catch (const Poco::Exception&) {
      // The client went away; nothing left to tell it.
    }
  }

 private:
  // Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
  // refusal in flight to a client still writing its body. Read (and drop) a bounded amount first,
  // so the client sees the answer; what is beyond the bound is cut off.
  static void lingerDrain(HTTPServerRequest& req) {
    static constexpr std::size_t kMaxDrain = 2u << 20;
    try {
      std::istream& in = req.stream();
      char buf[16384];
      std::size_t total = 0;
      while (in && total < kMaxDrain) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        total += n;
      }
    } catch (const Poco::Exception&) {
      // The client stopped sending or went away: nothing more to drain.
    }
  }

  HttpResponse dispatch(HTTPServerRequest& req, bool& close) {
    std::size_t header_bytes = req.getURI().size();
    HttpRequest r;
    for (const auto& [k, v] : req) {
      header_bytes += k.size() + v.size() + 4;
      r.headers[Poco::toLower(k)] = v;
    }
    if (header_bytes > config_.max_header) {
      close = true;
      return HttpResponse::json(431, errorJson(httpError(ErrorCode::TooLarge,
                                                     "request headers are larger than " +
                                                         std::to_string(config_.max_header) +
                                                         " bytes")));
    }
    r.method = req.getMethod();
    r.peer_address = req.clientAddress().host().toString();
    const std::string& raw = req.getURI();
    const auto q = raw.find('?');
    Poco::URI::decode(raw.substr(0, q), r.path);
    if (q != std::string::npos) {
      Poco::URI uri(raw);
      for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
    }
    bool path_exists = false;
    const HttpRoute* route = routes_->match(r.method, r.path, path_exists);
    if (route == nullptr) {
      return path_exists ? HttpResponse::json(405, errorJson(httpError(ErrorCode::InvalidArgument,
                                                                   "method " + r.method +
                                                                       " not allowed on " + r.path)))
                         : HttpResponse::error(httpError(ErrorCode::NotFound, "no route " + r.path));
    }
    if (route->prefix) r.path_rest = r.path.substr(route->path.size());

    r.credential = certificateCredential(req);
    const std::string auth = r.header("authorization");
    if (r.credential.role == Role::None && auth.starts_with("Bearer ")) {
      auto cred = verifyJwt(auth.substr(7), config_.jwt_secret);
      if (!cred) return HttpResponse::error(cred.error());
      r.credential = *cred;
    }
    if (!route->roles.empty()) {
      if (r.credential.role == Role::None) {
        return HttpResponse::error(httpError(ErrorCode::Unauthorized,
                                         "a client certificate or a bearer token is required"));
      }
      if (std::find(route->roles.begin(), route->roles.end(), r.credential.role) ==
          route->roles.end()) {
        return HttpResponse::error(httpError(ErrorCode::Forbidden,
                                         "role '" + std::string(roleName(r.credential.role)) +
                                             "' may not call " + r.method + " " + route->path));
      }
    }

    const std::size_t limit = route->max_body ? route->max_body : config_.max_body;
    if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      close = true;  // the body stays unread, so the connection cannot be reused
      return HttpResponse::error(httpError(ErrorCode::TooLarge,
                                       "the body is " + std::to_string(req.getContentLength64()) +
                                           " bytes; the limit is " + std::to_string(limit)));
    }
    if (req.hasContentLength() || req.getChunkedTransferEncoding()) {
      const auto start = std::chrono::steady_clock::now();
      std::istream& in = req.stream();
      char buf[16384];
      while (in) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        if (r.body.size() + n > limit) {
          close = true;
          return HttpResponse::error(httpError(ErrorCode::TooLarge,
                                           "the body is larger than the limit of " +
                                               std::to_string(limit) + " bytes"));
        }
        r.body.append(buf, n);
        if (std::chrono::steady_clock::now() - start >
            std::chrono::milliseconds(config_.read_timeout_ms)) {
          close = true;
          return HttpResponse::json(408, errorJson(httpError(ErrorCode::Network,
                                                         "the body took longer than " +
                                                             std::to_string(config_.read_timeout_ms) +
                                                             " ms to arrive")));
        }
      }
    }
    body_read_ = true;
    return route->handler(r);
  }

  std::shared_ptr<const HttpRoutes> routes_;
  const HttpServerConfig& config_;
  bool body_read_ = false;  // the whole body was consumed (one handler serves one request)
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(std::shared_ptr<const HttpRoutes> routes, HttpServerConfig config)
      : routes_(std::move(routes)), config_(std::move(config)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new RequestHandler(routes_, config_);
  }

 private:
  std::shared_ptr<const HttpRoutes> routes_;
  HttpServerConfig config_;
};

}  // namespace

struct HttpServer::Impl {
  SslLibrary ssl;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  int port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (impl_ && !impl_->stopped) {
    impl_->stopped = true;
    impl_->server->stopAll(true);
    impl_->server.reset();  // closes the listening socket: peers see "refused", not a hang
    impl_->pool->joinAll();
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerConfig& config,
                                                      std::shared_ptr<const HttpRoutes> routes) {
  auto impl = std::make_unique<Impl>();
  auto ctx = makeTlsContext(true, config.cert_file, config.key_file, config.ca_file);
  if (!ctx) return std::unexpected(ctx.error());
  try {
    Poco::Net::SecureServerSocket socket(
        Poco::Net::SocketAddress(config.host, static_cast<Poco::UInt16>(config.port)), 256, *ctx);
    impl->port = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config.max_connections);
    params->setMaxQueued(config.max_connections * 4);
    params->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(config.read_timeout_ms) * 1000));
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(100000);
    params->setKeepAliveTimeout(Poco::Timespan(30, 0));
    impl->pool = std::make_unique<Poco::ThreadPool>(2, config.max_connections + 2);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(
        new HandlerFactory(std::move(routes), config), *impl->pool, socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "cannot listen on " + config.host + ":" +
                                       std::to_string(config.port) + ": " + e.displayText());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace lienthong::gateway
