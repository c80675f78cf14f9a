#include "lienthong/signing/xml_verifier.h"

#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include <functional>
#include <set>

#include "lienthong/schemas/codec.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/signing/algorithms.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/xml_signer.h"
#include "ossl.h"
#include "trust_state.h"
#include "xmldsig.h"

namespace lienthong::signing {

namespace sx = lienthong::schemas::xml;
using schemas::kDsigNs;
using Clock = std::chrono::system_clock;

namespace {

// Exclusive C14N as the vendor SDK names it (the standard URI is
// http://www.w3.org/2001/10/xml-exc-c14n#).
constexpr std::string_view kVendorExcC14nUri = "http://www.w3.org/TR/xml-exc-c14n#";

struct Scan {
  std::vector<xmlNode*> signatures;
  std::set<std::string> ids;
  std::string duplicate_id;
};

void scan(xmlNode* n, Scan& s) {
  for (xmlNode* c = n; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    // XMLDSig's Signature, or the vendor SDK's: a Signature written without the XMLDSig
    // namespace, which lands in the edXML default namespace.
    if (sx::is(c, kDsigNs, "Signature") || sx::is(c, schemas::kEdxmlNs, "Signature"))
      s.signatures.push_back(c);
    for (xmlAttr* a = c->properties; a != nullptr; a = a->next) {
      std::string_view name(reinterpret_cast<const char*>(a->name));
      if (name == "Id" || name == "ID" || name == "id") {
        std::string v = sx::attribute(c, reinterpret_cast<const char*>(a->name));
        if (!s.ids.insert(v).second && s.duplicate_id.empty()) s.duplicate_id = v;
      }
    }
    scan(c->children, s);
  }
}

bool hasAttribute(const xmlNode* n, const char* name) {
  return xmlHasProp(n, reinterpret_cast<const xmlChar*>(name)) != nullptr;
}

// True when the element has only the allowed attributes.
bool onlyAttributes(const xmlNode* n, std::initializer_list<std::string_view> allowed) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    std::string_view name(reinterpret_cast<const char*>(a->name));
    if (a->ns != nullptr || std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return false;
    }
  }
  return true;
}

// Children that are elements, checking that there is no non-blank text among them.
std::optional<std::vector<xmlNode*>> elementChildren(const xmlNode* n) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      for (const xmlChar* p = c->content; p != nullptr && *p != 0; ++p) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return std::nullopt;
      }
    } else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
      return std::nullopt;
    }
  }
  return out;
}

// The namespace the Signature's elements are in: XMLDSig's, or the edXML one (vendor SDK).
// Set once per verification by checkProfile's caller; every element of the signature must be
// in the same namespace as the Signature element itself.
struct SigNs {
  std::string_view ns = kDsigNs;
  bool is(const xmlNode* n, const char* name) const { return sx::is(n, ns, name); }
};

std::optional<Clock::time_point> parseIso(const std::string& s) {
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (end == nullptr || *end != 0) return std::nullopt;
  return Clock::from_time_t(timegm(&tm));
}

struct Profile {
  xmlNode* signed_info = nullptr;
  xmlNode* signature_value = nullptr;
  xmlNode* digest_value = nullptr;
  Canonicalization si_c14n = Canonicalization::Exclusive;
  Canonicalization ref_c14n = Canonicalization::Inclusive;
  SignatureMethod method{};
  DigestAlgorithm ref_digest = DigestAlgorithm::Sha256;
  std::vector<ossl::X509Ptr> certs;
  X509* signer = nullptr;
  std::string signing_time;
  std::string timestamp_token;
  bool vendor_transform = false;  // the SDK's own exclusive C14N URI
};

