#include "lienthong/gateway/http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <memory>
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

std::string makeJwt(const TokenClient& client, std::int64_t ttl_seconds) {
  return makeJwt(client.id, client.organ, client.role, client.secret, ttl_seconds);
}

std::string makeJwt(const std::string& kid, const std::string& subject, Role role,
                    const std::string& secret, std::int64_t ttl_seconds) {
  Poco::JSON::Object header;
  header.set("alg", "HS256");
  header.set("typ", "JWT");
  header.set("kid", kid);
  Poco::JSON::Object claims;
  claims.set("sub", subject);
  claims.set("role", std::string(roleName(role)));
  claims.set("exp", nowSeconds() + ttl_seconds);
  std::ostringstream head, body;
  header.stringify(head);
  claims.stringify(body);
  const std::string signing_input = b64url(head.str()) + "." + b64url(body.str());
  return signing_input + "." + b64url(hs256(signing_input, secret));
}

Result<Credential> verifyJwt(std::string_view token, const std::vector<TokenClient>& clients) {
  if (clients.empty()) return fail(ErrorCode::Unauthorized, "bearer tokens are not enabled on this node (auth.clients)");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return fail(ErrorCode::Unauthorized, "bearer token: not a JWT");
  auto header = unb64url(token.substr(0, dot1));
  auto payload = unb64url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = unb64url(token.substr(dot2 + 1));
  if (!header || !payload || !sig) return fail(ErrorCode::Unauthorized, "bearer token: bad encoding");
  try {
    Poco::JSON::Parser parser;
    auto h = parser.parse(*header).extract<Poco::JSON::Object::Ptr>();
    if (h->optValue<std::string>("alg", "") != "HS256") {
      return fail(ErrorCode::Unauthorized, "bearer token: only HS256 is accepted");
    }
    const std::string kid = h->optValue<std::string>("kid", "");
    const auto client = std::find_if(clients.begin(), clients.end(),
                                     [&](const TokenClient& c) { return c.id == kid; });
    if (kid.empty() || client == clients.end()) {
      return fail(ErrorCode::Unauthorized, "bearer token: its kid names no client of auth.clients");
    }
    const std::string expected = hs256(token.substr(0, dot2), client->secret);
    if (sig->size() != expected.size() ||
        CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
      return fail(ErrorCode::Unauthorized, "bearer token: bad signature for client '" + kid + "'");
    }
    Poco::JSON::Parser p2;
    auto c = p2.parse(*payload).extract<Poco::JSON::Object::Ptr>();
    const auto exp = c->optValue<Poco::Int64>("exp", 0);
    if (exp <= nowSeconds()) return fail(ErrorCode::Unauthorized, "bearer token: expired");
    const std::string role = c->optValue<std::string>("role", "");
    const std::string sub = c->optValue<std::string>("sub", "");
    if (role != roleName(client->role)) {
      return fail(ErrorCode::Unauthorized, "bearer token: client '" + kid + "' may carry only the " +
                                               std::string(roleName(client->role)) + " role");
    }
    if (sub != client->organ) {
      return fail(ErrorCode::Unauthorized, "bearer token: client '" + kid + "' acts only for " +
                                               client->organ);
    }
    return Credential{client->role, client->organ, "token"};
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Unauthorized, "bearer token: " + e.displayText());
  }
}

