// XMLDSig for the gateway over lienthong::signing: the EnvelopeChecker intake uses to verify the
// enveloped signature of documents and statuses against the node's trust store (one XmlVerifier
// built at start-up and shared by every request), and the MessageSigner that signs the statuses
// the node issues with the node's key. Both are immutable after construction and thread-safe.
//
// Revocation: `auto` checks when a source is given (the signer's certificate names an OCSP URL
// or a CRL distribution point, or the trust folder holds CRLs) and otherwise reports NOT_CHECKED
// with a warning; `require` always checks (no source is UNKNOWN); `off` never checks. UNKNOWN
// (INDETERMINATE / TRY_LATER) is refused unless `accept_unknown_revocation`.
// Signer match: the signer certificate's OrganId (organizationIdentifier) must name the From unit
// of a document; a status may also be signed by a gateway node (statuses 01, 15/16 and failure
// notices are issued by nodes): a node's seal names the node's top unit (nodeTopUnit).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "lienthong/gateway/store/audit_log.h"  // BlobSigner
#include "lienthong/gateway/node/envelope.h"
#include "lienthong/gateway/node/routing.h"

namespace lienthong::gateway {

enum class RevocationMode { Auto, Require, Off };
std::string_view revocationModeName(RevocationMode m);  // "auto", "require", "off"

struct SignaturePolicy {
  bool allow_unsigned = false;
  RevocationMode revocation = RevocationMode::Auto;
  bool accept_unknown_revocation = false;
  bool signer_must_match = true;
  bool allow_sha1 = false;
  int revocation_timeout_ms = 3000;
};

// `trust`: a folder (anchors, intermediates, *.crl) or a PEM bundle. Config naming the path when
// it cannot be loaded or holds no trust anchor. `max_bytes` bounds the XML the verifier parses.
Result<std::shared_ptr<const EnvelopeChecker>> makeXmlChecker(
    const std::string& trust, const SignaturePolicy& policy,
    std::shared_ptr<const RoutingTable> routing, std::size_t max_bytes);

// Signs statuses with the key in `key` (PEM file with `certificates`, a .p12 file, or a pkcs11:
// URI). KeyUnavailable / Config naming the file when the key cannot be loaded.
Result<std::shared_ptr<const MessageSigner>> makeXmlSigner(const std::string& key,
                                                           const std::string& passphrase,
                                                           const std::string& certificates);

Result<BlobSigner> makeCmsSigner(const std::string& key, const std::string& passphrase,
                                 const std::string& certificates);
// Verifies against the trust anchors in `trust` (folder or bundle); revocation is not checked
// (a checkpoint stays valid evidence after its signer's certificate is retired). When
// `allowed_signers` (SHA-256 fingerprints of certificates, lower-case hex) is not empty, a
// signature by any other trusted certificate is refused: audit checkpoints count only when the
// node's own seal made them.
Result<BlobVerifier> makeCmsVerifier(const std::string& trust,
                                     std::vector<std::string> allowed_signers = {});
// The SHA-256 fingerprints of the certificates in a PEM file, or of the certificate of a seal
// key (PEM + certificate file, .p12, pkcs11: URI) as SigningKey::load reads it.
Result<std::vector<std::string>> certificateFingerprints(const std::string& pem_file);
Result<std::string> sealFingerprint(const std::string& key, const std::string& passphrase,
                                    const std::string& certificates);

// The unit a node signs as: the first unit the node hosts whose parent is hosted elsewhere (or
// that has no parent). Empty when the node hosts no unit.
std::string nodeTopUnit(const schemas::Directory& directory, const std::string& node);

}  // namespace lienthong::gateway
