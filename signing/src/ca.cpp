#include "lienthong/signing/ca.h"

#include <arpa/inet.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>

#include "ca_openssl.h"
#include "lienthong/schemas/organ_id.h"

namespace lienthong::signing {

using namespace ca_detail;

namespace {

constexpr std::string_view kDocumentSigning = "1.3.6.1.5.5.7.3.36";  // RFC 9336
constexpr std::string_view kEmailProtection = "1.3.6.1.5.5.7.3.4";
constexpr std::string_view kServerAuth = "1.3.6.1.5.5.7.3.1";
constexpr std::string_view kClientAuth = "1.3.6.1.5.5.7.3.2";
constexpr std::string_view kOcspSigning = "1.3.6.1.5.5.7.3.9";
constexpr std::string_view kTimeStamping = "1.3.6.1.5.5.7.3.8";

UnixTime clockNow() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

bool contains(const std::vector<std::string>& items, std::string_view s) {
  return std::find(items.begin(), items.end(), s) != items.end();
}

std::string asn1Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return {};
  std::string text(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return text;
}

UnixTime fromAsn1Time(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return UnixTime{};
  return UnixTime{std::chrono::seconds(timegm(&tm))};
}

Asn1TimePtr toAsn1Time(UnixTime t) {
  return Asn1TimePtr(ASN1_TIME_set(nullptr, static_cast<time_t>(t.time_since_epoch().count())),
                     ASN1_TIME_free);
}

std::string serialHex(const ASN1_INTEGER* serial) {
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr), BN_free);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn.get());
  std::string out = hex ? hex : "";
  OPENSSL_free(hex);
  return out;
}

Result<Asn1IntegerPtr> serialFromHex(const std::string& hex) {
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, hex.c_str()) == 0) {
    return fail(ErrorCode::InvalidArgument, "serial '" + hex + "' is not hexadecimal");
  }
  BignumPtr bn(raw, BN_free);
  Asn1IntegerPtr out(BN_to_ASN1_INTEGER(bn.get(), nullptr), ASN1_INTEGER_free);
  if (!out) return cryptoFail("cannot encode serial " + hex);
  return out;
}

// 128 random bits, positive, first byte 0x10..0x7F so the hex form always has 32 digits.
Result<Asn1IntegerPtr> randomSerial() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return cryptoFail("no random bytes for a serial number");
  }
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7F) | 0x10);
  BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr), BN_free);
  Asn1IntegerPtr out(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr, ASN1_INTEGER_free);
  if (!out) return cryptoFail("cannot make a serial number");
  return out;
}

Result<EvpPkeyPtr> generateKey(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::Rsa2048: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}); break;
    case KeyType::Rsa3072: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{3072}); break;
    case KeyType::Rsa4096: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096}); break;
    case KeyType::P256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case KeyType::P384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
  }
  if (!key) return cryptoFail("cannot generate a " + std::string(keyTypeName(type)) + " key");
  return EvpPkeyPtr(key, EVP_PKEY_free);
}

std::string ecCurve(EVP_PKEY* key) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
    return {};
  }
  return std::string(name, len);
}

std::string keyDescription(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA " + std::to_string(EVP_PKEY_get_bits(key));
    case EVP_PKEY_EC: {
      std::string curve = ecCurve(key);
      if (curve == "prime256v1" || curve == "P-256") return "EC P-256";
      if (curve == "secp384r1" || curve == "P-384") return "EC P-384";
      return "EC " + curve;
    }
    default: {
      const char* name = EVP_PKEY_get0_type_name(key);
      return name ? name : "unknown";
    }
  }
}

// RSA of at least 2048 bits, or EC on P-256 or P-384; nothing else.
Result<void> checkKeyStrength(EVP_PKEY* key) {
  const std::string desc = keyDescription(key);
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048) {
      return fail(ErrorCode::InvalidArgument, "weak key: RSA " + std::to_string(bits) +
                                                  " bits; RSA keys need at least 2048 bits");
    }
    if (bits > 16384) {
      return fail(ErrorCode::InvalidArgument,
                  "RSA key of " + std::to_string(bits) + " bits is larger than 16384");
    }
    return {};
  }
  if (desc == "EC P-256" || desc == "EC P-384") return {};
  return fail(ErrorCode::InvalidArgument,
              "weak or unsupported key: " + desc + "; use RSA (2048 bits or more), EC P-256 or EC P-384");
}

const EVP_MD* digestFor(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) >= 384) return EVP_sha384();
  return EVP_sha256();
}

Result<EvpPkeyPtr> loadKey(std::string_view pem, std::string_view passphrase, std::string_view what) {
  auto bio = memBio(pem);
  std::string pass(passphrase);
  auto cb = [](char* buf, int size, int, void* u) -> int {
    const auto* p = static_cast<const std::string*>(u);
    int n = static_cast<int>(std::min<std::size_t>(p->size(), static_cast<std::size_t>(size)));
    std::memcpy(buf, p->data(), static_cast<std::size_t>(n));
    return n;
  };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, cb, &pass);
  if (!key) {
    std::string reason = opensslReason();
    return fail(ErrorCode::KeyUnavailable,
                "cannot decrypt the " + std::string(what) +
                    " key: wrong passphrase or damaged key" + (reason.empty() ? "" : " (" + reason + ")"));
  }
  return EvpPkeyPtr(key, EVP_PKEY_free);
}

Result<std::string> keyPem(EVP_PKEY* key, std::string_view passphrase) {
  auto bio = newMemBio();
  std::string pass(passphrase);
  int ok = passphrase.empty()
               ? PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), pass.data(),
                                               static_cast<int>(pass.size()), nullptr, nullptr);
  if (ok != 1) return cryptoFail("cannot write the private key");
  return bioText(bio.get());
}

std::string certPem(X509* cert) {
  auto bio = newMemBio();
  PEM_write_bio_X509(bio.get(), cert);
  return bioText(bio.get());
}

Result<X509Ptr> parseCertPem(std::string_view pem, std::string_view what) {
  auto bio = memBio(pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!cert) {
    ERR_clear_error();
    return fail(ErrorCode::CertificateInvalid, std::string(what) + " is not a PEM certificate");
  }
  return X509Ptr(cert, X509_free);
}

