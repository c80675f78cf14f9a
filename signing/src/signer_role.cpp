// Signer roles from real Vietnamese certificate profiles (../shared/vn-pki/README.md): the
// identifier prefixes in the subject's UID, organizationIdentifier, and for public-duty (VGCA)
// certificates without a UID a match with the sending agency or the seal registry. Key usage,
// extended key usage and policy are the same for persons and organisations and are never used to
// tell them apart (an EKU only keeps TLS, OCSP and time-stamping certificates out of both roles).
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <memory>

#include "lienthong/signing/pdf_verifier.h"
#include "ossl.h"

namespace lienthong::signing {

namespace {

std::vector<std::string> nameEntries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  int pos = -1;
  while ((pos = X509_NAME_get_index_by_NID(name, nid, pos)) >= 0) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, pos));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n >= 0) {
      out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
      OPENSSL_free(utf8);
    }
  }
  return out;
}

std::string upperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// "CCCD:0010..." / "CCCD: 0010" / "cccd:..." -> "CCCD"; "" without a prefix.
std::string prefixOf(std::string_view value) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 8) return {};
  std::string p = upperAscii(value.substr(0, colon));
  while (!p.empty() && p.back() == ' ') p.pop_back();
  return p;
}

constexpr std::array<std::string_view, 6> kPersonPrefixes = {"CCCD", "CMND", "HC", "PID", "PPID", "BHXH"};
constexpr std::array<std::string_view, 2> kOrganisationPrefixes = {"MST", "MNS"};

bool isOneOf(std::string_view p, auto const& list) {
  return std::ranges::any_of(list, [&](std::string_view x) { return x == p; });
}

// No extendedKeyUsage, or one that allows signing documents: id-kp-documentSigning (RFC 9336),
// Microsoft document signing, emailProtection (VNPT, Viettel and VGCA certificates carry it,
// often beside clientAuth) or anyExtendedKeyUsage. Keeps TLS, OCSP and time-stamping
// certificates out of both roles.
bool allowsDocumentSigning(X509* cert) {
  const int idx = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
  if (idx < 0) return true;
  struct EkuFree {
    void operator()(EXTENDED_KEY_USAGE* e) const { EXTENDED_KEY_USAGE_free(e); }
  };
  std::unique_ptr<EXTENDED_KEY_USAGE, EkuFree> eku(static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr)));
  if (!eku) return false;
  for (int i = 0; i < sk_ASN1_OBJECT_num(eku.get()); ++i) {
    char oid[80];
    OBJ_obj2txt(oid, sizeof oid, sk_ASN1_OBJECT_value(eku.get(), i), 1);
    const std::string_view o(oid);
    if (o == "1.3.6.1.5.5.7.3.36" || o == "1.3.6.1.4.1.311.10.3.12" || o == "1.3.6.1.5.5.7.3.4" ||
        o == "2.5.29.37.0")
      return true;
  }
  return false;
}

// Decodes UTF-8 into code points; invalid bytes are kept as themselves.
std::u32string decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
      out += c;
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += static_cast<std::size_t>(len);
  }
  return out;
}

// Lower case for the letters Vietnamese names use: ASCII, Latin-1 (À..Þ), Ă Đ Ĩ Ũ Ơ Ư and the
// Latin Extended Additional block (Ạ..ỹ, upper case at even code points).
char32_t foldVi(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if ((c == 0x102 || c == 0x110 || c == 0x128 || c == 0x168 || c == 0x1A0 || c == 0x1AF)) return c + 1;
  if (c >= 0x1EA0 && c <= 0x1EF9 && (c % 2) == 0) return c + 1;
  return c;
}

// Case-folded, spaces collapsed, for comparing a certificate's CN/O with a sender's name.
std::u32string normalName(std::string_view s) {
  std::u32string out;
  bool space = false;
  for (char32_t c : decode(s)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xA0) {
      space = !out.empty();
      continue;
    }
    if (space) out += U' ';
    space = false;
    out += foldVi(c);
  }
  return out;
}

bool sameName(std::string_view a, std::string_view b) {
  const auto na = normalName(a);
  return !na.empty() && na == normalName(b);
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string nameDer(const X509_NAME* name) {
  const unsigned char* der = nullptr;
  std::size_t len = 0;
  if (X509_NAME_get0_der(const_cast<X509_NAME*>(name), &der, &len) != 1) return {};
  return std::string(reinterpret_cast<const char*>(der), len);
}

}  // namespace

