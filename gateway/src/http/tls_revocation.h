// Revocation of TLS client certificates (tls.crl): CRLs (PEM or DER, one file or a folder of
// *.crl / *.pem, e.g. the trust.dir folder) whose signature is checked against the CA
// certificates of tls.ca (in a folder, CRLs of other CAs are skipped). A client
// certificate is refused when it is listed, and also when no current CRL of its issuer is loaded
// (fail closed: an expired or missing CRL never lets a certificate through). The files are read
// again when they change (looked at once a second at most), so a CRL published by the CA takes
// effect without a restart. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "lienthong/schemas/error.h"

typedef struct x509_st X509;

namespace lienthong::gateway {

class ClientRevocation {
 public:
  // Unauthorized-free: Config errors when the path or the CA file cannot be read or a CRL is
  // not signed by a CA of `ca_file`.
  static Result<std::shared_ptr<ClientRevocation>> open(const std::string& crl_path,
                                                        const std::string& ca_file);
  ~ClientRevocation();
  ClientRevocation(const ClientRevocation&) = delete;
  ClientRevocation& operator=(const ClientRevocation&) = delete;

  // Unauthorized with the reason when `cert` is revoked or its status cannot be known.
  Result<void> check(const X509* cert) const;

  struct Snapshot;

 private:
  ClientRevocation(std::string crl_path, std::string ca_file);
  Result<void> reload() const;  // callers hold mu_
  std::string crl_path_, ca_file_;
  mutable std::mutex mu_;  // guards snapshot_, stamp_, checked_
  mutable std::shared_ptr<const Snapshot> snapshot_;
  mutable std::string stamp_;  // names, sizes and mtimes of the files last read
  mutable std::chrono::steady_clock::time_point checked_{};
};

}  // namespace lienthong::gateway
