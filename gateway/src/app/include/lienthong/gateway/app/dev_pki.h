// A development PKI for tests and the demo: one CA and the node and office certificates it
// issues (EC P-256, SHA-256), written as PEM files into a folder. Certificates name their
// holder in CN (node name or OrganId), their role in OU (for people; the gateway never reads it)
// and in a certificate policy of the dev arc 2.16.704.1.99.9 (certificateRules() maps each policy
// to its role, identity from the CN), with 127.0.0.1 and localhost as subject alternative
// names, valid for clientAuth and serverAuth;
// seal certificates name an office's OrganId for XMLDSig signing.
// Not for production: the CA key is written unencrypted. Not thread-safe per folder.
#pragma once

#include <string>
#include <vector>

#include "lienthong/gateway/http/auth.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/http/https_client.h"

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
  // The policy OID issue() puts in a certificate for `role` (2.16.704.1.99.9.1 office, .2 node,
  // .3 admin, .4 auditor), and the auth.certificates rules that give those certificates their role.
  static std::string rolePolicy(Role role);
  static std::vector<CertificateRule> certificateRules();

 private:
  std::string dir_;
  std::string ca_file_;
  std::string ca_key_file_;
};

// Development mode: fills what `c` leaves empty from the development PKI in <data>/pki (made
// when missing): the node's TLS certificate, key and CA, the certificate rules, the trust list
// (the dev CA) and a seal for the node's top unit in `directory`. For `serve --dev`, loopback
// nodes and the demo only; Node::start itself never makes keys.
Result<void> useDevPki(NodeConfig& c, const schemas::Directory& directory);

}  // namespace lienthong::gateway