std::string nameText(const X509_NAME* name) {
  auto bio = newMemBio();
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return bioText(bio.get());
}

std::string nameEntry(const X509_NAME* name, int nid) {
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return {};
  return asn1Utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
}

std::string attributeName(const ASN1_OBJECT* obj) {
  int nid = OBJ_obj2nid(obj);
  if (nid != NID_undef) return OBJ_nid2sn(nid);
  char buf[128];
  OBJ_obj2txt(buf, sizeof buf, obj, 1);
  return buf;
}

std::string attributeMeaning(std::string_view sn) {
  if (sn == "CN") return "CN (full name or agency/host name)";
  if (sn == "O") return "O (organization name)";
  if (sn == "title") return "title (the official's position)";
  if (sn == "serialNumber") return "serialNumber";
  if (sn == "UID") return "UID (the personal identifier, e.g. CCCD:001099000123)";
  if (sn == "organizationIdentifier") return "organizationIdentifier (the unit's OrganId)";
  return std::string(sn);
}

// The request's subject against the profile: only allowed attributes, each once, none empty,
// the required ones present, organizationIdentifier a valid OrganId, C two letters.
Result<void> checkSubject(const ProfileSpec& spec, const X509_NAME* name) {
  const std::string prefix = "subject does not fit profile '" + std::string(profileName(spec.profile)) + "': ";
  std::vector<std::string> seen;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    std::string sn = attributeName(X509_NAME_ENTRY_get_object(e));
    if (!contains(spec.allowed_subject, sn)) {
      return fail(ErrorCode::InvalidArgument, prefix + "attribute '" + sn + "' is not allowed (allowed: " +
                                                  join(spec.allowed_subject, ", ") + ")");
    }
    if (contains(seen, sn)) {
      return fail(ErrorCode::InvalidArgument, prefix + "attribute '" + sn + "' appears more than once");
    }
    seen.push_back(sn);
    std::string value = asn1Utf8(X509_NAME_ENTRY_get_data(e));
    if (value.empty()) {
      return fail(ErrorCode::InvalidArgument, prefix + "attribute '" + sn + "' is empty");
    }
    if (sn == "organizationIdentifier") {
      auto id = schemas::OrganId::parse(value);
      if (!id) {
        return fail(ErrorCode::InvalidArgument,
                    prefix + "organizationIdentifier is not an OrganId (" + id.error().message + ")");
      }
    }
    if (sn == "UID") {
      const auto colon = value.find(':');
      const std::string prefix_text = colon == std::string::npos ? std::string() : value.substr(0, colon);
      const bool person = spec.profile == CertProfile::PersonalSigner;
      const std::vector<std::string> ok = person ? std::vector<std::string>{"CCCD", "CMND", "HC", "PID", "PPID", "BHXH"}
                                                 : std::vector<std::string>{"MST", "MNS"};
      if (!contains(ok, prefix_text) || colon + 1 >= value.size()) {
        return fail(ErrorCode::InvalidArgument,
                    prefix + "UID '" + value + "' must be " + join(ok, ":, ") + ": followed by the " +
                        (person ? "personal identifier" : "tax or budget-unit code"));
      }
    }
    if (sn == "C" && (value.size() != 2 || !std::isupper(static_cast<unsigned char>(value[0])) ||
                      !std::isupper(static_cast<unsigned char>(value[1])))) {
      return fail(ErrorCode::InvalidArgument, prefix + "C '" + value + "' is not a two-letter country code");
    }
  }
  for (const auto& req : spec.required_subject) {
    if (!contains(seen, req)) {
      return fail(ErrorCode::InvalidArgument, prefix + attributeMeaning(req) + " is missing");
    }
  }
  return {};
}

// A signer request that carries its personal identifier as serialNumber=CCCD:... (and no UID)
// gets it as UID in the same place, the profile real CAs use; nullptr when nothing moves.
X509NamePtr personalIdInUid(const ProfileSpec& spec, const X509_NAME* name) {
  if (spec.profile != CertProfile::PersonalSigner ||
      X509_NAME_get_index_by_NID(name, NID_userId, -1) >= 0)
    return X509NamePtr(nullptr, X509_NAME_free);
  const int idx = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  if (idx < 0) return X509NamePtr(nullptr, X509_NAME_free);
  const std::string value = asn1Utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
  const auto colon = value.find(':');
  const std::string p = colon == std::string::npos ? std::string() : value.substr(0, colon);
  if (!contains(std::vector<std::string>{"CCCD", "CMND", "HC", "PID", "PPID", "BHXH"}, p))
    return X509NamePtr(nullptr, X509_NAME_free);
  X509NamePtr out(X509_NAME_new(), X509_NAME_free);
  for (int i = 0; out && i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const bool ok = i == idx
                        ? X509_NAME_add_entry_by_NID(out.get(), NID_userId, MBSTRING_UTF8,
                                                     reinterpret_cast<const unsigned char*>(value.data()),
                                                     static_cast<int>(value.size()), -1, 0) == 1
                        : X509_NAME_add_entry(out.get(), e, -1, 0) == 1;
    if (!ok) return X509NamePtr(nullptr, X509_NAME_free);
  }
  return out;
}

Result<X509NamePtr> buildName(const SubjectFields& s) {
  X509NamePtr name(X509_NAME_new(), X509_NAME_free);
  auto add = [&](int nid, const std::string& value) -> bool {
    if (value.empty()) return true;
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  bool ok = add(NID_countryName, s.country) && add(NID_localityName, s.locality) &&
            add(NID_organizationName, s.organization) &&
            add(NID_organizationalUnitName, s.organizational_unit) &&
            add(NID_organizationIdentifier, s.organ_id) && add(NID_title, s.title) &&
            add(NID_userId, s.personal_id) && add(NID_commonName, s.common_name);
  if (!ok) {
    std::string reason = opensslReason();
    return fail(ErrorCode::InvalidArgument, "subject cannot be encoded: " + reason);
  }
  return name;
}

bool validDnsName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || (c == '*' && i == 0);
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

bool validIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool validUrl(std::string_view url) {
  if (!(url.starts_with("http://") || url.starts_with("https://"))) return false;
  for (char c : url) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || static_cast<unsigned char>(c) < 0x20) {
      return false;
    }
  }
  return url.size() > 8;
}

