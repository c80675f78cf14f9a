// The CA's public endpoints over plain HTTP, where certificates point relying parties
// (RFC 5280 and RFC 6960 expect plain HTTP here: the answers are signed, and fetching them must
// not depend on validating a TLS certificate first):
//   GET  /crl                 the current CRL of the issuing CA, DER (application/pkix-crl)
//   GET  /crl/root            the current ARL (the root's CRL, covering the issuing CA), DER
//   POST /ocsp                DER OCSPRequest -> DER OCSPResponse (application/ocsp-response)
//   GET  /ocsp/<base64 req>   the same, GET form of RFC 6960 appendix A.1
// Bounded: request bodies up to 64 KiB, a fixed number of threads and queued connections.
// Thread-safe; stop() or the destructor stops it.
#pragma once

#include <memory>
#include <string>

#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

struct CaPublishResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

// The answer for one request, without any server: what the HTTP server and the gateway's routes
// both call.
CaPublishResponse answerCaRequest(CaService& service, const std::string& method, const std::string& path,
                                  const std::string& body);

class CaPublishServer {
 public:
  // Listens on host:port (port 0: any free port). Only loopback or configured addresses.
  static Result<std::unique_ptr<CaPublishServer>> start(std::shared_ptr<CaService> service,
                                                        const std::string& host, int port);
  ~CaPublishServer();
  int port() const;
  void stop();

  struct Impl;

 private:
  explicit CaPublishServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::gateway
