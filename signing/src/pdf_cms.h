// PAdES profile of the CMS that CmsSigner makes (ETSI EN 319 142-1): the signing-time signed
// attribute left out (the time is the signature dictionary's /M; OpenSSL always adds it, so it
// is removed and the remaining signed attributes are signed again with the same key), and an
// optional signature time-stamp (id-aa-signatureTimeStampToken, RFC 3161 over the signature
// value) for PAdES baseline T. Works on the DER; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/timestamp.h"

namespace lienthong::signing::pdf {

Result<std::string> toPades(std::string_view cades_der, const SigningKey& key,
                            const TsaClient* tsa);

// Parts of the first SignerInfo a PAdES verifier needs beyond CmsVerifier.
struct CmsParts {
  std::string signature_value;
  std::string timestamp_token;  // DER ContentInfo, empty when there is none
  bool has_signing_time = false;
};
std::optional<CmsParts> cmsParts(std::string_view der);

}  // namespace lienthong::signing::pdf
