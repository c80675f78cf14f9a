// Certificate-authority engine for a province: creates a root CA, an issuing CA and an OCSP
// responder certificate; issues end-entity certificates from PKCS#10 requests or from keys it
// generates (returned as PKCS#12); builds CRLs and OCSP responses (RFC 5280, RFC 6960), and the
// root's own CRL (the ARL, listing revoked CA certificates) that the issuing CA certificate's CRL
// distribution point names, so relying parties can check the issuing CA too.
//
// The engine keeps no records: which certificates exist and which are revoked is the caller's
// (the gateway's store) business, handed in for each CRL or OCSP answer. No network, no database.
// Private keys leave the engine only as passphrase-encrypted PKCS#8 PEM or PKCS#12.
//
// Thread-safety: a loaded CertificateAuthority is immutable and may be used from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"

namespace lienthong::signing {

using UnixTime = std::chrono::sys_seconds;

// What a certificate is for. Each profile fixes key usage, extended key usage, validity, policy,
// CRL distribution point, OCSP address and which subject attributes are required or allowed.
enum class CertProfile {
  AgencySeal,      // "seal": the agency's signature (chữ ký số của cơ quan), organizationIdentifier = OrganId
  PersonalSigner,  // "signer": an official's personal signature: name, title, unit OrganId, personal id
  NodeTls,         // "tls": a gateway node, server and client authentication, subjectAltName
  OcspResponder,   // "ocsp": signs OCSP responses for the issuing CA
  TimeStamping,    // "tsa": an RFC 3161 time-stamp authority
};

std::string_view profileName(CertProfile profile);
// Accepts "seal", "signer", "tls", "ocsp", "tsa"; InvalidArgument naming the known ones otherwise.
Result<CertProfile> parseProfile(std::string_view name);
const std::vector<CertProfile>& allProfiles();

enum class KeyType { Rsa2048, Rsa3072, Rsa4096, P256, P384 };
std::string_view keyTypeName(KeyType type);  // "rsa2048", "p256", ...
Result<KeyType> parseKeyType(std::string_view name);

// RFC 5280 CRLReason values; names as in the RFC ("keyCompromise").
enum class RevocationReason {
  Unspecified = 0,
  KeyCompromise = 1,
  CaCompromise = 2,
  AffiliationChanged = 3,
  Superseded = 4,
  CessationOfOperation = 5,
  CertificateHold = 6,
  PrivilegeWithdrawn = 9,
  AaCompromise = 10,
};
std::string_view reasonName(RevocationReason reason);
Result<RevocationReason> parseReason(std::string_view name);

struct CaSettings {
  std::string province_name;  // organization name in the CA subjects, e.g. "UBND tinh Lao Cai"
  std::string organ_id;       // the province's OrganId (organizationIdentifier of the CAs)
  std::string crl_url;        // CRL distribution point written into issued certificates
  // CRL distribution point written into the issuing CA certificate: where the root's CRL (the
  // ARL) is published. Empty: crl_url + "/root" (the gateway serves /crl and /crl/root).
  std::string arl_url;
  std::string ocsp_url;       // OCSP address (authorityInfoAccess) written into issued certificates
  // Certificate policy arc; profile policies are arc.1 (seal) .. arc.5 (tsa). Configure the arc
  // the province registered; the default lies under Viet Nam's country arc 2.16.704.
  std::string policy_arc = "2.16.704.1.99.1";
  KeyType ca_key_type = KeyType::P384;
  int root_validity_days = 7305;
  int issuing_validity_days = 3652;
  std::chrono::seconds ocsp_validity{std::chrono::hours(24)};  // nextUpdate of OCSP answers
};

// Checks the settings: OrganId, URLs (http/https, no commas or spaces), policy arc.
Result<void> checkSettings(const CaSettings& settings);

// The ARL address of `settings`: arl_url, or crl_url + "/root" when arl_url is empty.
std::string arlUrl(const CaSettings& settings);

// The fixed content of one profile, as applied to certificates.
struct ProfileSpec {
  CertProfile profile = CertProfile::PersonalSigner;
  std::vector<std::string> key_usage;           // OpenSSL names in DER order, always critical
  std::vector<std::string> extended_key_usage;  // dotted OIDs
  bool eku_critical = false;
  int validity_days = 0;
  std::string policy_oid;
  bool ocsp_address = true;     // authorityInfoAccess with the OCSP URL
  bool ocsp_no_check = false;   // id-pkix-ocsp-nocheck (responder certificates)
  bool subject_alt_name = false;
  std::vector<std::string> required_subject;  // OpenSSL short names, e.g. "CN", "title"
  std::vector<std::string> allowed_subject;   // everything else in a subject is refused
};
ProfileSpec profileSpec(CertProfile profile, const CaSettings& settings);

// Subject of a certificate to request or generate. Empty fields are left out.
struct SubjectFields {
  std::string common_name;          // CN: official's full name, agency name or host name
  std::string organization;         // O
  std::string organizational_unit;  // OU
  std::string organ_id;             // organizationIdentifier (2.5.4.97): an OrganId
  std::string title;                // title (2.5.4.12): the official's position
  std::string personal_id;          // UID (0.9.2342.19200300.100.1.1), e.g. "CCCD:001099000123"
  std::string locality;             // L
  std::string country = "VN";       // C
};

// A CA certificate with its private key as encrypted PKCS#8 PEM.
struct CaKeyPair {
  std::string cert_pem;
  std::string encrypted_key_pem;
};

struct CaBundle {
  CaKeyPair root;
  CaKeyPair issuing;
  CaKeyPair ocsp;  // responder certificate issued by the issuing CA (profile ocsp)
};

// Creates the root CA, the issuing CA and the OCSP responder, keys encrypted with `passphrase`
// (AES-256-CBC, PBKDF2). The passphrase must be at least 12 characters. The issuing CA
// certificate names arlUrl(settings) as its CRL distribution point.
Result<CaBundle> createCa(const CaSettings& settings, std::string_view passphrase,
                          std::optional<UnixTime> now = std::nullopt);

struct IssuedCertificate {
  std::string serial;  // upper-case hex, 32 digits
  CertProfile profile = CertProfile::PersonalSigner;
  std::string subject;      // RFC 2253 text
  std::string common_name;
  std::string organ_id;     // organizationIdentifier of the subject
  std::string key;          // "RSA 2048", "EC P-256"
  UnixTime not_before{};
  UnixTime not_after{};
  std::string cert_pem;
};

struct GeneratedCredential {
  IssuedCertificate certificate;
  std::string pkcs12;  // DER, key + certificate + chain, protected by the caller's passphrase
};

struct IssueOptions {
  // subjectAltName for the tls profile; when both are empty the request's own subjectAltName is
  // used, and failing that the CN as a DNS name.
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::optional<UnixTime> now;  // issuing time; the clock when empty
};

struct KeyAndRequest {
  std::string key_pem;  // PKCS#8, encrypted when a passphrase was given
  std::string csr_pem;
};

// Makes a key and a PKCS#10 request for `subject` (what an official's token software does).
Result<KeyAndRequest> makeRequest(const SubjectFields& subject, KeyType key_type,
                                  std::string_view key_passphrase = {});

struct RevokedEntry {
  std::string serial;  // hex
  UnixTime revoked_at{};
  RevocationReason reason = RevocationReason::Unspecified;
};

// Revocation state of one serial, as the caller's records say.
struct SerialStatus {
  enum class Kind { Good, Revoked, Unknown };
  Kind kind = Kind::Unknown;
  UnixTime revoked_at{};
  RevocationReason reason = RevocationReason::Unspecified;
};

// Normalizes a serial typed by a person ("0x1a:2b", "1A2B") to upper-case hex without separators;
// InvalidArgument when it is not hex.
Result<std::string> normalizeSerial(std::string_view text);

class CertificateAuthority {
 public:
  // Loads the issuing CA, responder and root keys (the root key signs ARLs only); KeyUnavailable
  // with the reason when the passphrase is wrong or a key does not match its certificate.
  static Result<CertificateAuthority> load(const CaSettings& settings, const CaBundle& bundle,
                                           std::string_view passphrase);