Result<void> SealRegistry::addPem(std::string_view pem) {
  auto certs = ossl::readCertificatesPem(pem);
  if (!certs) return std::unexpected(certs.error());
  if (certs->empty()) return fail(ErrorCode::InvalidArgument, "seal registry: no PEM certificate");
  for (auto& c : *certs) {
    Entry e;
    e.sha256 = fingerprint(c.get());
    e.subject_der = nameDer(X509_get_subject_name(c.get()));
    e.issuer_der = nameDer(X509_get_issuer_name(c.get()));
    entries_.push_back(std::move(e));
  }
  return {};
}

bool SealRegistry::contains(X509* cert) const {
  if (!cert) return false;
  const std::string fp = fingerprint(cert);
  const std::string subject = nameDer(X509_get_subject_name(cert));
  const std::string issuer = nameDer(X509_get_issuer_name(cert));
  return std::ranges::any_of(entries_, [&](const Entry& e) {
    return e.sha256 == fp || (e.subject_der == subject && e.issuer_der == issuer);
  });
}

RoleDecision classifySigner(X509* cert, const RoleContext& ctx) {
  RoleDecision d;
  if (!cert) {
    d.basis = "no certificate";
    return d;
  }
  if (!allowsDocumentSigning(cert)) {
    d.basis = "extendedKeyUsage does not allow signing documents";
    return d;
  }
  const X509_NAME* subject = X509_get_subject_name(cert);
  // The identifiers with a prefix: UID first (commercial CAs), then serialNumber (some CAs and
  // this project's earlier profile put CCCD:... there).
  std::vector<std::string> ids = nameEntries(subject, NID_userId);
  for (auto& v : nameEntries(subject, NID_serialNumber)) ids.push_back(std::move(v));
  std::string org_id;
  for (const auto& v : ids) {
    const std::string p = prefixOf(v);
    if (isOneOf(p, kPersonPrefixes)) {
      d.role = SignerRole::Personal;
      d.basis = "personal identifier " + p + ": in the subject";
      return d;  // a personal prefix wins over MST: (an employee's tax code)
    }
    if (isOneOf(p, kOrganisationPrefixes) && org_id.empty()) org_id = p;
  }
  if (!org_id.empty()) {
    d.role = SignerRole::Agency;
    d.basis = "organisation identifier " + org_id + ": in the subject";
    return d;
  }
  if (X509_NAME_get_index_by_NID(subject, NID_organizationIdentifier, -1) >= 0) {
    d.role = SignerRole::Agency;
    d.basis = "organizationIdentifier in the subject";
    return d;
  }
  // No identifier (the public-duty CA's profile): the registry, then the sending agency.
  if (ctx.seals && ctx.seals->contains(cert)) {
    d.role = SignerRole::Agency;
    d.basis = "listed in the agencies' seal certificate registry";
    return d;
  }
  const auto cn = nameEntries(subject, NID_commonName);
  const auto o = nameEntries(subject, NID_organizationName);
  if (!ctx.sender_name.empty() && !cn.empty() && sameName(cn.front(), ctx.sender_name) &&
      (ctx.sender_parent.empty() || o.empty() || sameName(o.front(), ctx.sender_parent))) {
    d.role = SignerRole::Agency;
    d.basis = "CN is the sending agency's name";
    return d;
  }
  const bool person_attrs = X509_NAME_get_index_by_NID(subject, NID_title, -1) >= 0 ||
                            X509_NAME_get_index_by_NID(subject, NID_givenName, -1) >= 0 ||
                            X509_NAME_get_index_by_NID(subject, NID_surname, -1) >= 0 ||
                            X509_NAME_get_index_by_NID(subject, NID_pseudonym, -1) >= 0;
  if (person_attrs) {
    d.role = SignerRole::Personal;
    d.basis = "the subject names a person (title, givenName or surname)";
    return d;
  }
  if (!ctx.sender_name.empty() || (ctx.seals && !ctx.seals->empty())) {
    d.role = SignerRole::Personal;
    d.basis = "no identifier; neither the sending agency nor a registered seal";
    return d;
  }
  d.basis = "no identifier in the subject and no sending agency or seal registry to match";
  return d;
}

SignerRole signerRole(X509* cert, const RoleContext& ctx) { return classifySigner(cert, ctx).role; }

bool sameAgencyName(std::string_view a, std::string_view b) { return sameName(a, b) && !normalName(b).empty(); }

}  // namespace lienthong::signing
