// RFC 3161 time-stamps: a client that builds a request for a digest, sends it through a transport
// (HTTP by default, or a LocalTsa in-process) and checks the token it gets back; and a local
// time-stamp authority (OpenSSL TS API) for development and tests. Both thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/algorithms.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/trust_store.h"

namespace lienthong::signing {

struct TimeStampInfo {
  std::chrono::system_clock::time_point time;
  std::string serial;   // hex
  std::string tsa;      // subject of the TSA certificate
  std::string policy;   // OID
};

// Sends a DER TimeStampReq, returns the DER TimeStampResp.
using TsaTransport = std::function<Result<std::string>(std::string_view request_der)>;

class TsaClient {
 public:
  // HTTP POST application/timestamp-query to `url` (http, or https checked against the system CAs;
  // use the TsaTransport constructor with defaultHttpFetch(anchors) for other anchors).
  explicit TsaClient(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  explicit TsaClient(TsaTransport transport);

  // A token (DER ContentInfo) over `data`, hashed with `digest`; the nonce and imprint of the
  // response are checked against the request.
  Result<std::string> timestamp(std::string_view data,
                                DigestAlgorithm digest = DigestAlgorithm::Sha256) const;

 private:
  TsaTransport transport_;
};

// Checks that `token_der` is a time-stamp over `data` signed by a TSA certificate that chains to
// the trust store's anchors (extended key usage timeStamping), and returns its time.
Result<TimeStampInfo> verifyTimeStampToken(std::string_view token_der, std::string_view data,
                                           const TrustStore& trust);

class LocalTsa {
 public:
  // `key` must have a certificate with critical extendedKeyUsage timeStamping.
  LocalTsa(SigningKey key, std::string policy_oid = "1.3.6.1.4.1.57264.1.1");
  // Answers one DER TimeStampReq with a DER TimeStampResp.
  Result<std::string> respond(std::string_view request_der) const;
  // A transport for TsaClient that calls respond() in-process.
  TsaTransport transport() const;

 private:
  SigningKey key_;
  std::string policy_oid_;
};

}  // namespace lienthong::signing
