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
    if (sx::is(c, kDsigNs, "Signature") || sx::is(c, schemas::kEdxmlNs, "Signature")) return true;
    if (containsSignature(c->children)) return true;
  }
  return false;
}

struct XmlBufferFree {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};
using XmlBufferPtr = std::unique_ptr<xmlBuffer, XmlBufferFree>;

// The input bytes with the serialized Signature inserted just before the closing tag of
// edXMLHeader, where the tree has it (its last child): only the Signature is serialized and every
// other byte stays as the sender wrote it. Used only when that closing tag can be found without
// doubt (the header has element children, so it is not self-closed, and its closing tag's text
// occurs exactly once in the input); nullopt otherwise, and the caller serializes the tree.
std::optional<std::string> spliceSignature(std::string_view input, xmlNode* header, xmlNode* sig) {
  if (sx::firstElement(header) == sig) return std::nullopt;
  std::string close = "</";
  if (header->ns != nullptr && header->ns->prefix != nullptr) {
    close += reinterpret_cast<const char*>(header->ns->prefix);
    close += ':';
  }
  close += reinterpret_cast<const char*>(header->name);
  const std::size_t pos = input.find(close);
  if (pos == std::string_view::npos || input.find(close, pos + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t after = pos + close.size();
  constexpr std::string_view kTagEnd = ">\t\r\n ";
  if (after >= input.size() || kTagEnd.find(input[after]) == std::string_view::npos) {
    return std::nullopt;
  }
  XmlBufferPtr buf(xmlBufferCreate());
  if (!buf || xmlNodeDump(buf.get(), sig->doc, sig, 0, 0) < 0) return std::nullopt;
  const auto* bytes = reinterpret_cast<const char*>(xmlBufferContent(buf.get()));
  const auto length = static_cast<std::size_t>(xmlBufferLength(buf.get()));
  std::string out;
  out.reserve(input.size() + length);
  out.append(input.substr(0, pos)).append(bytes, length).append(input.substr(pos));
  return out;
}

}  // namespace

XmlSigner::XmlSigner(SigningKey key, XmlSignOptions options)
    : key_(std::move(key)), options_(std::move(options)) {
  certificates_base64_.push_back(schemas::codec::encodeBase64(key_.certificateDer(), 76));
  if (options_.include_chain) {
    for (X509* c : key_.chain()) {
      certificates_base64_.push_back(schemas::codec::encodeBase64(ossl::certificateDer(c), 76));
    }
  }
}

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
  xmlNs* ds = nullptr;
  // The vendor SDK's form: Signature without a namespace declaration, so in the document's
  // default namespace (edXML); SignedInfo in inclusive C14N, canonicalized where it stands.
  const Canonicalization si_c14n = options_.vendor_form ? Canonicalization::Inclusive : c14n;
  if (options_.vendor_form) {
    ds = xmlSearchNs(doc, header, nullptr);
    if (ds == nullptr || ds->href == nullptr ||
        std::string_view(reinterpret_cast<const char*>(ds->href)) != schemas::kEdxmlNs) {
      xmlFreeNode(sig);
      return fail(ErrorCode::InvalidArgument,
                  "the vendor SDK form needs the edXML namespace as the default namespace at "
                  "edXMLHeader");
    }
    xmlSetNs(sig, ds);
  } else {
    ds = xmlNewNs(sig, X(std::string(kDsigNs)), nullptr);
    xmlSetNs(sig, ds);
    xmlNewProp(sig, X("Id"), X(sig_id));
  }
  xmlAddChild(header, sig);

  xmlNode* signed_info = child(sig, ds, "SignedInfo");
  xmlNewProp(child(signed_info, ds, "CanonicalizationMethod"), X("Algorithm"),
             X(std::string(canonicalizationUri(si_c14n))));
  xmlNewProp(child(signed_info, ds, "SignatureMethod"), X("Algorithm"),
             X(std::string(signatureUri(scheme, digest))));
  xmlNode* ref = child(signed_info, ds, "Reference");
  xmlNewProp(ref, X("URI"), X(""));
  xmlNode* transforms = child(ref, ds, "Transforms");
  xmlNewProp(child(transforms, ds, "Transform"), X("Algorithm"),
             X(std::string(kEnvelopedTransformUri)));
  // The vendor SDK writes exclusive C14N with a URI of its own.
  xmlNewProp(child(transforms, ds, "Transform"), X("Algorithm"),
             X(options_.vendor_form && c14n == Canonicalization::Exclusive
                   ? std::string("http://www.w3.org/TR/xml-exc-c14n#")
                   : std::string(canonicalizationUri(c14n))));
  xmlNewProp(child(ref, ds, "DigestMethod"), X("Algorithm"), X(std::string(digestUri(digest))));
  child(ref, ds, "DigestValue", schemas::codec::encodeBase64(*doc_digest, 0));

  auto canonical = xmldsig::canonicalizeSubtree(doc, signed_info, si_c14n);
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
  for (const auto& b64 : certificates_base64_) child(x509_data, ds, "X509Certificate", b64);

  if (!options_.vendor_form && (options_.signing_time || options_.tsa)) {
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

  if (auto spliced = spliceSignature(edxml, header, sig)) return std::move(*spliced);
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  if (mem == nullptr) return fail(ErrorCode::Internal, "cannot serialize the signed document");
  ossl::XmlCharPtr owned(mem);
  return std::string(reinterpret_cast<char*>(mem), static_cast<std::size_t>(size));
}

}  // namespace lienthong::signing