bool validOid(std::string_view oid) {
  if (oid.empty() || oid.front() == '.' || oid.back() == '.') return false;
  for (std::size_t i = 0; i < oid.size(); ++i) {
    if (oid[i] == '.') {
      if (oid[i + 1] == '.') return false;
    } else if (!std::isdigit(static_cast<unsigned char>(oid[i]))) {
      return false;
    }
  }
  return true;
}

// SAN names (DNS and IP) the request itself asks for; other name types are refused.
Result<std::pair<std::vector<std::string>, std::vector<std::string>>> requestedNames(X509_REQ* req) {
  std::pair<std::vector<std::string>, std::vector<std::string>> out;
  ExtStackPtr exts(X509_REQ_get_extensions(req));
  if (!exts) return out;
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)),
      GENERAL_NAMES_free);
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      out.first.push_back(asn1Utf8(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (ASN1_STRING_length(ip) != 4 && ASN1_STRING_length(ip) != 16) {
        return fail(ErrorCode::InvalidArgument, "subjectAltName IP address of bad length");
      }
      inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text);
      out.second.push_back(text);
    } else {
      return fail(ErrorCode::InvalidArgument,
                  "subjectAltName of the request holds a name that is not DNS or IP; profile 'tls' "
                  "allows DNS names and IP addresses only");
    }
  }
  return out;
}

// certificatePolicies with one bare policy OID; built directly because OpenSSL's text form for
// this extension needs a configuration database.
Result<void> addPolicy(X509* cert, const std::string& oid) {
  using PoliciesPtr = std::unique_ptr<CERTIFICATEPOLICIES, decltype(&CERTIFICATEPOLICIES_free)>;
  PoliciesPtr policies(CERTIFICATEPOLICIES_new(), CERTIFICATEPOLICIES_free);
  POLICYINFO* info = POLICYINFO_new();
  if (!policies || !info) {
    POLICYINFO_free(info);
    return cryptoFail("cannot build certificatePolicies");
  }
  ASN1_OBJECT_free(info->policyid);
  info->policyid = OBJ_txt2obj(oid.c_str(), 1);
  if (!info->policyid || sk_POLICYINFO_push(policies.get(), info) <= 0) {
    POLICYINFO_free(info);
    return cryptoFail("cannot build certificatePolicies " + oid);
  }
  if (X509_add1_ext_i2d(cert, NID_certificate_policies, policies.get(), 0, X509V3_ADD_APPEND) != 1) {
    return cryptoFail("cannot add certificatePolicies " + oid);
  }
  return {};
}

Result<void> addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (nid == NID_certificate_policies) return addPolicy(cert, value);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()), X509_EXTENSION_free);
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return cryptoFail(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
  return {};
}

struct Signer {
  X509* cert;      // issuer certificate
  EVP_PKEY* key;   // issuer key
};

// Builds and signs an end-entity certificate with exactly the profile's extensions.
Result<X509Ptr> buildEndEntity(const Signer& signer, const CaSettings& settings, const ProfileSpec& spec,
                               const X509_NAME* subject, EVP_PKEY* pubkey, const std::string& san,
                               UnixTime now) {
  X509Ptr cert(X509_new(), X509_free);
  auto serial = randomSerial();
  if (!serial) return std::unexpected(serial.error());
  UnixTime not_after = now + std::chrono::days(spec.validity_days);
  UnixTime issuer_end = fromAsn1Time(X509_get0_notAfter(signer.cert));
  if (not_after > issuer_end) not_after = issuer_end;
  auto nb = toAsn1Time(now);
  auto na = toAsn1Time(not_after);
  if (!cert || X509_set_version(cert.get(), 2) != 1 || X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(signer.cert)) != 1 ||
      X509_set_subject_name(cert.get(), subject) != 1 || !nb || !na ||
      X509_set1_notBefore(cert.get(), nb.get()) != 1 || X509_set1_notAfter(cert.get(), na.get()) != 1 ||
      X509_set_pubkey(cert.get(), pubkey) != 1) {
    return cryptoFail("cannot assemble the certificate");
  }
  std::vector<std::pair<int, std::string>> exts = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical," + join(spec.key_usage, ",")},
      {NID_ext_key_usage, (spec.eku_critical ? "critical," : "") + join(spec.extended_key_usage, ",")},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
      {NID_certificate_policies, spec.policy_oid},
      {NID_crl_distribution_points, "URI:" + settings.crl_url},
  };
  if (spec.ocsp_address) exts.emplace_back(NID_info_access, "OCSP;URI:" + settings.ocsp_url);
  if (spec.subject_alt_name) exts.emplace_back(NID_subject_alt_name, san);
  if (spec.ocsp_no_check) exts.emplace_back(NID_id_pkix_OCSP_noCheck, "yes");
  for (const auto& [nid, value] : exts) {
    auto ok = addExt(cert.get(), signer.cert, nid, value);
    if (!ok) return std::unexpected(ok.error());
  }
  if (X509_sign(cert.get(), signer.key, digestFor(signer.key)) <= 0) {
    return cryptoFail("cannot sign the certificate");
  }
  return cert;
}

Result<IssuedCertificate> describe(X509* cert, CertProfile profile) {
  IssuedCertificate out;
  out.serial = serialHex(X509_get0_serialNumber(cert));
  out.profile = profile;
  const X509_NAME* subject = X509_get_subject_name(cert);
  out.subject = nameText(subject);
  out.common_name = nameEntry(subject, NID_commonName);
  out.organ_id = nameEntry(subject, NID_organizationIdentifier);
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  out.key = pub ? keyDescription(pub) : "unknown";
  out.not_before = fromAsn1Time(X509_get0_notBefore(cert));
  out.not_after = fromAsn1Time(X509_get0_notAfter(cert));
  out.cert_pem = certPem(cert);
  return out;
}

