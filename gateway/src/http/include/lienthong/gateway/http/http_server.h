// The HTTPS front of a node: Poco HTTPServer over a TLS 1.2+ SecureServerSocket that asks for a
// client certificate (mutual TLS for nodes and offices that have one) and accepts bearer JWTs
// from DMS clients without. Routes are registered in an HttpRoutes table, so other parts of the
// gateway (the CA service's /crl, /ocsp and admin routes) mount their own handlers.
//
// Every client is bounded: Poco's TCPServer accepts, but each connection is served by our own
// loop (not Poco's HTTPServerConnection) under a watchdog that shuts the socket down when a
// phase overruns its deadline, which interrupts whatever read or write is blocked: the TLS
// handshake (handshake_timeout_ms), a whole request, headers and body (read_timeout_ms), each
// read (read_gap_ms), an idle keep-alive (keepalive_ms) and the answer (write_timeout_ms).
// Connections per source address are limited (max_per_address) before any thread serves them.
// Ambiguous framing is refused with 400 (differing Content-Length headers, a Transfer-Encoding
// other than exactly "chunked", both, a bad %-escape); an over-limit body is refused with 413
// before any "100 Continue".
// HttpRoutes is filled before the server starts and read-only after; the server is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lienthong/gateway/http/auth.h"
#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

struct HttpRequest {
  std::string method;
  std::string path;       // decoded path, without the query
  std::string path_rest;  // for prefix routes: what follows the prefix, decoded
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  Credential credential;
  std::string peer_address;  // the client's IP address
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(int status, std::string body);
  // The JSON error for `e` with the status httpStatus(e.code).
  static HttpResponse error(const Error& e, const std::string& extra_json = {});
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpRoute {
  std::string method;  // "GET", "POST"
  std::string path;    // exact path, or a prefix when `prefix`
  bool prefix = false;
  std::vector<Role> roles;   // who may call; empty = anyone, even without a credential
  std::size_t max_body = 0;  // 0: the server's limit
  HttpHandler handler;
};

class HttpRoutes {
 public:
  void add(HttpRoute route);
  // The route for this method and path; `path_exists` says whether another method would match.
  const HttpRoute* match(const std::string& method, const std::string& path,
                         bool& path_exists) const;

 private:
  std::vector<HttpRoute> routes_;
};

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::string cert_file;  // this node's certificate (PEM)
  std::string key_file;   // its private key (PEM)
  std::string ca_file;    // CA certificates that client certificates must chain to (tls.ca)
  std::string crl_file;   // tls.crl: CRLs of tls.ca's CAs; empty: client certificates' revocation unchecked
  std::vector<TokenClient> token_clients;  // auth.clients; empty: bearer tokens refused
  std::vector<CertificateRule> certificate_rules;  // auth.certificates; empty: no certificate has a role
  std::size_t max_body = 10u << 20;
  std::size_t max_header = 16u << 10;
  int max_connections = 1024;    // connections served at once (one thread each, idle while blocked)
  int max_per_address = 16;      // connections at once from one source address; more are refused
  int read_timeout_ms = 10000;   // a whole request (headers and body) must arrive within this
  int read_gap_ms = 2000;        // and no read may wait longer than this for its next bytes
  int handshake_timeout_ms = 3000;  // the TLS handshake must end within this
  int keepalive_ms = 2000;       // an idle kept-alive connection is closed after this
  int write_timeout_ms = 10000;  // the answer must be taken by the client within this
};

// Told of every request once its answer is written: the method, the route's path (the one the
// routes matched, "" when none did), the status and the seconds from the request's first byte
// read to the answer sent. For /metrics; called on the connection's thread.
using RequestObserver = std::function<void(const std::string& method, const std::string& route, int status,
                                           double seconds)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerConfig& config,
                                                   std::shared_ptr<const HttpRoutes> routes,
                                                   RequestObserver observer = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::gateway