namespace {

std::string hexOf(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

// Lower case, without the ':' and ' ' separators certificate viewers print.
std::string normaliseHex(std::string_view v) {
  std::string out;
  for (char ch : v) {
    if (ch == ':' || ch == ' ') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

// A serial is a number: "00ab" and "ab" are the same serial. A fingerprint keeps every digit.
std::string normaliseSerial(std::string_view v) {
  std::string out = normaliseHex(v);
  while (out.size() > 1 && out[0] == '0') out.erase(0, 1);
  return out;
}

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

bool hasPolicy(const X509* cert, const std::string& oid) {
  using Policies = STACK_OF(POLICYINFO);
  std::unique_ptr<Policies, void (*)(Policies*)> pols(
      static_cast<Policies*>(X509_get_ext_d2i(cert, NID_certificate_policies, nullptr, nullptr)),
      [](Policies* p) { sk_POLICYINFO_pop_free(p, POLICYINFO_free); });
  if (!pols) return false;
  for (int i = 0; i < sk_POLICYINFO_num(pols.get()); ++i) {
    char buf[128];
    OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(pols.get(), i)->policyid, 1);
    if (oid == buf) return true;
  }
  return false;
}

std::string commonName(const X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (i < 0) return {};
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
  if (n < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

std::string certificateSha256(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  return hexOf(md, n);
}

std::string certificateSerial(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  return normaliseSerial(hexOf(serial->data, static_cast<std::size_t>(serial->length)));
}

std::string certificateSubject(const X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool hasControlCharacter(std::string_view value) {
  return std::any_of(value.begin(), value.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u < 0x20 || u == 0x7f;
  });
}

Result<CertificateRule> parseCertificateRule(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::string role, identity, match;
  in >> role >> identity >> match;
  std::string value;
  std::getline(in, value);
  value = trimmed(value);
  CertificateRule r;
  r.role = parseRole(role);
  if (r.role == Role::None) {
    return fail(ErrorCode::Config, "'" + role + "' is not a role (office, node, admin, auditor)");
  }
  if (identity.empty() || match.empty() || value.empty()) {
    return fail(ErrorCode::Config, "expected 'ROLE IDENTITY sha256|serial|subject|policy VALUE'");
  }
  r.identity = identity;
  if (match == "sha256") r.match = CertificateRule::Match::Sha256;
  else if (match == "serial") r.match = CertificateRule::Match::Serial;
  else if (match == "subject") r.match = CertificateRule::Match::Subject;
  else if (match == "policy") r.match = CertificateRule::Match::Policy;
  else return fail(ErrorCode::Config, "'" + match + "' is not sha256, serial, subject or policy");
  if (identity == "*" && r.match != CertificateRule::Match::Policy) {
    return fail(ErrorCode::Config, "identity '*' (the certificate's CN) is allowed with 'policy' only");
  }
  if (r.match == CertificateRule::Match::Sha256 || r.match == CertificateRule::Match::Serial) {
    r.value = r.match == CertificateRule::Match::Serial ? normaliseSerial(value) : normaliseHex(value);
    if (r.value.find_first_not_of("0123456789abcdef") != std::string::npos ||
        (r.match == CertificateRule::Match::Sha256 && r.value.size() != 64)) {
      return fail(ErrorCode::Config, "'" + value + "' is not a hexadecimal " + match);
    }
  } else if (r.match == CertificateRule::Match::Policy) {
    if (value.find_first_not_of("0123456789.") != std::string::npos) {
      return fail(ErrorCode::Config, "'" + value + "' is not an OID");
    }
    r.value = value;
  } else {
    r.value = value;
  }
  return r;
}

Result<std::vector<CertificateRule>> loadCertificateRules(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::Config, path + ": cannot read the certificate map");
  std::vector<CertificateRule> rules;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const std::string t = trimmed(line);
    if (t.empty() || t[0] == '#') continue;
    auto r = parseCertificateRule(t);
    if (!r) return fail(ErrorCode::Config, path + ":" + std::to_string(lineno) + ": " + r.error().message);
    rules.push_back(std::move(*r));
  }
  return rules;
}

Credential certificateIdentity(const X509* cert, const std::vector<CertificateRule>& rules) {
  if (cert == nullptr) return {};
  std::string sha, serial, subject;  // computed when a rule needs them
  for (const auto& r : rules) {
    bool hit = false;
    switch (r.match) {
      case CertificateRule::Match::Sha256:
        if (sha.empty()) sha = certificateSha256(cert);
        hit = sha == r.value;
        break;
      case CertificateRule::Match::Serial:
        if (serial.empty()) serial = certificateSerial(cert);
        hit = serial == r.value;
        break;
      case CertificateRule::Match::Subject:
        if (subject.empty()) subject = certificateSubject(cert);
        hit = subject == r.value;
        break;
      case CertificateRule::Match::Policy:
        hit = hasPolicy(cert, r.value);
        break;
    }
    if (!hit) continue;
    Credential c{r.role, r.identity == "*" ? commonName(cert) : r.identity, "certificate"};
    if (c.subject.empty() || hasControlCharacter(c.subject)) continue;
    return c;
  }
  return {};
}

}  // namespace lienthong::gateway