Result<std::string> sanText(const std::vector<std::string>& dns, const std::vector<std::string>& ips) {
  std::vector<std::string> parts;
  for (const auto& d : dns) {
    if (!validDnsName(d)) return fail(ErrorCode::InvalidArgument, "'" + d + "' is not a DNS name");
    parts.push_back("DNS:" + d);
  }
  for (const auto& ip : ips) {
    if (!validIp(ip)) return fail(ErrorCode::InvalidArgument, "'" + ip + "' is not an IP address");
    parts.push_back("IP:" + ip);
  }
  return join(parts, ",");
}

// `crl_url`: the CRL distribution point (the ARL for the issuing CA); empty for the root.
Result<X509Ptr> makeCaCert(const CaSettings& settings, const std::string& cn, EVP_PKEY* key,
                           const Signer* issuer, int days, UnixTime now,
                           const std::string& crl_url = {}) {
  SubjectFields f;
  f.common_name = cn;
  f.organization = settings.province_name;
  f.organ_id = settings.organ_id;
  auto name = buildName(f);
  if (!name) return std::unexpected(name.error());
  X509Ptr cert(X509_new(), X509_free);
  auto serial = randomSerial();
  if (!serial) return std::unexpected(serial.error());
  auto nb = toAsn1Time(now);
  auto na = toAsn1Time(now + std::chrono::days(days));
  X509* issuer_cert = issuer ? issuer->cert : cert.get();
  if (!cert || X509_set_version(cert.get(), 2) != 1 || X509_set_serialNumber(cert.get(), serial->get()) != 1 ||
      X509_set_subject_name(cert.get(), name->get()) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer->cert) : name->get()) != 1 ||
      !nb || !na || X509_set1_notBefore(cert.get(), nb.get()) != 1 ||
      X509_set1_notAfter(cert.get(), na.get()) != 1 || X509_set_pubkey(cert.get(), key) != 1) {
    return cryptoFail("cannot assemble the CA certificate '" + cn + "'");
  }
  std::vector<std::pair<int, std::string>> exts = {
      {NID_basic_constraints, issuer ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
  };
  if (issuer) exts.emplace_back(NID_authority_key_identifier, "keyid:always");
  if (!crl_url.empty()) exts.emplace_back(NID_crl_distribution_points, "URI:" + crl_url);
  for (const auto& [nid, value] : exts) {
    auto ok = addExt(cert.get(), issuer_cert, nid, value);
    if (!ok) return std::unexpected(ok.error());
  }
  EVP_PKEY* sign_key = issuer ? issuer->key : key;
  if (X509_sign(cert.get(), sign_key, digestFor(sign_key)) <= 0) {
    return cryptoFail("cannot sign the CA certificate '" + cn + "'");
  }
  return cert;
}

}  // namespace

std::string_view profileName(CertProfile profile) {
  switch (profile) {
    case CertProfile::AgencySeal: return "seal";
    case CertProfile::PersonalSigner: return "signer";
    case CertProfile::NodeTls: return "tls";
    case CertProfile::OcspResponder: return "ocsp";
    case CertProfile::TimeStamping: return "tsa";
  }
  return "signer";
}

const std::vector<CertProfile>& allProfiles() {
  static const std::vector<CertProfile> kAll = {CertProfile::AgencySeal, CertProfile::PersonalSigner,
                                                CertProfile::NodeTls, CertProfile::OcspResponder,
                                                CertProfile::TimeStamping};
  return kAll;
}

Result<CertProfile> parseProfile(std::string_view name) {
  for (auto p : allProfiles()) {
    if (profileName(p) == name) return p;
  }
  return fail(ErrorCode::InvalidArgument,
              "unknown profile '" + std::string(name) + "'; known profiles: seal, signer, tls, ocsp, tsa");
}

std::string_view keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::Rsa2048: return "rsa2048";
    case KeyType::Rsa3072: return "rsa3072";
    case KeyType::Rsa4096: return "rsa4096";
    case KeyType::P256: return "p256";
    case KeyType::P384: return "p384";
  }
  return "p256";
}

Result<KeyType> parseKeyType(std::string_view name) {
  for (auto t : {KeyType::Rsa2048, KeyType::Rsa3072, KeyType::Rsa4096, KeyType::P256, KeyType::P384}) {
    if (keyTypeName(t) == name) return t;
  }
  return fail(ErrorCode::InvalidArgument, "unknown key type '" + std::string(name) +
                                              "'; known: rsa2048, rsa3072, rsa4096, p256, p384");
}

std::string_view reasonName(RevocationReason reason) {
  switch (reason) {
    case RevocationReason::Unspecified: return "unspecified";
    case RevocationReason::KeyCompromise: return "keyCompromise";
    case RevocationReason::CaCompromise: return "cACompromise";
    case RevocationReason::AffiliationChanged: return "affiliationChanged";
    case RevocationReason::Superseded: return "superseded";
    case RevocationReason::CessationOfOperation: return "cessationOfOperation";
    case RevocationReason::CertificateHold: return "certificateHold";
    case RevocationReason::PrivilegeWithdrawn: return "privilegeWithdrawn";
    case RevocationReason::AaCompromise: return "aACompromise";
  }
  return "unspecified";
}

Result<RevocationReason> parseReason(std::string_view name) {
  using R = RevocationReason;
  for (auto r : {R::Unspecified, R::KeyCompromise, R::CaCompromise, R::AffiliationChanged, R::Superseded,
                 R::CessationOfOperation, R::CertificateHold, R::PrivilegeWithdrawn, R::AaCompromise}) {
    std::string_view n = reasonName(r);
    if (n.size() == name.size() &&
        std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return r;
    }
  }
  return fail(ErrorCode::InvalidArgument,
              "unknown revocation reason '" + std::string(name) +
                  "'; RFC 5280 reasons: unspecified, keyCompromise, cACompromise, affiliationChanged, "
                  "superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise");
}

Result<std::string> normalizeSerial(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string out;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return fail(ErrorCode::InvalidArgument, "serial '" + std::string(text) + "' is not hexadecimal");
    }
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  std::size_t first = out.find_first_not_of('0');
  if (first == std::string::npos) {
    return fail(ErrorCode::InvalidArgument, "serial '" + std::string(text) + "' is empty or zero");
  }
  out.erase(0, first);
  if (out.size() % 2) out.insert(out.begin(), '0');  // BN_bn2hex writes whole bytes
  return out;
}

