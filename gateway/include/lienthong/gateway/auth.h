// Who is calling: the credential a request carries (client certificate or bearer token) and
// the roles the gateway knows. Bearer tokens are JWTs signed with HS256 and a secret shared with
// the DMS. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lienthong/schemas/error.h"

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

// An HS256 JWT: {"sub": subject, "role": role, "exp": seconds since epoch}.
std::string makeJwt(const std::string& subject, Role role, const std::string& secret,
                    std::int64_t ttl_seconds);
// Unauthorized when the signature, the expiry or the claims are wrong.
Result<Credential> verifyJwt(std::string_view token, const std::string& secret);

}  // namespace lienthong::gateway
