// HMAC-SHA256 and SHA-256 helpers shared by the webhook signature and the axis-style protocol, so
// both sides (this node and a DMS or a peer written against the same rules) compute the same
// strings. Pure functions over OpenSSL; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace lienthong::adapters {

// SHA-256 of `data`, lower-case hex (64 characters).
std::string sha256Hex(std::string_view data);
// HMAC-SHA256 of `data` under `key`, lower-case hex (64 characters).
std::string hmacSha256Hex(std::string_view key, std::string_view data);
// Compares two strings in time that depends only on their lengths (for signatures).
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace lienthong::adapters