Result<void> checkSettings(const CaSettings& s) {
  if (s.province_name.empty()) return fail(ErrorCode::Config, "CA settings: province name is empty");
  auto id = schemas::OrganId::parse(s.organ_id);
  if (!id) return fail(ErrorCode::Config, "CA settings: organ id: " + id.error().message);
  if (id->form() == schemas::OrganId::Form::Other) {
    // A province's CA is a state body: its code is one of the two government forms.
    return fail(ErrorCode::Config, "CA settings: organ id '" + s.organ_id +
                                       "' is not a legacy or Decision 20/2020 code (" + id->note() + ")");
  }
  if (!validUrl(s.crl_url)) {
    return fail(ErrorCode::Config, "CA settings: CRL URL '" + s.crl_url +
                                       "' must start with http:// or https:// and hold no commas or spaces");
  }
  if (!validUrl(arlUrl(s))) {
    return fail(ErrorCode::Config,
                "CA settings: ARL URL '" + arlUrl(s) +
                    "' must start with http:// or https:// and hold no commas or spaces");
  }
  if (!validUrl(s.ocsp_url)) {
    return fail(ErrorCode::Config, "CA settings: OCSP URL '" + s.ocsp_url +
                                       "' must start with http:// or https:// and hold no commas or spaces");
  }
  if (!validOid(s.policy_arc)) {
    return fail(ErrorCode::Config, "CA settings: policy arc '" + s.policy_arc + "' is not a dotted OID");
  }
  if (s.root_validity_days < 365 || s.issuing_validity_days < 365 ||
      s.issuing_validity_days > s.root_validity_days) {
    return fail(ErrorCode::Config,
                "CA settings: validity must be at least 365 days, the issuing CA's within the root's");
  }
  return {};
}

std::string arlUrl(const CaSettings& s) {
  return s.arl_url.empty() ? s.crl_url + "/root" : s.arl_url;
}

ProfileSpec profileSpec(CertProfile profile, const CaSettings& settings) {
  ProfileSpec s;
  s.profile = profile;
  const std::vector<std::string> org_attrs = {"C", "ST", "L", "O", "OU", "CN", "organizationIdentifier"};
  s.allowed_subject = org_attrs;
  switch (profile) {
    case CertProfile::AgencySeal:
      s.key_usage = {"digitalSignature", "nonRepudiation"};
      s.extended_key_usage = {std::string(kDocumentSigning), std::string(kEmailProtection)};
      s.validity_days = 1095;
      s.policy_oid = settings.policy_arc + ".1";
      s.required_subject = {"O", "organizationIdentifier"};
      s.allowed_subject.push_back("UID");  // MST:<tax code> or MNS:<budget unit code>
      break;
    case CertProfile::PersonalSigner:
      s.key_usage = {"digitalSignature", "nonRepudiation"};
      s.extended_key_usage = {std::string(kDocumentSigning), std::string(kEmailProtection)};
      s.validity_days = 730;
      s.policy_oid = settings.policy_arc + ".2";
      // The personal identifier goes in UID with its prefix (CCCD:, CMND:, HC:, ...), as real
      // CAs write it; a request's serialNumber=CCCD:... is moved to UID.
      s.required_subject = {"CN", "title", "organizationIdentifier", "UID"};
      s.allowed_subject.push_back("title");
      s.allowed_subject.push_back("UID");
      break;
    case CertProfile::NodeTls:
      s.key_usage = {"digitalSignature", "keyEncipherment"};
      s.extended_key_usage = {std::string(kServerAuth), std::string(kClientAuth)};
      s.validity_days = 397;
      s.policy_oid = settings.policy_arc + ".3";
      s.subject_alt_name = true;
      s.required_subject = {"CN", "organizationIdentifier"};
      break;
    case CertProfile::OcspResponder:
      s.key_usage = {"digitalSignature"};
      s.extended_key_usage = {std::string(kOcspSigning)};
      s.validity_days = 365;
      s.policy_oid = settings.policy_arc + ".4";
      s.ocsp_address = false;
      s.ocsp_no_check = true;
      s.required_subject = {"CN", "organizationIdentifier"};
      break;
    case CertProfile::TimeStamping:
      s.key_usage = {"digitalSignature", "nonRepudiation"};
      s.extended_key_usage = {std::string(kTimeStamping)};
      s.eku_critical = true;  // RFC 3161 section 2.3
      s.validity_days = 1826;
      s.policy_oid = settings.policy_arc + ".5";
      s.required_subject = {"CN", "O", "organizationIdentifier"};
      break;
  }
  return s;
}

Result<KeyAndRequest> makeRequest(const SubjectFields& subject, KeyType key_type,
                                  std::string_view key_passphrase) {
  auto key = generateKey(key_type);
  if (!key) return std::unexpected(key.error());
  auto name = buildName(subject);
  if (!name) return std::unexpected(name.error());
  X509ReqPtr req(X509_REQ_new(), X509_REQ_free);
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_subject_name(req.get(), name->get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key->get()) != 1 ||
      X509_REQ_sign(req.get(), key->get(), digestFor(key->get())) <= 0) {
    return cryptoFail("cannot make the certificate request");
  }
  auto bio = newMemBio();
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  auto pem = keyPem(key->get(), key_passphrase);
  if (!pem) return std::unexpected(pem.error());
  return KeyAndRequest{*pem, bioText(bio.get())};
}

