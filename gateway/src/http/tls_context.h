// TLS contexts for the node's server and its clients: TLS 1.2 or later, peers checked against
// the given CA file only (no system CAs), failures rejected (never a prompt).
#pragma once

#include <Poco/Net/Context.h>

#include <string>

#include "lienthong/schemas/error.h"

namespace lienthong::gateway {

// The TLS 1.2 cipher list of every context: ECDHE with AES-GCM or ChaCha20-Poly1305.
extern const char* const kCipherList;

// Poco's SSL library, initialized for as long as an instance lives.
class SslLibrary {
 public:
  SslLibrary();
  ~SslLibrary();
  SslLibrary(const SslLibrary&) = delete;
  SslLibrary& operator=(const SslLibrary&) = delete;
};

// `server`: asks for a client certificate and verifies it when given.
Result<Poco::Net::Context::Ptr> makeTlsContext(bool server, const std::string& cert,
                                               const std::string& key, const std::string& ca);

}  // namespace lienthong::gateway
