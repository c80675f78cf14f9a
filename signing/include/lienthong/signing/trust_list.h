// The Vietnamese trust list: the public CA certificates of signing/trust/vn/ built in at compile
// time (each pinned by SHA-256, a versioned snapshot), plus what an operator adds or removes in a
// local folder (the node's own CA goes there, beside the national anchors, never in their
// place). Only self-signed certificates are anchors; the others only help build chains. Every
// store made here carries a version string that validation reports name:
// "VN-TL 2026.12.1" or "VN-TL 2026.12.1 + local 3f2a9c01b7de" (a digest of the local entries).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/signing/trust_store.h"

namespace lienthong::signing {

struct BuiltinCertificate {
  std::string_view name;    // file name in signing/trust/vn/
  bool anchor = false;      // a root (trust anchor) or an intermediate
  std::string_view sha256;  // pinned fingerprint of the certificate's DER, hex lower case
  std::string_view bytes;   // the file as it was built in (PEM or DER)
};
std::string_view builtinTrustListVersion();  // "VN-TL 2026.12.1"
const std::vector<BuiltinCertificate>& builtinCertificates();

struct TrustListEntry {
  std::string sha256;   // fingerprint, hex lower case
  std::string kind;     // "anchor" or "intermediate"
  std::string source;   // "built-in" or "local"
  std::string file;     // built-in name or local file path
  std::string subject;  // RFC 2253
  std::string issuer;
  std::string not_before;
  std::string not_after;
  bool removed = false;  // a built-in entry the operator withdrew
};

// The local folder's removal list: one fingerprint a line.
inline constexpr const char* kTrustRemovedFile = "removed.sha256";

// Every entry of the built-in list and of `local` (a folder or a PEM bundle; empty: none).
// CertificateInvalid when a built-in certificate does not match its pin.
Result<std::vector<TrustListEntry>> trustListEntries(const std::filesystem::path& local);
Result<std::string> trustListVersion(const std::filesystem::path& local);
// A store with the built-in list (without removed entries) and everything of `local` beside it
// (certificates and CRLs, as TrustStore::load reads them), versioned.
Result<TrustStore> nationalTrustStore(const std::filesystem::path& local);

// Adds a certificate (PEM or DER) to the local folder as <sha256 prefix>.pem; InvalidArgument when
// it is not one certificate, AlreadyExists-like InvalidArgument when it is listed already.
Result<TrustListEntry> trustListAdd(const std::filesystem::path& local, std::string_view bytes);
// Removes the entry whose fingerprint starts with `sha256_prefix` (at least 8 hex digits): a
// local file is deleted, a built-in entry is written to the removal list.
Result<TrustListEntry> trustListRemove(const std::filesystem::path& local,
                                       std::string_view sha256_prefix);
// The entry whose fingerprint starts with `sha256_prefix`.
Result<TrustListEntry> trustListFind(const std::filesystem::path& local,
                                     std::string_view sha256_prefix);

}  // namespace lienthong::signing