Result<CaBundle> createCa(const CaSettings& settings, std::string_view passphrase,
                          std::optional<UnixTime> now_opt) {
  if (auto ok = checkSettings(settings); !ok) return std::unexpected(ok.error());
  if (passphrase.size() < 12) {
    return fail(ErrorCode::InvalidArgument, "the CA passphrase must be at least 12 characters");
  }
  const UnixTime now = now_opt.value_or(clockNow());
  auto root_key = generateKey(settings.ca_key_type);
  if (!root_key) return std::unexpected(root_key.error());
  auto root = makeCaCert(settings, settings.province_name + " Root CA", root_key->get(), nullptr,
                         settings.root_validity_days, now);
  if (!root) return std::unexpected(root.error());
  auto issuing_key = generateKey(settings.ca_key_type);
  if (!issuing_key) return std::unexpected(issuing_key.error());
  Signer root_signer{root->get(), root_key->get()};
  auto issuing = makeCaCert(settings, settings.province_name + " Issuing CA", issuing_key->get(),
                            &root_signer, settings.issuing_validity_days, now, arlUrl(settings));
  if (!issuing) return std::unexpected(issuing.error());

  // The responder signs every OCSP answer, so it gets the fastest strong key.
  auto ocsp_key = generateKey(KeyType::P256);
  if (!ocsp_key) return std::unexpected(ocsp_key.error());
  SubjectFields of;
  of.common_name = settings.province_name + " OCSP Responder";
  of.organization = settings.province_name;
  of.organ_id = settings.organ_id;
  auto ocsp_name = buildName(of);
  if (!ocsp_name) return std::unexpected(ocsp_name.error());
  Signer issuing_signer{issuing->get(), issuing_key->get()};
  auto ocsp = buildEndEntity(issuing_signer, settings, profileSpec(CertProfile::OcspResponder, settings),
                             ocsp_name->get(), ocsp_key->get(), "", now);
  if (!ocsp) return std::unexpected(ocsp.error());

  CaBundle out;
  for (auto [pair, cert, key] : {std::tuple{&out.root, root->get(), root_key->get()},
                                 std::tuple{&out.issuing, issuing->get(), issuing_key->get()},
                                 std::tuple{&out.ocsp, ocsp->get(), ocsp_key->get()}}) {
    auto pem = keyPem(key, passphrase);
    if (!pem) return std::unexpected(pem.error());
    pair->cert_pem = certPem(cert);
    pair->encrypted_key_pem = std::move(*pem);
  }
  return out;
}

struct CertificateAuthority::Impl {
  CaSettings settings;
  std::string root_pem, issuing_pem, responder_pem;
  X509Ptr root{nullptr, X509_free};
  X509Ptr issuing{nullptr, X509_free};
  X509Ptr responder{nullptr, X509_free};
  EvpPkeyPtr issuing_key{nullptr, EVP_PKEY_free};
  EvpPkeyPtr responder_key{nullptr, EVP_PKEY_free};
  EvpPkeyPtr root_key{nullptr, EVP_PKEY_free};  // signs ARLs only

  Signer signer() const { return Signer{issuing.get(), issuing_key.get()}; }
};

CertificateAuthority::CertificateAuthority(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CertificateAuthority::~CertificateAuthority() = default;
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;

Result<CertificateAuthority> CertificateAuthority::load(const CaSettings& settings, const CaBundle& bundle,
                                                        std::string_view passphrase) {
  if (auto ok = checkSettings(settings); !ok) return std::unexpected(ok.error());
  auto impl = std::make_shared<Impl>();
  impl->settings = settings;
  impl->root_pem = bundle.root.cert_pem;
  impl->issuing_pem = bundle.issuing.cert_pem;
  impl->responder_pem = bundle.ocsp.cert_pem;
  auto root = parseCertPem(bundle.root.cert_pem, "the root CA certificate");
  if (!root) return std::unexpected(root.error());
  auto issuing = parseCertPem(bundle.issuing.cert_pem, "the issuing CA certificate");
  if (!issuing) return std::unexpected(issuing.error());
  auto responder = parseCertPem(bundle.ocsp.cert_pem, "the OCSP responder certificate");
  if (!responder) return std::unexpected(responder.error());
  auto issuing_key = loadKey(bundle.issuing.encrypted_key_pem, passphrase, "issuing CA");
  if (!issuing_key) return std::unexpected(issuing_key.error());
  auto responder_key = loadKey(bundle.ocsp.encrypted_key_pem, passphrase, "OCSP responder");
  if (!responder_key) return std::unexpected(responder_key.error());
  auto root_key = loadKey(bundle.root.encrypted_key_pem, passphrase, "root CA");
  if (!root_key) return std::unexpected(root_key.error());
  if (X509_check_private_key(issuing->get(), issuing_key->get()) != 1 ||
      X509_check_private_key(responder->get(), responder_key->get()) != 1 ||
      X509_check_private_key(root->get(), root_key->get()) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::KeyUnavailable, "a CA key does not match its certificate");
  }
  impl->root = std::move(*root);
  impl->issuing = std::move(*issuing);
  impl->responder = std::move(*responder);
  impl->issuing_key = std::move(*issuing_key);
  impl->responder_key = std::move(*responder_key);
  impl->root_key = std::move(*root_key);
  return CertificateAuthority(std::move(impl));
}

const CaSettings& CertificateAuthority::settings() const { return impl_->settings; }
const std::string& CertificateAuthority::rootCertPem() const { return impl_->root_pem; }
const std::string& CertificateAuthority::issuingCertPem() const { return impl_->issuing_pem; }
const std::string& CertificateAuthority::responderCertPem() const { return impl_->responder_pem; }
std::string CertificateAuthority::chainPem() const { return impl_->issuing_pem + impl_->root_pem; }

Result<IssuedCertificate> CertificateAuthority::issue(CertProfile profile, std::string_view csr,
                                                      const IssueOptions& options) const {
  X509_REQ* raw = nullptr;
  if (csr.find("-----BEGIN") != std::string_view::npos) {
    auto bio = memBio(csr);
    raw = PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr);
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(csr.data());
    raw = d2i_X509_REQ(nullptr, &p, static_cast<long>(csr.size()));
  }
  if (!raw) {
    ERR_clear_error();
    return fail(ErrorCode::InvalidArgument, "the request is not a PKCS#10 certificate request (PEM or DER)");
  }
  X509ReqPtr req(raw, X509_REQ_free);
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub) {
    ERR_clear_error();
    return fail(ErrorCode::InvalidArgument, "the request's public key cannot be read");
  }
  if (X509_REQ_verify(req.get(), pub) != 1) {
    ERR_clear_error();
    return fail(ErrorCode::SignatureInvalid,
                "the request's signature does not verify with its public key (altered or damaged request)");
  }
  if (auto ok = checkKeyStrength(pub); !ok) return std::unexpected(ok.error());
  const ProfileSpec spec = profileSpec(profile, impl_->settings);
  X509NamePtr moved = personalIdInUid(spec, X509_REQ_get_subject_name(req.get()));
  const X509_NAME* subject = moved ? moved.get() : X509_REQ_get_subject_name(req.get());
  if (auto ok = checkSubject(spec, subject); !ok) return std::unexpected(ok.error());
  std::string san;
  if (spec.subject_alt_name) {
    std::vector<std::string> dns = options.dns_names, ips = options.ip_addresses;
    if (dns.empty() && ips.empty()) {
      auto asked = requestedNames(req.get());
      if (!asked) return std::unexpected(asked.error());
      dns = asked->first;
      ips = asked->second;
    }
    if (dns.empty() && ips.empty()) {
      std::string cn = nameEntry(subject, NID_commonName);
      if (validIp(cn)) ips.push_back(cn);
      else dns.push_back(cn);
    }
    auto text = sanText(dns, ips);
    if (!text) return std::unexpected(text.error());
    san = *text;
  }
  auto cert = buildEndEntity(impl_->signer(), impl_->settings, spec, subject, pub, san,
                             options.now.value_or(clockNow()));
  if (!cert) return std::unexpected(cert.error());
  return describe(cert->get(), profile);
}

