// A development PKI for tests and the demo: one CA and the node and office certificates it
// issues (EC P-256, SHA-256), written as PEM files into a folder. Certificates name their
// holder in CN (node name or OrganId) and their role in OU (node, office, admin, auditor), with
// 127.0.0.1 and localhost as subject alternative names, valid for clientAuth and serverAuth;
// seal certificates name an office's OrganId for XMLDSig signing.
// Not for production: the CA key is written unencrypted. Not thread-safe per folder.
#pragma once

#include <string>

#include "lienthong/gateway/auth.h"
#include "lienthong/gateway/https_client.h"

namespace lienthong::gateway {

class DevPki {
 public:
  // Uses the CA in `dir` (ca.pem, ca.key), creating it when missing.
  static Result<DevPki> open(const std::string& dir);

  // <dir>/<name>.pem and <name>.key for `subject` in `role`, made when missing; the files to use
  // as a TLS client or server.
  Result<TlsFiles> issue(const std::string& subject, Role role, const std::string& name = {}) const;
  // <dir>/<name>.pem and .key (default name seal-<organ_id>): a seal certificate for signing
  // edXML as `organ_id`: O = `organization`, organizationIdentifier = `organ_id`, keyUsage
  // digitalSignature and nonRepudiation, no OCSP or CRL address (revocation: NOT_CHECKED).
  Result<TlsFiles> issueSeal(const std::string& organ_id, const std::string& organization,
                             const std::string& name = {}) const;
  const std::string& caFile() const { return ca_file_; }

 private:
  std::string dir_;
  std::string ca_file_;
  std::string ca_key_file_;
};

}  // namespace lienthong::gateway
