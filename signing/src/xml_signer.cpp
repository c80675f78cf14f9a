#include "lienthong/signing/xml_signer.h"

#include <libxml/xmlsave.h>
#include <openssl/rand.h>

#include "lienthong/schemas/codec.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/xml.h"
#include "lienthong/signing/validation_report.h"
#include "ossl.h"
#include "xmldsig.h"

namespace lienthong::signing {

namespace sx = lienthong::schemas::xml;
using schemas::kDsigNs;

namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return reinterpret_cast<const xmlChar*>(s.c_str()); }

xmlNode* child(xmlNode* parent, xmlNs* ns, const char* name, const std::string& text = {}) {
  return xmlNewChild(parent, ns, X(name), text.empty() ? nullptr : X(text));
}

bool containsSignature(const xmlNode* n) {
  for (const xmlNode* c = n; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (sx::is(c, kDsigNs, "Signature")) return true;
    if (containsSignature(c->children)) return true;
  }
  return false;
}

}  // namespace

XmlSigner::XmlSigner(SigningKey key, XmlSignOptions options)
    : key_(std::move(key)), options_(std::move(options)) {}

Result<std::string> XmlSigner::sign(std::string_view edxml) const {
  auto parsed = schemas::XmlDocument::parse(edxml);
  if (!parsed) return std::unexpected(parsed.error());
  xmlDoc* doc = parsed->get();
  xmlNode* header = xmldsig::findHeader(parsed->root());
  if (header == nullptr) {
    return fail(ErrorCode::MissingElement,
                "not an edXML document with one edXML/edXMLEnvelope/edXMLHeader", 0,
                "edXMLHeader");
  }
  if (containsSignature(parsed->root())) {
    return fail(ErrorCode::SignatureInvalid,
                "the document is already signed; the profile allows exactly one Signature", 0,
                "Signature");
  }
  const SignatureScheme scheme = options_.scheme.value_or(key_.defaultScheme());
  const DigestAlgorithm digest = options_.digest;
  const Canonicalization c14n = options_.canonicalization;

  auto doc_digest = xmldsig::digestDocument(doc, nullptr, c14n, ossl::md(static_cast<int>(digest)));
  if (!doc_digest) return std::unexpected(doc_digest.error());

  unsigned char rnd[8];
  RAND_bytes(rnd, sizeof rnd);
  const std::string sig_id =
      "sig-" + ossl::hex(std::string_view(reinterpret_cast<char*>(rnd), sizeof rnd));

  xmlNode* sig = xmlNewDocNode(doc, nullptr, X("Signature"), nullptr);
  xmlNs* ds = xmlNewNs(sig, X(std::string(kDsigNs)), nullptr);
  xmlSetNs(sig, ds);
  xmlNewProp(sig, X("Id"), X(sig_id));
  xmlAddChild(header, sig);

  xmlNode* signed_info = child(sig, ds, "SignedInfo");
  xmlNewProp(child(signed_info, ds, "CanonicalizationMethod"), X("Algorithm"),
             X(std::string(canonicalizationUri(c14n))));
  xmlNewProp(child(signed_info, ds, "SignatureMethod"), X("Algorithm"),
             X(std::string(signatureUri(scheme, digest))));
  xmlNode* ref = child(signed_info, ds, "Reference");
  xmlNewProp(ref, X("URI"), X(""));
  xmlNode* transforms = child(ref, ds, "Transforms");
  xmlNewProp(child(transforms, ds, "Transform"), X("Algorithm"),
             X(std::string(kEnvelopedTransformUri)));
  xmlNewProp(child(transforms, ds, "Transform"), X("Algorithm"),
             X(std::string(canonicalizationUri(c14n))));
  xmlNewProp(child(ref, ds, "DigestMethod"), X("Algorithm"), X(std::string(digestUri(digest))));
  child(ref, ds, "DigestValue", schemas::codec::encodeBase64(*doc_digest, 0));

  auto canonical = xmldsig::canonicalizeSubtree(doc, signed_info, c14n);
  if (!canonical) return std::unexpected(canonical.error());
  auto value = key_.sign(*canonical, digest, scheme);
  if (!value) return std::unexpected(value.error());
  if (scheme == SignatureScheme::Ecdsa) {
    value = xmldsig::ecdsaDerToRaw(*value, xmldsig::ecFieldBytes(X509_get0_pubkey(key_.certificate())));
    if (!value) return std::unexpected(value.error());
  }
  child(sig, ds, "SignatureValue", schemas::codec::encodeBase64(*value, 76));

  xmlNode* key_info = child(sig, ds, "KeyInfo");
  xmlNode* x509_data = child(key_info, ds, "X509Data");
  child(x509_data, ds, "X509Certificate",
        schemas::codec::encodeBase64(key_.certificateDer(), 76));
  if (options_.include_chain) {
    for (X509* c : key_.chain()) {
      child(x509_data, ds, "X509Certificate",
            schemas::codec::encodeBase64(ossl::certificateDer(c), 76));
    }
  }

  if (options_.signing_time || options_.tsa) {
    xmlNode* object = child(sig, ds, "Object");
    xmlNode* props = child(object, ds, "SignatureProperties");
    xmlNode* prop = child(props, ds, "SignatureProperty");
    xmlNewProp(prop, X("Target"), X("#" + sig_id));
    // Declared on SignatureProperty so that both children (siblings) are in its scope.
    xmlNs* lt = xmlNewNs(prop, X(std::string(kLienthongSigNs)), X("lt"));
    if (options_.signing_time) {
      auto at = options_.at.value_or(std::chrono::system_clock::now());
      xmlNewChild(prop, lt, X("SigningTime"), X(isoTime(at)));
    }
    if (options_.tsa) {
      auto token = options_.tsa->timestamp(*value, DigestAlgorithm::Sha256);
      if (!token) return std::unexpected(token.error());
      xmlNewChild(prop, lt, X("SignatureTimeStamp"), X(schemas::codec::encodeBase64(*token, 76)));
    }
  }

  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (mem == nullptr) return fail(ErrorCode::Internal, "cannot serialize the signed document");
  ossl::XmlCharPtr owned(mem);
  return std::string(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size));
}

}  // namespace lienthong::signing