  // Issues from a PKCS#10 request (PEM or DER). Refuses, saying why: a request whose signature
  // does not verify (SignatureInvalid), a weak key or a subject that does not fit the profile
  // (InvalidArgument).
  Result<IssuedCertificate> issue(CertProfile profile, std::string_view csr,
                                  const IssueOptions& options = {}) const;

  // Generates the key, issues, and returns both as PKCS#12 protected by `p12_passphrase`
  // (at least 8 characters).
  Result<GeneratedCredential> generate(CertProfile profile, const SubjectFields& subject,
                                       KeyType key_type, std::string_view p12_passphrase,
                                       const IssueOptions& options = {}) const;

  // CRL v2 signed by the issuing CA: CRL number, authority key id, one entry per revoked serial
  // with its reason (none for unspecified). Returns DER.
  Result<std::string> makeCrl(const std::vector<RevokedEntry>& revoked, std::int64_t crl_number,
                              UnixTime this_update, UnixTime next_update) const;
  // The root's CRL (the ARL; its scope is what the root issued: the issuing CA certificate): CRL v2
  // signed by the root key with the extensions of makeCrl (CRL number, authority key id).
  // `revoked_cas` is normally empty. Returns DER.
  Result<std::string> makeArl(const std::vector<RevokedEntry>& revoked_cas, std::int64_t crl_number,
                              UnixTime this_update, UnixTime next_update) const;
  // The URI of the issuing CA certificate's CRL distribution point; empty for a CA created
  // before ARLs existed (its issuing CA certificate names none).
  std::string issuingCrlDistributionPoint() const;

  // Answers a DER OCSPRequest with a DER OCSPResponse signed by the responder certificate,
  // echoing the request's nonce. A request that cannot be parsed gets a malformedRequest response
  // (still a valid answer); certificate ids naming another issuer are answered unknown.
  std::string answerOcsp(std::string_view request_der,
                         const std::function<SerialStatus(const std::string& serial)>& lookup,
                         UnixTime now) const;

  const CaSettings& settings() const;
  const std::string& rootCertPem() const;
  const std::string& issuingCertPem() const;
  const std::string& responderCertPem() const;
  // Issuing CA then root, PEM: the chain a relying party needs.
  std::string chainPem() const;

  ~CertificateAuthority();
  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;

 private:
  struct Impl;
  explicit CertificateAuthority(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// Reads a certificate (PEM) into its inventory fields; profile is taken from the policy OID.
Result<IssuedCertificate> describeCertificate(std::string_view cert_pem, const CaSettings& settings);

}  // namespace lienthong::signing
