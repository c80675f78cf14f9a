#include "xmldsig.h"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>
#include <openssl/ecdsa.h>

#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/xml.h"
#include "ossl.h"

namespace lienthong::signing::xmldsig {

namespace sx = lienthong::schemas::xml;
using schemas::kEdxmlNs;

namespace {

struct OutputBufferClose {
  void operator()(xmlOutputBuffer* b) const { xmlOutputBufferClose(b); }
};
using OutputBufferPtr = std::unique_ptr<xmlOutputBuffer, OutputBufferClose>;

int writeDigest(void* ctx, const char* buf, int len) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx), buf, static_cast<std::size_t>(len)) != 1) {
    return -1;
  }
  return len;
}

int writeString(void* ctx, const char* buf, int len) {
  static_cast<std::string*>(ctx)->append(buf, static_cast<std::size_t>(len));
  return len;
}

int closeNothing(void*) { return 0; }

int modeOf(Canonicalization c) {
  return c == Canonicalization::Exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0;
}

// Visible: the subtree root and everything below it, including namespace and attribute nodes.
int inSubtree(void* user_data, xmlNode* node, xmlNode* parent) {
  const auto* top = static_cast<const xmlNode*>(user_data);
  const xmlNode* n = node;
  if (node == nullptr || node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE) {
    n = parent;
  }
  for (; n != nullptr; n = n->parent) {
    if (n == top) return 1;
  }
  return 0;
}

}  // namespace

Result<std::string> digestDocument(xmlDoc* doc, xmlNode* excluded, Canonicalization c14n,
                                   const EVP_MD* md) {
  ossl::EvpMdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    return ossl::sslFail(ErrorCode::CryptoFailure, "digest init");
  }
  xmlNode* parent = excluded != nullptr ? excluded->parent : nullptr;
  xmlNode* next = excluded != nullptr ? excluded->next : nullptr;
  if (excluded != nullptr) xmlUnlinkNode(excluded);
  int rc = 0;
  {
    OutputBufferPtr out(xmlOutputBufferCreateIO(writeDigest, closeNothing, ctx.get(), nullptr));
    rc = out ? xmlC14NExecute(doc, nullptr, nullptr, modeOf(c14n), nullptr, 0, out.get()) : -1;
    if (out && xmlOutputBufferFlush(out.get()) < 0) rc = -1;
  }
  if (excluded != nullptr) {
    if (next != nullptr) {
      xmlAddPrevSibling(next, excluded);
    } else {
      xmlAddChild(parent, excluded);
    }
  }
  if (rc < 0) return fail(ErrorCode::CryptoFailure, "canonicalization of the document failed");
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx.get(), buf, &n) != 1) {
    return ossl::sslFail(ErrorCode::CryptoFailure, "digest");
  }
  return std::string(reinterpret_cast<char*>(buf), n);
}

Result<std::string> canonicalizeSubtree(xmlDoc* doc, xmlNode* element, Canonicalization c14n) {
  std::string out;
  int rc = 0;
  {
    OutputBufferPtr buf(xmlOutputBufferCreateIO(writeString, closeNothing, &out, nullptr));
    rc = buf ? xmlC14NExecute(doc, inSubtree, element, modeOf(c14n), nullptr, 0, buf.get()) : -1;
    if (buf && xmlOutputBufferFlush(buf.get()) < 0) rc = -1;
  }
  if (rc < 0) return fail(ErrorCode::CryptoFailure, "canonicalization of SignedInfo failed");
  return out;
}

xmlNode* findHeader(xmlNode* root) {
  if (root == nullptr || !sx::is(root, kEdxmlNs, "edXML")) return nullptr;
  xmlNode* envelope = nullptr;
  for (xmlNode* c = sx::firstElement(root); c != nullptr; c = sx::nextElement(c)) {
    if (sx::is(c, kEdxmlNs, "edXMLEnvelope")) {
      if (envelope != nullptr) return nullptr;
      envelope = c;
    }
  }
  if (envelope == nullptr) return nullptr;
  xmlNode* header = nullptr;
  for (xmlNode* c = sx::firstElement(envelope); c != nullptr; c = sx::nextElement(c)) {
    if (sx::is(c, kEdxmlNs, "edXMLHeader")) {
      if (header != nullptr) return nullptr;
      header = c;
    }
  }
  return header;
}

int ecFieldBytes(const EVP_PKEY* key) { return (EVP_PKEY_get_bits(key) + 7) / 8; }

Result<std::string> ecdsaDerToRaw(std::string_view der, int field_bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ossl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())),
                        ECDSA_SIG_free);
  if (!sig) return ossl::sslFail(ErrorCode::CryptoFailure, "ECDSA signature");
  std::string out(static_cast<std::size_t>(field_bytes) * 2, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), o, field_bytes) != field_bytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), o + field_bytes, field_bytes) != field_bytes) {
    return fail(ErrorCode::CryptoFailure, "ECDSA signature does not fit the curve");
  }
  return out;
}

Result<std::string> ecdsaRawToDer(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 264) {
    return fail(ErrorCode::SignatureInvalid, "ECDSA signature value has a wrong length");
  }
  const auto half = static_cast<int>(raw.size() / 2);
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  ossl::EcdsaSigPtr sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(p, half, nullptr);
  BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return ossl::sslFail(ErrorCode::CryptoFailure, "ECDSA signature");
  }
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return ossl::sslFail(ErrorCode::CryptoFailure, "ECDSA signature");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace lienthong::signing::xmldsig