Result<GeneratedCredential> CertificateAuthority::generate(CertProfile profile, const SubjectFields& subject,
                                                           KeyType key_type, std::string_view p12_passphrase,
                                                           const IssueOptions& options) const {
  if (p12_passphrase.size() < 8) {
    return fail(ErrorCode::InvalidArgument, "the PKCS#12 passphrase must be at least 8 characters");
  }
  const ProfileSpec spec = profileSpec(profile, impl_->settings);
  auto name = buildName(subject);
  if (!name) return std::unexpected(name.error());
  if (auto ok = checkSubject(spec, name->get()); !ok) return std::unexpected(ok.error());
  std::string san;
  if (spec.subject_alt_name) {
    std::vector<std::string> dns = options.dns_names, ips = options.ip_addresses;
    if (dns.empty() && ips.empty()) {
      if (validIp(subject.common_name)) ips.push_back(subject.common_name);
      else dns.push_back(subject.common_name);
    }
    auto text = sanText(dns, ips);
    if (!text) return std::unexpected(text.error());
    san = *text;
  }
  auto key = generateKey(key_type);
  if (!key) return std::unexpected(key.error());
  auto cert = buildEndEntity(impl_->signer(), impl_->settings, spec, name->get(), key->get(), san,
                             options.now.value_or(clockNow()));
  if (!cert) return std::unexpected(cert.error());
  X509StackPtr chain(sk_X509_new_null());
  for (X509* c : {impl_->issuing.get(), impl_->root.get()}) {
    if (!chain || X509_up_ref(c) != 1) return cryptoFail("cannot build the PKCS#12 chain");
    if (sk_X509_push(chain.get(), c) <= 0) {
      X509_free(c);
      return cryptoFail("cannot build the PKCS#12 chain");
    }
  }
  std::string pass(p12_passphrase);
  std::string friendly = subject.common_name.empty() ? subject.organization : subject.common_name;
  Pkcs12Ptr p12(PKCS12_create(pass.c_str(), friendly.c_str(), key->get(), cert->get(), chain.get(), 0, 0,
                              0, 0, 0),
                PKCS12_free);
  if (!p12) return cryptoFail("cannot build the PKCS#12 file");
  auto bio = newMemBio();
  if (i2d_PKCS12_bio(bio.get(), p12.get()) != 1) return cryptoFail("cannot encode the PKCS#12 file");
  auto issued = describe(cert->get(), profile);
  if (!issued) return std::unexpected(issued.error());
  return GeneratedCredential{std::move(*issued), bioText(bio.get())};
}

namespace {

// CRL v2 by `issuer` signed with `key`: CRL number, authority key id, one entry per serial with its
// reason (none for unspecified). Returns DER.
Result<std::string> signCrl(X509* issuer, EVP_PKEY* key, const std::vector<RevokedEntry>& revoked,
                            std::int64_t crl_number, UnixTime this_update, UnixTime next_update) {
  if (next_update <= this_update) {
    return fail(ErrorCode::InvalidArgument, "CRL nextUpdate must be later than thisUpdate");
  }
  X509CrlPtr crl(X509_CRL_new(), X509_CRL_free);
  auto last = toAsn1Time(this_update);
  auto next = toAsn1Time(next_update);
  if (!crl || !last || !next || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return cryptoFail("cannot assemble the CRL");
  }
  for (const auto& entry : revoked) {
    auto serial = serialFromHex(entry.serial);
    if (!serial) return std::unexpected(serial.error());
    X509RevokedPtr rev(X509_REVOKED_new(), X509_REVOKED_free);
    auto when = toAsn1Time(entry.revoked_at);
    if (!rev || !when || X509_REVOKED_set_serialNumber(rev.get(), serial->get()) != 1 ||
        X509_REVOKED_set_revocationDate(rev.get(), when.get()) != 1) {
      return cryptoFail("cannot add serial " + entry.serial + " to the CRL");
    }
    // RFC 5280 5.3.1: the reason code is left out rather than written as unspecified.
    if (entry.reason != RevocationReason::Unspecified) {
      Asn1EnumPtr code(ASN1_ENUMERATED_new(), ASN1_ENUMERATED_free);
      if (!code || ASN1_ENUMERATED_set(code.get(), static_cast<long>(entry.reason)) != 1 ||
          X509_REVOKED_add1_ext_i2d(rev.get(), NID_crl_reason, code.get(), 0, 0) != 1) {
        return cryptoFail("cannot add the reason for serial " + entry.serial);
      }
    }
    if (X509_CRL_add0_revoked(crl.get(), rev.get()) != 1) return cryptoFail("cannot add a CRL entry");
    rev.release();  // owned by the CRL now
  }
  Asn1IntegerPtr number(ASN1_INTEGER_new(), ASN1_INTEGER_free);
  if (!number || ASN1_INTEGER_set_int64(number.get(), crl_number) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return cryptoFail("cannot set the CRL number");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl.get(), 0);
  X509ExtPtr aki(X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"),
                 X509_EXTENSION_free);
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) {
    return cryptoFail("cannot set the CRL authority key identifier");
  }
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), key, digestFor(key)) <= 0) return cryptoFail("cannot sign the CRL");
  int len = i2d_X509_CRL(crl.get(), nullptr);
  if (len <= 0) return cryptoFail("cannot encode the CRL");
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509_CRL(crl.get(), &p);
  return der;
}

}  // namespace

