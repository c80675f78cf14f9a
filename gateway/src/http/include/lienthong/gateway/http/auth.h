// Who is calling: the credential a request carries (client certificate or bearer token) and
// the roles the gateway knows.
//
// Bearer tokens are JWTs signed with HS256 by one DMS client's own key (auth.clients): the
// header's "kid" names the client, and the token is accepted only when its "role" and "sub" are
// the ones configured for that client (office or auditor, and its OrganId or name). A client's
// key therefore cannot mint any other role or unit.
//
// Certificate identities come only from an explicit map (auth.certificates): a client
// certificate that chains to tls.ca gets a role only when a rule names it, by SHA-256
// fingerprint, by serial number, by subject, or by a certificate policy OID of the project's CA.
// Its OU is never read. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

typedef struct x509_st X509;

namespace lienthong::gateway {

// office: a DMS or clerk sending and receiving for one OrganId (subject);
// admin / auditor: operators; node: a peer gateway node (subject = node name);
// system: the node itself issuing statuses (never reachable from the network).
enum class Role { None, Office, Admin, Auditor, Node, System };
std::string_view roleName(Role r);
Role parseRole(std::string_view text);  // Role::None when unknown

struct Credential {
  Role role = Role::None;
  std::string subject;  // OrganId for an office, node name for a node
  std::string via;      // "certificate", "token", "internal" or "" (anonymous)
};

// One DMS client allowed to use bearer tokens (auth.clients = id:role:organ:secret_file).
struct TokenClient {
  std::string id;      // the JWT header's "kid"
  Role role = Role::None;  // office or auditor only
  std::string organ;   // the OrganId (office) or the auditor's name: the only "sub" accepted
  std::string secret;  // this client's HS256 key, at least 16 characters
};

// An HS256 JWT for `client`: header {"alg":"HS256","kid":id}, claims {"sub": organ,
// "role": role, "exp"}.
std::string makeJwt(const TokenClient& client, std::int64_t ttl_seconds);
// Any claims, signed with `secret` under `kid` (tests build refused tokens with it).
std::string makeJwt(const std::string& kid, const std::string& subject, Role role,
                    const std::string& secret, std::int64_t ttl_seconds);
// Unauthorized when the client is unknown, or the signature, the expiry, the role or the subject
// is not the client's.
Result<Credential> verifyJwt(std::string_view token, const std::vector<TokenClient>& clients);

// One line of the certificate map (auth.certificates): `ROLE IDENTITY MATCH VALUE`.
//   admin  alice          sha256  3f2a...          (fingerprint of the DER, hex, ':' allowed)
//   node   district-a     serial  1a2b...          (serial number, hex)
//   office 000.00.31.H41  subject CN=...,O=...     (RFC 2253, as openssl -nameopt RFC2253 prints)
//   node   *              policy  2.16.704.1.99.9.2   (a policy OID; '*': the identity is the CN)
// IDENTITY '*' is allowed with `policy` only.
struct CertificateRule {
  enum class Match { Sha256, Serial, Subject, Policy };
  Role role = Role::None;
  std::string identity;
  Match match = Match::Sha256;
  std::string value;  // normalised: lower-case hex without ':' for sha256 and serial
};
Result<CertificateRule> parseCertificateRule(std::string_view line);
// The rules of a map file (one per line, '#' comments); errors name the file and the line.
Result<std::vector<CertificateRule>> loadCertificateRules(const std::string& path);
// The credential the first matching rule gives `cert`; anonymous when none matches.
Credential certificateIdentity(const X509* cert, const std::vector<CertificateRule>& rules);
// Helpers shared with the tests and the CLI: lower-case hex fingerprint, serial and RFC 2253
// subject of a certificate.
std::string certificateSha256(const X509* cert);
std::string certificateSerial(const X509* cert);
std::string certificateSubject(const X509* cert);

// True when `value` holds a byte below 0x20 (other than none) or 0x7f: such a value must not
// reach a response header, a file name or a log line.
bool hasControlCharacter(std::string_view value);

}  // namespace lienthong::gateway
