// The outcome of validating one signature, in the vocabulary of ETSI EN 319 102-1: an indication
// (TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE), a sub-indication saying why, the signer as named by
// the certificate (with the OrganId it carries), the signing time used, the algorithms, the
// revocation evidence and warnings. Rendered as JSON for machines and as one short paragraph in
// Vietnamese or English for clerks. Value type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lienthong::signing {

enum class Indication { TotalPassed, TotalFailed, Indeterminate };

enum class SubIndication {
  None,                        // with TotalPassed
  // TOTAL_FAILED
  FormatFailure,               // not in the profile: wrapping, extra references, transforms ...
  HashFailure,                 // the signed data changed
  SigCryptoFailure,            // the signature value does not verify with the certificate's key
  Revoked,                     // a certificate of the chain is revoked
  Expired,                     // signing time after the signer certificate's notAfter
  NotYetValid,                 // signing time before notBefore
  // INDETERMINATE
  NoSigningCertificateFound,   // no usable certificate in KeyInfo / SignerInfo
  NoCertificateChainFound,     // no path to a trust anchor
  ChainConstraintsFailure,     // key usage of the signer certificate does not allow signing
  CertificateChainGeneralFailure,
  CryptoConstraintsFailure,    // an algorithm the policy refuses (SHA-1, short keys)
  TryLater,                    // revocation status unknown (source unreachable, stale, silent)
  OutOfBoundsNoPoe,            // the signer certificate is expired now and no time-stamp proves
                               // the signature older (a claimed time proves nothing)
  RevokedNoPoe,                // the certificate is revoked now and no time-stamp proves the
                               // signature older than the revocation
  SignedDataNotFound,          // no signature at all
};

// The indication each sub-indication belongs to.
Indication indicationOf(SubIndication s);
std::string_view indicationName(Indication i);      // "TOTAL_PASSED"
std::string_view subIndicationName(SubIndication s);  // "HASH_FAILURE", "" for None

enum class RevocationStatus { NotChecked, Good, Revoked, Unknown };
std::string_view revocationStatusName(RevocationStatus s);  // "GOOD", "REVOKED", "UNKNOWN", ...

struct CertificateInfo {
  std::string subject;       // RFC 2253 form
  std::string common_name;
  std::string organization;  // O
  std::string organ_id;      // organizationIdentifier / UID / OU that parses as an OrganId, or ""
  std::vector<std::string> uids;  // the subject's UID values ("CCCD:...", "MST:..."), in order
  std::string serial;        // hex, upper case
  std::string issuer;        // RFC 2253 form
  std::string not_before;    // ISO 8601 UTC
  std::string not_after;
  std::int64_t not_after_unix = 0;  // the same, seconds since the epoch
  std::string sha256;        // fingerprint of the DER, hex lower case
};

struct RevocationInfo {
  RevocationStatus status = RevocationStatus::NotChecked;
  std::string source;        // "OCSP http://..." / "CRL file:..." / "CRL http://..."
  std::string produced_at;   // ISO 8601 of the OCSP response / CRL thisUpdate
  std::string revoked_at;    // when status is Revoked
  std::string detail;        // why it is Unknown
};

struct ValidationReport {
  Indication indication = Indication::Indeterminate;
  SubIndication sub_indication = SubIndication::SignedDataNotFound;
  std::string format;  // "XMLDSig (edXML)", "CAdES-BES"
  std::string detail;  // what failed, in English, for logs ("reference digest mismatch")

  std::optional<CertificateInfo> signer;
  std::vector<CertificateInfo> chain;  // signer first, trust anchor last, when a path was built

  // The time the certificate was checked at, and where it came from: "timestamp" (a verified
  // RFC 3161 token), "claimed" (a signed signing time, only when the policy trusts claimed
  // times), "validation" (now).
  std::optional<std::chrono::system_clock::time_point> signing_time;
  std::string signing_time_source;
  // The signing time the signature claims (CMS signing-time, PDF /M, XML SigningTime), shown to
  // the reader but never a proof of existence; claimed_time_signed says whether the signature
  // covers it (a SigningTime in an unreferenced Object is not covered).
  std::optional<std::chrono::system_clock::time_point> claimed_time;
  bool claimed_time_signed = false;
  // The trust list the chain was built against ("VN-TL 2026.12.1 + local 3f2a..."), empty when
  // the store has no version.
  std::string trust_list;
  // Integrity of the signed data and the signature value, apart from trust in the certificate:
  // "intact" (digest and signature value verified), "broken", or "" when not reached.
  std::string integrity;

  std::string digest_algorithm;         // "SHA-256"
  std::string signature_algorithm;      // "RSA", "RSA-PSS", "ECDSA" with the digest: "RSA-SHA256"
  std::string canonicalization;         // URI
  int key_bits = 0;
  RevocationInfo revocation;            // the signer certificate's status
  std::vector<std::string> warnings;    // English, e.g. "SHA-1 is weak; accepted by policy"

  bool passed() const { return indication == Indication::TotalPassed; }
  // Sets the sub-indication, its indication and the detail at once.
  void setFailure(SubIndication s, std::string why);

  std::string toJson() const;
  // One short paragraph: "Chữ ký hợp lệ. Người ký: ... (000.00.00.H41), ký lúc ..." / "Signature
  // valid. Signer: ...".
  std::string textVi() const;
  std::string textEn() const;
};

// "2026-11-20T03:04:05Z"
std::string isoTime(std::chrono::system_clock::time_point t);

}  // namespace lienthong::signing