Result<std::string> CertificateAuthority::makeCrl(const std::vector<RevokedEntry>& revoked,
                                                  std::int64_t crl_number, UnixTime this_update,
                                                  UnixTime next_update) const {
  return signCrl(impl_->issuing.get(), impl_->issuing_key.get(), revoked, crl_number, this_update,
                 next_update);
}

Result<std::string> CertificateAuthority::makeArl(const std::vector<RevokedEntry>& revoked_cas,
                                                  std::int64_t crl_number, UnixTime this_update,
                                                  UnixTime next_update) const {
  return signCrl(impl_->root.get(), impl_->root_key.get(), revoked_cas, crl_number, this_update,
                 next_update);
}

std::string CertificateAuthority::issuingCrlDistributionPoint() const {
  auto* dps = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(impl_->issuing.get(), NID_crl_distribution_points, nullptr, nullptr));
  if (dps == nullptr) return {};
  DistPointsPtr owned(dps);
  for (int i = 0; i < sk_DIST_POINT_num(dps); ++i) {
    const DIST_POINT* dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
      if (gn->type == GEN_URI) return asn1Utf8(gn->d.uniformResourceIdentifier);
    }
  }
  return {};
}

namespace {

std::string ocspStatusOnly(int status) {
  OcspResponsePtr resp(OCSP_response_create(status, nullptr), OCSP_RESPONSE_free);
  if (!resp) return {};
  int len = i2d_OCSP_RESPONSE(resp.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_OCSP_RESPONSE(resp.get(), &p);
  return der;
}

}  // namespace

std::string CertificateAuthority::answerOcsp(
    std::string_view request_der, const std::function<SerialStatus(const std::string& serial)>& lookup,
    UnixTime now) const {
  const auto* p = reinterpret_cast<const unsigned char*>(request_der.data());
  OcspRequestPtr req(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(request_der.size())), OCSP_REQUEST_free);
  if (!req || OCSP_request_onereq_count(req.get()) <= 0) {
    ERR_clear_error();
    return ocspStatusOnly(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
  }
  OcspBasicPtr basic(OCSP_BASICRESP_new(), OCSP_BASICRESP_free);
  auto this_update = toAsn1Time(now);
  auto next_update = toAsn1Time(now + impl_->settings.ocsp_validity);
  if (!basic || !this_update || !next_update) {
    ERR_clear_error();
    return ocspStatusOnly(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
  for (int i = 0; i < OCSP_request_onereq_count(req.get()); ++i) {
    OCSP_CERTID* cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), i));
    ASN1_OBJECT* md_obj = nullptr;
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, &md_obj, nullptr, &serial, cid);
    const EVP_MD* md = md_obj ? EVP_get_digestbyobj(md_obj) : nullptr;
    SerialStatus status;  // unknown unless the id names our issuing CA
    if (md && serial) {
      OcspCertIdPtr ours(OCSP_cert_to_id(md, nullptr, impl_->issuing.get()), OCSP_CERTID_free);
      if (ours && OCSP_id_issuer_cmp(ours.get(), cid) == 0) status = lookup(serialHex(serial));
    }
    int code = V_OCSP_CERTSTATUS_UNKNOWN;
    int reason = OCSP_REVOKED_STATUS_NOSTATUS;
    Asn1TimePtr revoked_at(nullptr, ASN1_TIME_free);
    if (status.kind == SerialStatus::Kind::Good) code = V_OCSP_CERTSTATUS_GOOD;
    if (status.kind == SerialStatus::Kind::Revoked) {
      code = V_OCSP_CERTSTATUS_REVOKED;
      revoked_at = toAsn1Time(status.revoked_at);
      if (status.reason != RevocationReason::Unspecified) reason = static_cast<int>(status.reason);
    }
    if (!OCSP_basic_add1_status(basic.get(), cid, code, reason, revoked_at.get(), this_update.get(),
                                next_update.get())) {
      ERR_clear_error();
      return ocspStatusOnly(OCSP_RESPONSE_STATUS_INTERNALERROR);
    }
  }
  if (OCSP_copy_nonce(basic.get(), req.get()) <= 0 ||
      OCSP_basic_sign(basic.get(), impl_->responder.get(), impl_->responder_key.get(), EVP_sha256(), nullptr,
                      0) != 1) {
    ERR_clear_error();
    return ocspStatusOnly(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
  OcspResponsePtr resp(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()), OCSP_RESPONSE_free);
  if (!resp) {
    ERR_clear_error();
    return ocspStatusOnly(OCSP_RESPONSE_STATUS_INTERNALERROR);
  }
  int len = i2d_OCSP_RESPONSE(resp.get(), nullptr);
  std::string der(static_cast<std::size_t>(std::max(len, 0)), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_OCSP_RESPONSE(resp.get(), &out);
  return der;
}

Result<IssuedCertificate> describeCertificate(std::string_view cert_pem, const CaSettings& settings) {
  auto cert = parseCertPem(cert_pem, "the certificate");
  if (!cert) return std::unexpected(cert.error());
  auto* policies = static_cast<CERTIFICATEPOLICIES*>(
      X509_get_ext_d2i(cert->get(), NID_certificate_policies, nullptr, nullptr));
  std::string oid;
  if (policies) {
    if (sk_POLICYINFO_num(policies) > 0) {
      char buf[128];
      OBJ_obj2txt(buf, sizeof buf, sk_POLICYINFO_value(policies, 0)->policyid, 1);
      oid = buf;
    }
    CERTIFICATEPOLICIES_free(policies);
  }
  for (auto p : allProfiles()) {
    if (profileSpec(p, settings).policy_oid == oid) return describe(cert->get(), p);
  }
  return fail(ErrorCode::CertificateInvalid,
              "the certificate carries no policy of this CA (policy '" + oid + "')");
}

}  // namespace lienthong::signing
