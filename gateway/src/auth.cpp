#include "lienthong/gateway/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <chrono>
#include <sstream>

namespace lienthong::gateway {

std::string_view roleName(Role r) {
  switch (r) {
    case Role::Office: return "office";
    case Role::Admin: return "admin";
    case Role::Auditor: return "auditor";
    case Role::Node: return "node";
    case Role::System: return "system";
    case Role::None: break;
  }
  return "none";
}

Role parseRole(std::string_view text) {
  if (text == "office") return Role::Office;
  if (text == "admin") return Role::Admin;
  if (text == "auditor") return Role::Auditor;
  if (text == "node") return Role::Node;
  return Role::None;  // "system" is never accepted from outside
}

namespace {

std::string b64url(std::string_view in) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.rdbuf()->setLineLength(0);
  enc.write(in.data(), static_cast<std::streamsize>(in.size()));
  enc.close();
  return out.str();
}

Result<std::string> unb64url(std::string_view in) {
  try {
    std::istringstream src{std::string(in)};
    Poco::Base64Decoder dec(src, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
    return out;
  } catch (const Poco::Exception&) {
    return fail(ErrorCode::Unauthorized, "bearer token: bad base64url");
  }
}

std::string hs256(std::string_view data, const std::string& secret) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len);
  return std::string(reinterpret_cast<const char*>(md.data()), len);
}

std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string makeJwt(const std::string& subject, Role role, const std::string& secret,
                    std::int64_t ttl_seconds) {
  Poco::JSON::Object claims;
  claims.set("sub", subject);
  claims.set("role", std::string(roleName(role)));
  claims.set("exp", nowSeconds() + ttl_seconds);
  std::ostringstream body;
  claims.stringify(body);
  const std::string signing_input =
      b64url(R"({"alg":"HS256","typ":"JWT"})") + "." + b64url(body.str());
  return signing_input + "." + b64url(hs256(signing_input, secret));
}

Result<Credential> verifyJwt(std::string_view token, const std::string& secret) {
  if (secret.empty()) return fail(ErrorCode::Unauthorized, "bearer tokens are not enabled on this node");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return fail(ErrorCode::Unauthorized, "bearer token: not a JWT");
  auto header = unb64url(token.substr(0, dot1));
  auto payload = unb64url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = unb64url(token.substr(dot2 + 1));
  if (!header || !payload || !sig) return fail(ErrorCode::Unauthorized, "bearer token: bad encoding");
  const std::string expected = hs256(token.substr(0, dot2), secret);
  if (sig->size() != expected.size() ||
      CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
    return fail(ErrorCode::Unauthorized, "bearer token: bad signature");
  }
  try {
    Poco::JSON::Parser parser;
    auto h = parser.parse(*header).extract<Poco::JSON::Object::Ptr>();
    if (h->optValue<std::string>("alg", "") != "HS256") {
      return fail(ErrorCode::Unauthorized, "bearer token: only HS256 is accepted");
    }
    Poco::JSON::Parser p2;
    auto c = p2.parse(*payload).extract<Poco::JSON::Object::Ptr>();
    const auto exp = c->optValue<Poco::Int64>("exp", 0);
    if (exp <= nowSeconds()) return fail(ErrorCode::Unauthorized, "bearer token: expired");
    Credential cred;
    cred.subject = c->optValue<std::string>("sub", "");
    cred.role = parseRole(c->optValue<std::string>("role", ""));
    cred.via = "token";
    if (cred.subject.empty() || cred.role == Role::None) {
      return fail(ErrorCode::Unauthorized, "bearer token: missing sub or role");
    }
    return cred;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Unauthorized, "bearer token: " + e.displayText());
  }
}

}  // namespace lienthong::gateway