// The profile check; on a violation returns the reason (FORMAT_FAILURE or no certificate).
// Certificates are parsed through the trust store's cache (`trust`).
std::optional<std::pair<SubIndication, std::string>> checkProfile(xmlNode* sig, Profile& p,
                                                                   ValidationReport& report,
                                                                   const TrustStore::State& trust,
                                                                   const SigNs& ds) {
  auto isDs = [&ds](const xmlNode* n, const char* name) { return ds.is(n, name); };
  auto format = [](std::string why) {
    return std::make_optional(std::make_pair(SubIndication::FormatFailure, std::move(why)));
  };
  if (!onlyAttributes(sig, {"Id"})) return format("unexpected attribute on Signature");
  auto kids = elementChildren(sig);
  if (!kids) return format("unexpected text in Signature");
  std::size_t i = 0;
  auto& k = *kids;
  if (i < k.size() && isDs(k[i], "SignedInfo")) p.signed_info = k[i++];
  if (i < k.size() && isDs(k[i], "SignatureValue")) p.signature_value = k[i++];
  xmlNode* key_info = nullptr;
  if (i < k.size() && isDs(k[i], "KeyInfo")) key_info = k[i++];
  std::vector<xmlNode*> objects;
  while (i < k.size() && isDs(k[i], "Object")) objects.push_back(k[i++]);
  if (i != k.size() || p.signed_info == nullptr || p.signature_value == nullptr) {
    return format("Signature must hold SignedInfo, SignatureValue, KeyInfo, Object in order");
  }
  if (!onlyAttributes(p.signed_info, {"Id"}) || !onlyAttributes(p.signature_value, {"Id"})) {
    return format("unexpected attribute in SignedInfo or SignatureValue");
  }

  auto si = elementChildren(p.signed_info);
  if (!si || si->size() != 3 || !isDs((*si)[0], "CanonicalizationMethod") ||
      !isDs((*si)[1], "SignatureMethod") || !isDs((*si)[2], "Reference")) {
    return format("SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one "
                  "Reference");
  }
  xmlNode* cm = (*si)[0];
  xmlNode* sm = (*si)[1];
  xmlNode* ref = (*si)[2];
  auto c14n = canonicalizationFromUri(sx::attribute(cm, "Algorithm"));
  if (!c14n || cm->children != nullptr) {
    return format("CanonicalizationMethod " + sx::attribute(cm, "Algorithm") + " is not allowed");
  }
  p.si_c14n = *c14n;
  report.canonicalization = sx::attribute(cm, "Algorithm");
  auto method = signatureFromUri(sx::attribute(sm, "Algorithm"));
  if (!method || sm->children != nullptr) {
    return format("SignatureMethod " + sx::attribute(sm, "Algorithm") + " is not allowed");
  }
  p.method = *method;
  report.signature_algorithm =
      std::string(schemeName(method->scheme)) + "-" + std::string(digestName(method->digest));

  if (!onlyAttributes(ref, {"URI", "Id", "Type"}) || !hasAttribute(ref, "URI") ||
      !sx::attribute(ref, "URI").empty()) {
    return format("the Reference must have URI=\"\" (the whole document)");
  }
  auto rk = elementChildren(ref);
  if (!rk || rk->size() != 3 || !isDs((*rk)[0], "Transforms") || !isDs((*rk)[1], "DigestMethod") ||
      !isDs((*rk)[2], "DigestValue")) {
    return format("Reference must hold Transforms, DigestMethod and DigestValue");
  }
  auto transforms = elementChildren((*rk)[0]);
  if (!transforms || transforms->empty() || transforms->size() > 2) {
    return format("Transforms must be enveloped-signature, optionally followed by C14N");
  }
  for (xmlNode* t : *transforms) {
    if (!isDs(t, "Transform") || t->children != nullptr || !onlyAttributes(t, {"Algorithm"})) {
      return format("a Transform with parameters or content is not allowed");
    }
  }
  if (sx::attribute((*transforms)[0], "Algorithm") != kEnvelopedTransformUri) {
    return format("the first Transform must be enveloped-signature, not " +
                  sx::attribute((*transforms)[0], "Algorithm"));
  }
  if (transforms->size() == 2) {
    auto tc = canonicalizationFromUri(sx::attribute((*transforms)[1], "Algorithm"));
    // The vendor SDK names exclusive C14N by a URI of its own; only in its Signature form.
    if (!tc && ds.ns != kDsigNs &&
        sx::attribute((*transforms)[1], "Algorithm") == kVendorExcC14nUri) {
      tc = Canonicalization::Exclusive;
      p.vendor_transform = true;
      report.warnings.push_back(std::string("Transform ") + std::string(kVendorExcC14nUri) +
                                " (the vendor SDK's URI) read as exclusive C14N");
    }
    if (!tc) {
      return format("Transform " + sx::attribute((*transforms)[1], "Algorithm") +
                    " is not allowed");
    }
    p.ref_c14n = *tc;
  }
  auto dm = digestFromUri(sx::attribute((*rk)[1], "Algorithm"));
  if (!dm || (*rk)[1]->children != nullptr) {
    return format("DigestMethod " + sx::attribute((*rk)[1], "Algorithm") + " is not allowed");
  }
  p.ref_digest = *dm;
  report.digest_algorithm = std::string(digestName(*dm));
  p.digest_value = (*rk)[2];

  auto no_cert = [](std::string why) {
    return std::make_optional(
        std::make_pair(SubIndication::NoSigningCertificateFound, std::move(why)));
  };
  if (key_info == nullptr) return no_cert("no KeyInfo with the signer's certificate");
  auto ki = elementChildren(key_info);
  if (!ki) return format("unexpected text in KeyInfo");
  for (xmlNode* c : *ki) {
    if (isDs(c, "X509Data")) {
      auto xd = elementChildren(c);
      if (!xd) return format("unexpected text in X509Data");
      for (xmlNode* x : *xd) {
        if (isDs(x, "X509Certificate")) {
          auto cert = trust.certificateBase64(sx::text(x));
          if (!cert) return no_cert("X509Certificate is not a base64 certificate");
          p.certs.push_back(std::move(*cert));
        } else if (!isDs(x, "X509IssuerSerial") && !isDs(x, "X509SubjectName") &&
                   !isDs(x, "X509SKI")) {
          return format("X509Data child " + std::string(sx::name(x)) + " is not allowed");
        }
      }
    } else if (isDs(c, "KeyValue")) {
      report.warnings.push_back("KeyValue in KeyInfo ignored: the key is taken only from the "
                                "certificate");
    } else if (!isDs(c, "KeyName")) {
      return format("KeyInfo child " + std::string(sx::name(c)) + " is not allowed");
    }
  }
  if (p.certs.empty()) return no_cert("no X509Certificate in KeyInfo");
  // The signer is the one certificate that issues none of the others.
  std::vector<X509*> leaves;
  for (auto& c : p.certs) {
    bool issues_other = false;
    for (auto& o : p.certs) {
      if (o.get() != c.get() && X509_check_issued(c.get(), o.get()) == X509_V_OK) {
        issues_other = true;
      }
    }
    if (!issues_other) leaves.push_back(c.get());
  }
  if (leaves.size() != 1) return no_cert("KeyInfo does not name one signer certificate");
  p.signer = leaves.front();

  for (xmlNode* o : objects) {
    auto props = elementChildren(o);
    if (!props) continue;
    for (xmlNode* sp : *props) {
      if (!isDs(sp, "SignatureProperties")) continue;
      for (xmlNode* prop = sx::firstElement(sp); prop; prop = sx::nextElement(prop)) {
        for (xmlNode* e = sx::firstElement(prop); e; e = sx::nextElement(e)) {
          if (sx::is(e, kLienthongSigNs, "SigningTime") && p.signing_time.empty()) {
            p.signing_time = sx::text(e);
          } else if (sx::is(e, kLienthongSigNs, "SignatureTimeStamp") &&
                     p.timestamp_token.empty()) {
            auto der = schemas::codec::decodeBase64(sx::text(e));
            if (der) p.timestamp_token = std::move(*der);
          }
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

XmlVerifier::XmlVerifier(TrustStore trust, ValidationPolicy policy, schemas::XmlLimits limits)
    : validator_(std::move(trust), std::move(policy)), limits_(limits) {}

ValidationReport XmlVerifier::verify(std::string_view edxml) const {
  ValidationReport report;
  report.format = "XMLDSig (edXML)";
  auto parsed = schemas::XmlDocument::parse(edxml, limits_);
  if (!parsed) {
    report.setFailure(SubIndication::FormatFailure, "not safe XML: " + parsed.error().describe());
    return report;
  }
  xmlNode* header = xmldsig::findHeader(parsed->root());
  if (header == nullptr) {
    report.setFailure(SubIndication::FormatFailure,
                      "not an edXML document with one edXML/edXMLEnvelope/edXMLHeader");
    return report;
  }
  Scan s;
  scan(parsed->root(), s);
  if (s.signatures.empty()) {
    report.setFailure(SubIndication::SignedDataNotFound, "the document carries no Signature");
    return report;
  }
  if (s.signatures.size() > 1) {
    report.setFailure(SubIndication::FormatFailure,
                      std::to_string(s.signatures.size()) + " Signature elements; exactly one is allowed");
    return report;
  }
  if (!s.duplicate_id.empty()) {
    report.setFailure(SubIndication::FormatFailure, "duplicate Id \"" + s.duplicate_id + "\"");
    return report;
  }
  xmlNode* sig = s.signatures.front();
  if (sig->parent != header) {
    report.setFailure(SubIndication::FormatFailure,
                      "the Signature must be a child of edXML/edXMLEnvelope/edXMLHeader");
    return report;
  }
  Profile p;
  SigNs ds;
  if (!sx::is(sig, kDsigNs, "Signature")) {
    ds.ns = schemas::kEdxmlNs;
    report.warnings.push_back(
        "Signature without the XMLDSig namespace (in the edXML namespace, as the vendor SDK "
        "writes it)");
  }
  // Without a usable certificate the signature value cannot be checked, but the Reference
  // digest still says whether the document is the one signed: it is checked before answering.
  std::optional<std::pair<SubIndication, std::string>> no_certificate;
  if (auto bad = checkProfile(sig, p, report, validator_.store().state(), ds)) {
    if (bad->first != SubIndication::NoSigningCertificateFound || p.digest_value == nullptr) {
      report.setFailure(bad->first, bad->second);
      return report;
    }
    no_certificate = std::move(bad);
  }

  // The reference: the whole document minus this Signature.
  const EVP_MD* ref_md = ossl::md(static_cast<int>(p.ref_digest));
  auto expected = schemas::codec::decodeBase64(sx::text(p.digest_value));
  if (!expected) {
    report.setFailure(SubIndication::FormatFailure, "DigestValue is not base64");
    return report;
  }
  auto actual = xmldsig::digestDocument(parsed->get(), sig, p.ref_c14n, ref_md);
  if (!actual) {
    report.setFailure(SubIndication::FormatFailure, actual.error().message);
    return report;
  }
  auto differs = [&](const std::string& d) {
    return d.size() != expected->size() ||
           CRYPTO_memcmp(d.data(), expected->data(), d.size()) != 0;
  };
  if (differs(*actual) && p.vendor_transform) {
    // A producer that does not know its own URI canonicalizes inclusively: that one exact
    // alternative is tried too.
    auto inclusive =
        xmldsig::digestDocument(parsed->get(), sig, Canonicalization::Inclusive, ref_md);
    if (inclusive && !differs(*inclusive)) {
      actual = std::move(inclusive);
      report.warnings.push_back("the Reference digest was computed with inclusive C14N");
    }
  }
  if (differs(*actual)) {
    report.integrity = "broken";
    report.setFailure(SubIndication::HashFailure,
                      "the digest of the document does not match the Reference DigestValue");
    return report;
  }
  if (no_certificate) {
    report.warnings.push_back(
        "the Reference digest matches the document; the signature value cannot be checked "
        "without the signer's certificate");
    report.setFailure(no_certificate->first, no_certificate->second);
    return report;
  }

  auto value = schemas::codec::decodeBase64(sx::text(p.signature_value));
  if (!value) {
    report.setFailure(SubIndication::FormatFailure, "SignedInfo or SignatureValue unreadable");
    return report;
  }
  EVP_PKEY* pub = X509_get0_pubkey(p.signer);
  const int key_id = pub != nullptr ? EVP_PKEY_get_base_id(pub) : 0;
  const bool ec = key_id == EVP_PKEY_EC;
  if (ec != (p.method.scheme == SignatureScheme::Ecdsa)) {
    report.setFailure(SubIndication::SigCryptoFailure,
                      "SignatureMethod does not fit the certificate's key type");
    return report;
  }
  std::string sig_bytes = *value;
  if (ec) {
    auto der = xmldsig::ecdsaRawToDer(sig_bytes);
    if (!der) {
      report.setFailure(SubIndication::SigCryptoFailure, der.error().message);
      return report;
    }
    sig_bytes = std::move(*der);
  }
  auto verifies = [&](const std::string& canonical) {
    ossl::EvpMdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx,
                                          ossl::md(static_cast<int>(p.method.digest)), nullptr,
                                          pub) == 1;
    if (ok && p.method.scheme == SignatureScheme::RsaPss) {
      ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
    }
    ok = ok && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig_bytes.data()),
                                sig_bytes.size(),
                                reinterpret_cast<const unsigned char*>(canonical.data()),
                                canonical.size()) == 1;
    ERR_clear_error();
    return ok;
  };
  // SignedInfo canonicalized where it stands (its namespace as written: for the vendor SDK's
  // form, the edXML default namespace, which is how a DOM signer without namespaces computes
  // it). A vendor Signature may also have been computed in the XMLDSig namespace and written
  // without its declaration afterwards: that exact form is tried second. Nothing else.
  auto canonical = xmldsig::canonicalizeSubtree(parsed->get(), p.signed_info, p.si_c14n);
  if (!canonical) {
    report.setFailure(SubIndication::FormatFailure, "SignedInfo or SignatureValue unreadable");
    return report;
  }
  bool verified = verifies(*canonical);
  if (!verified && ds.ns != kDsigNs) {
    xmlNs* dsig = xmlNewNs(sig, reinterpret_cast<const xmlChar*>(std::string(kDsigNs).c_str()), nullptr);
    std::function<void(xmlNode*)> renamespace = [&](xmlNode* n) {
      for (; n != nullptr; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) continue;
        if (n->ns != nullptr && sx::is(n, schemas::kEdxmlNs, reinterpret_cast<const char*>(n->name)))
          xmlSetNs(n, dsig);
        renamespace(n->children);
      }
    };
    if (dsig != nullptr) {
      xmlSetNs(sig, dsig);
      renamespace(sig->children);
      auto again = xmldsig::canonicalizeSubtree(parsed->get(), p.signed_info, p.si_c14n);
      if (again && verifies(*again)) {
        verified = true;
        report.warnings.push_back(
            "SignedInfo was computed in the XMLDSig namespace and written without it");
      }
    }
  }
  if (!verified) {
    report.integrity = "broken";
    report.setFailure(SubIndication::SigCryptoFailure,
                      "the SignatureValue does not verify with the certificate's public key");
    return report;
  }
  report.integrity = "intact";

  if (p.ref_digest == DigestAlgorithm::Sha1 || p.method.digest == DigestAlgorithm::Sha1) {
    if (!validator_.policy().allow_sha1) {
      report.setFailure(SubIndication::CryptoConstraintsFailure,
                        "SHA-1 is refused by the validation policy");
      return report;
    }
    report.warnings.push_back("SHA-1 is weak; accepted by policy");
  }

  // The time the certificate is checked at: a verified time-stamp over the SignatureValue, or
  // now. A SigningTime sits in an Object that the one Reference (URI="", enveloped) leaves out:
  // the signature does not cover it, so it is shown as claimed and never used, whatever the
  // policy.
  Clock::time_point at = Clock::now();
  report.signing_time_source = "validation";
  if (!p.signing_time.empty()) {
    if (auto t = parseIso(p.signing_time)) {
      report.claimed_time = *t;
      report.claimed_time_signed = false;
      if (validator_.policy().trust_claimed_signing_time)
        report.warnings.push_back("SigningTime " + p.signing_time +
                                  " is not covered by the signature: shown, not used (the policy "
                                  "trusts only signed claimed times)");
    } else {
      report.warnings.push_back("SigningTime \"" + p.signing_time + "\" is not ISO 8601 UTC");
    }
  }
  if (!p.timestamp_token.empty()) {
    auto ts = verifyTimeStampToken(p.timestamp_token, *value, validator_.store());
    if (ts) {
      at = ts->time;
      report.signing_time_source = "timestamp";
    } else {
      report.warnings.push_back("signature time-stamp ignored: " + ts.error().message);
    }
  }
  report.signing_time = at;
  if (validator_.policy().validation_time) at = *validator_.policy().validation_time;

  std::vector<X509*> extra;
  for (auto& c : p.certs) {
    if (c.get() != p.signer) extra.push_back(c.get());
  }
  if (!validator_.validate(p.signer, extra, at, report)) return report;
  report.indication = Indication::TotalPassed;
  report.sub_indication = SubIndication::None;
  report.detail = "signature and certificate valid";
  return report;
}

}  // namespace lienthong::signing
