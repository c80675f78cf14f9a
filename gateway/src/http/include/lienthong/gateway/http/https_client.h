// A small HTTPS client over Poco's HTTPSClientSession: TLS 1.2+, the server certificate checked
// against a given CA file, an optional client certificate (mutual TLS) or bearer token, and one
// kept-alive connection reused across requests (reconnecting when the server closed it). Every
// network step has the deadline `timeout_ms`: the TCP connect, each read and write of the TLS
// handshake (a peer that accepts TCP and never answers costs one deadline, not a hung thread),
// and each read and write of the request and the response. Used by
// the dispatcher to reach peer nodes, by the clerk commands, the tests and the benchmark.
// Not thread-safe: use one client per thread (PeerPool hands them out).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

struct TlsFiles {
  std::string cert;  // client certificate (PEM), empty: none
  std::string key;   // its private key (PEM)
  std::string ca;    // CA certificates the server must chain to
};

struct ClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpsClient {
 public:
  // `base_url` like https://127.0.0.1:8443. Config when the URL or the TLS files are unusable.
  static Result<std::unique_ptr<HttpsClient>> open(const std::string& base_url,
                                                   const TlsFiles& tls, int timeout_ms = 10000);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  void setBearer(std::string token);
  // Network when the connection or the TLS handshake fails; any HTTP status is a success here.
  Result<ClientResponse> request(const std::string& method, const std::string& path,
                                 const std::string& body = {},
                                 const std::string& content_type = "application/xml",
                                 const std::map<std::string, std::string>& headers = {});

  struct Impl;

 private:
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Clients to peer nodes, kept for reuse (connections stay open between deliveries).
// Thread-safe.
class PeerPool {
 public:
  PeerPool(TlsFiles tls, int timeout_ms) : tls_(std::move(tls)), timeout_ms_(timeout_ms) {}

  // A client for `url`, idle or new; hand it back with release() to keep the connection.
  Result<std::unique_ptr<HttpsClient>> acquire(const std::string& url);
  void release(const std::string& url, std::unique_ptr<HttpsClient> client);

 private:
  TlsFiles tls_;
  int timeout_ms_;
  std::mutex mu_;  // guards idle_
  std::map<std::string, std::vector<std::unique_ptr<HttpsClient>>> idle_;
};

// Percent-encodes one URL path segment or query value.
std::string urlEncode(const std::string& text);

}  // namespace lienthong::gateway
